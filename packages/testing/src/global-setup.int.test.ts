/**
 * Issue 11, test harness safety: the global setup's teardown drops only the databases of its own
 * session (its random `cce_t_<hex>_` prefix), never another checkout's or another run's on the same
 * server, whatever their age — not by a generic `cce_t_%` pattern, and no other `cce_tpl_*` template.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect, inject, it } from 'vitest';
import type { TestProject } from 'vitest/node';
import setup from './global-setup.js';

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: inject('databaseAdminUrl') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const existing = (names: string[]) =>
  withAdmin(async (c) =>
    (
      await c.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE datname = ANY($1) ORDER BY datname',
        [names],
      )
    ).rows.map((r) => r.datname),
  );

it("the teardown drops its own session's databases and leaves another session's alone", async () => {
  // What another session would own: a test database under its own prefix, and its migrated template.
  const other = randomBytes(6).toString('hex');
  const foreign = [`cce_t_${other}_x`, `cce_tpl_${other}`].sort();
  await withAdmin(async (c) => {
    for (const name of foreign) await c.query(`CREATE DATABASE "${name}"`);
  });
  // The setup finds the services through the environment: the server this test file was given.
  const saved = { DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL };
  process.env.DATABASE_URL = inject('databaseAdminUrl');
  process.env.REDIS_URL = inject('redisUrl');
  const provided: Record<string, unknown> = {};
  const project = { provide: (key: string, value: unknown) => (provided[key] = value) };
  let own: string | undefined;
  try {
    const teardown = await setup(project as unknown as TestProject);
    // One database of the session's own, as a test file makes: the teardown must drop that one.
    own = `${String(provided.testDatabasePrefix)}own`;
    await withAdmin((c) => c.query(`CREATE DATABASE "${own}"`));
    expect(await existing([...foreign, own])).toEqual([...foreign, own].sort());
    await teardown();
    expect(await existing([...foreign, own])).toEqual(foreign);
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await withAdmin(async (c) => {
      for (const name of [...foreign, ...(own ? [own] : [])])
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
  }
});
