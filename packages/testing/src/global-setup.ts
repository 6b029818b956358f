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
/** Test databases older than this are leftovers of a killed run and are dropped at the next start. */
const STALE_AFTER_SECONDS = 6 * 3600;

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
    await dropStaleTestDatabases(admin);
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
  const prefix = `cce_t_${Math.floor(Date.now() / 1000)}_${randomBytes(3).toString('hex')}_`;
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

async function dropStaleTestDatabases(admin: pg.Client): Promise<void> {
  const rows = await admin.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE 'cce\\_t\\_%'",
  );
  const now = Date.now() / 1000;
  for (const { datname } of rows.rows) {
    const created = Number(datname.split('_')[2]);
    if (Number.isFinite(created) && now - created > STALE_AFTER_SECONDS) {
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  }
  // Templates of older schemas are no use to anyone.
  const templates = await admin.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE 'cce\\_tpl\\_%'",
  );
  const current = `cce_tpl_${migrationsHash()}`;
  for (const { datname } of templates.rows) {
    // Without FORCE: a concurrent run on an older schema may still be cloning it.
    if (datname !== current) await admin.query(`DROP DATABASE IF EXISTS "${datname}"`).catch(() => {});
  }
}
