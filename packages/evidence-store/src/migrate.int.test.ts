import { useTestDatabase, withDatabase } from '@codecommit-evidence/testing';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createDb } from './db.js';
import { migrateToLatest, pendingMigrations } from './migrate.js';
import { migrations } from './migrations/index.js';

describe('migrations', () => {
  const t = useTestDatabase();

  it('the cloned template is fully migrated, and migrating again applies nothing', async () => {
    const again = await migrateToLatest(t.current.db);
    expect(again.applied).toEqual([]);
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(
      t.current.db,
    );
    const names = tables.rows.map((r) => r.table_name);
    for (const expected of [
      'tenants',
      'connections',
      'sync_runs',
      'repositories',
      'pull_requests',
      'iam_users',
      'findings',
    ]) {
      expect(names).toContain(expected);
    }
    // Never written nor read; dropped by 2026-12-02T0420_drop-pull-request-events.
    expect(names).not.toContain('pull_request_events');
  });

  it('applies to an empty database, rolls back to empty, and applies again', async () => {
    // A brand-new database, as on a first install (the template clones above are already migrated).
    const name = `${t.current.name}_fresh`;
    const admin = new pg.Client({ connectionString: inject('databaseAdminUrl') });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    const db: Kysely<any> = createDb(withDatabase(t.current.url, name), { max: 1 });
    const tableCount = async () =>
      (
        await sql<{ n: number }>`select count(*)::int as n from information_schema.tables
          where table_schema = 'public' and table_name not like 'kysely_migration%'`.execute(db)
      ).rows[0]!.n;
    try {
      expect(await tableCount()).toBe(0);
      // What an app's init container waits on (`cce-migrate --wait`): every migration, then none.
      expect(await pendingMigrations(db)).toEqual(Object.keys(migrations));
      const first = await migrateToLatest(db);
      expect(await pendingMigrations(db)).toEqual([]);
      expect(first.applied).toEqual(Object.keys(migrations));
      expect(await tableCount()).toBeGreaterThan(20);
      expect((await migrateToLatest(db)).applied).toEqual([]);
      for (const m of Object.keys(migrations).reverse()) await migrations[m]!.down!(db);
      expect(await tableCount()).toBe(0);
      await sql`delete from kysely_migration`.execute(db);
      expect((await migrateToLatest(db)).applied).toEqual(Object.keys(migrations));
    } finally {
      await db.destroy();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});
