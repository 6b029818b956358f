import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDb, migrateToLatest } from '@codecommit-evidence/evidence-store';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { resolveTestServices } from './services.js';
import { withDatabase } from './urls.js';

import './provided-context.js';

const migrationsDir = fileURLToPath(new URL('../../evidence-store/src/migrations/', import.meta.url));

/**
 * Runs once per vitest project that needs services: checks Postgres and Redis, builds (or reuses) a
 * template database migrated to the current schema, and hands each test file what it needs to clone it.
 */
export default async function setup(project: TestProject) {
  const services = await resolveTestServices();
  const template = `cce_tpl_${migrationsHash()}`;
  const admin = new pg.Client({ connectionString: services.databaseUrl });
  await admin.connect();
  try {
    // One creator at a time: several projects (and several vitest runs) may start together.
    await admin.query('SELECT pg_advisory_lock(7423001)');
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (exists.rowCount === 0) {
      const building = `${template}_building`;
      await admin.query(`DROP DATABASE IF EXISTS ${building}`);
      await admin.query(`CREATE DATABASE ${building}`);
      const db = createDb(withDatabase(services.databaseUrl, building), { max: 1 });
      try {
        await migrateToLatest(db);
      } finally {
        await db.destroy();
      }
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock(7423001)').catch(() => {});
    await admin.end();
  }
  // Only this run's own databases (this prefix) are ever dropped, at teardown: other runs on the same
  // server (another checkout, a run under a moved clock) are never touched. Leftovers of a killed run
  // are removed by `pnpm test:clean`.
  const prefix = `cce_t_${randomBytes(6).toString('hex')}_`;
  project.provide('databaseAdminUrl', services.databaseUrl);
  project.provide('templateDatabase', template);
  project.provide('testDatabasePrefix', prefix);
  project.provide('redisUrl', services.redisUrl);

  return async () => {
    const c = new pg.Client({ connectionString: services.databaseUrl });
    await c.connect();
    try {
      const rows = await c.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE datname LIKE $1',
        [`${prefix}%`],
      );
      for (const r of rows.rows) await c.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
    } finally {
      await c.end();
    }
    await services.stop();
  };
}

function migrationsHash(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(migrationsDir).sort()) h.update(f).update(readFileSync(migrationsDir + f));
  return h.digest('hex').slice(0, 12);
}
