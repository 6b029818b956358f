#!/usr/bin/env node
import pg from 'pg';
import { createDb } from './db.js';
import { DatabaseEnv } from './env.js';
import { migrateToLatest, pendingMigrations } from './migrate.js';

/**
 * `pnpm migrate`: creates the database named in DATABASE_URL if it does not exist, then applies every
 * pending migration. Prints what it did; exits 1 with the reason on failure.
 * `--wait`: changes nothing; waits until the database has every migration of this build (applied by
 * the migration Job), so an app's init container holds the app back until then.
 */
async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(
      'Usage: cce-migrate [--wait]\n\nApplies pending evidence-store migrations to DATABASE_URL (created if missing).\n' +
        '--wait  change nothing; wait (up to 15 minutes) until no migration of this build is pending.',
    );
    return;
  }
  const parsed = DatabaseEnv.safeParse(process.env);
  if (!parsed.success) {
    console.error(`DATABASE_URL is invalid: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    process.exit(1);
  }
  const url = parsed.data.DATABASE_URL;
  if (process.argv.includes('--wait')) return waitUntilCurrent(url, 15 * 60_000);
  await ensureDatabase(url);
  const db = createDb(url, { max: 1, applicationName: 'cce-migrate' });
  try {
    const { applied } = await migrateToLatest(db);
    console.log(
      applied.length
        ? `applied ${applied.length} migration(s): ${applied.join(', ')}`
        : 'schema is up to date',
    );
  } finally {
    await db.destroy();
  }
}

async function waitUntilCurrent(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const db = createDb(url, { max: 1, applicationName: 'cce-migrate-wait' });
    let state: string;
    try {
      const pending = await pendingMigrations(db);
      if (pending.length === 0) {
        console.log('schema is up to date');
        return;
      }
      state = `waiting for ${pending.length} migration(s): ${pending.join(', ')}`;
    } catch (err) {
      state = `waiting for the database: ${(err as Error).message}`;
    } finally {
      await db.destroy();
    }
    if (state !== last) console.log(state);
    last = state;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs / 60_000} minutes, ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) return;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot reach Postgres at DATABASE_URL (${target.host}): ${(err as Error).message}`);
  }
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      console.log(`created database ${name}`);
    }
  } finally {
    await client.end();
  }
}

main().catch((err: unknown) => {
  console.error(`migrate failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
