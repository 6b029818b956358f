import { useTestDatabase } from '@codecommit-evidence/testing';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createConnection } from './connections.js';
import {
  ACCESS_REPOSITORIES_INLINE,
  getAccessRepositoryLists,
  getRunAccessState,
  listRunAccess,
  type RunAccessInput,
  writeRunAccess,
} from './run-access.js';
import { createOrGetActiveSyncRun, finishSyncRun } from './sync-runs.js';
import { createTenant } from './tenants.js';

describe('derived access of a sync run', () => {
  const t = useTestDatabase();
  let connectionId: string;
  let runId: number;
  // 300 users of one policy set share one list of 50 repositories; a few reach 2.
  const many = Array.from({ length: 50 }, (_, i) => ({
    name: `repo-${String(i).padStart(2, '0')}`,
    level: 'write',
  }));
  const few = many.slice(0, 2);
  const principals: RunAccessInput[] = [
    ...Array.from({ length: 300 }, (_, i) => ({
      principalType: 'iam_user' as const,
      // Code-point order: 'Z' < '_' < 'a'; upper case first.
      name: i % 2 === 0 ? `user-${String(i).padStart(3, '0')}` : `User-${String(i).padStart(3, '0')}`,
      arn: `arn:aws:iam::111122223333:user/u${i}`,
      hasAccess: i % 3 === 0 ? ('no' as const) : ('yes' as const),
      entry: { level: 'write', repositoryCount: i % 10 === 0 ? 2 : 50 },
      repositories: i % 10 === 0 ? few : many,
      tags: { email: `u${i}@example.com` },
    })),
    {
      principalType: 'iam_role',
      name: 'Admin',
      arn: 'arn:aws:iam::111122223333:role/Admin',
      hasAccess: 'yes',
      entry: { level: 'admin', repositoryCount: 50 },
      repositories: many,
      tags: {},
    },
  ];

  beforeAll(async () => {
    const db = t.current.db;
    const { tenant } = await createTenant(db, 'acme');
    const c = await createConnection(db, { tenantId: tenant.id, name: 'prod' });
    const { run } = await createOrGetActiveSyncRun(db, c.id, 'api');
    await finishSyncRun(db, run.id, 'succeeded');
    connectionId = c.id;
    runId = run.id;
  });

  it('is written once, all of it: the second writer (a concurrent one too) writes nothing', async () => {
    const db = t.current.db;
    const input = { connectionId, syncRunId: runId, completeness: { ok: true }, derivedAt: new Date(0) };
    const written = await Promise.all([
      writeRunAccess(db, { ...input, principals }),
      writeRunAccess(db, { ...input, principals: principals.slice(0, 1) }),
    ]);
    expect(written.filter(Boolean)).toHaveLength(1);
    const state = await getRunAccessState(db, runId);
    const rows = await sql<{ n: number }>`select count(*)::int as n from sync_run_access`.execute(db);
    expect(rows.rows[0]?.n).toBe(state?.principals);
    expect(await writeRunAccess(db, { ...input, principals })).toBe(false);
  });

  it('stores a long repository list once per connection and keeps its first ones inline', async () => {
    const db = t.current.db;
    const lists = await sql<{ n: number }>`select count(*)::int as n from access_repository_lists`.execute(
      db,
    );
    expect(lists.rows[0]?.n).toBe(1);
    const page = await listRunAccess(db, runId, { principalType: 'iam_user', limit: 400 });
    const long = page.find((r) => r.repositories_digest !== null)!;
    expect(long.repositories).toHaveLength(ACCESS_REPOSITORIES_INLINE);
    const whole = await getAccessRepositoryLists(db, connectionId, [long.repositories_digest!]);
    expect(whole.get(long.repositories_digest!)).toEqual(many);
    const short = page.find((r) => r.repositories_digest === null)!;
    expect(short.repositories).toEqual(few);
  });

  it('pages users first, then roles, by name in code-point order, keyset after the last one', async () => {
    const db = t.current.db;
    const seen: string[] = [];
    for (let after: { principalType: 'iam_user' | 'iam_role'; name: string } | undefined; ; ) {
      const rows = await listRunAccess(db, runId, {
        withAccessOnly: true,
        ...(after ? { after } : {}),
        limit: 37,
      });
      seen.push(...rows.map((r) => `${r.principal_type}:${r.name}`));
      const last = rows.at(-1);
      if (!last || rows.length < 37) break;
      after = { principalType: last.principal_type, name: last.name };
    }
    const expected = principals
      .filter((p) => p.hasAccess !== 'no')
      .map((p) => `${p.principalType}:${p.name}`)
      .sort((a, b) => {
        const [ta, na] = a.split(':') as [string, string];
        const [tb, nb] = b.split(':') as [string, string];
        if (ta !== tb) return ta < tb ? 1 : -1;
        return na < nb ? -1 : na > nb ? 1 : 0;
      });
    expect(seen).toEqual(expected);
    expect(seen[0]).toBe('iam_user:User-001');
    expect(seen.at(-1)).toBe('iam_role:Admin');
  });
});
