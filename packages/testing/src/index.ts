import { randomBytes } from 'node:crypto';
import { createDb, type Database } from '@codecommit-evidence/evidence-store';
import { deleteKeysWithPrefix } from '@codecommit-evidence/queues';
import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import './provided-context.js';
import { withDatabase } from './urls.js';

export { clockEnv } from './clock-env.js';
export { redactUrl, resolveTestServices } from './services.js';
export { withDatabase } from './urls.js';

/** A database of this test file's own, cloned from the migrated template. */
export interface TestDatabase {
  url: string;
  name: string;
  db: Kysely<Database>;
}

/**
 * Registers hooks that give the calling test file its own migrated database and drop it afterwards.
 * Read `.current` inside tests (it is set in `beforeAll`).
 */
export function useTestDatabase(): { readonly current: TestDatabase } {
  const holder: { current: TestDatabase } = { current: undefined as unknown as TestDatabase };
  beforeAll(async () => {
    holder.current = await createTestDatabase();
  });
  afterAll(async () => {
    if (holder.current) await dropTestDatabase(holder.current);
  });
  return holder;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('databaseAdminUrl');
  const name = `${inject('testDatabasePrefix')}${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // CREATE DATABASE ... TEMPLATE fails while another session is connected to the template;
    // the global setup closes its sessions, but two clones started together can still collide.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${inject('templateDatabase')}"`);
        break;
      } catch (err) {
        if (attempt >= 20 || !String(err).includes('is being accessed by other users')) throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  return { url, name, db: createDb(url, { max: 5 }) };
}

export async function dropTestDatabase(t: TestDatabase): Promise<void> {
  await t.db.destroy();
  const admin = new pg.Client({ connectionString: inject('databaseAdminUrl') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${t.name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** A Redis key prefix of this test file's own (BullMQ `prefix`), with its keys removed afterwards. */
export interface TestRedis {
  url: string;
  prefix: string;
  /** A connection for the test's own use (closed afterwards). */
  redis: Redis;
}

export function useTestRedis(): { readonly current: TestRedis } {
  const holder: { current: TestRedis } = { current: undefined as unknown as TestRedis };
  beforeAll(async () => {
    const url = inject('redisUrl');
    // Braces keep all of a prefix's keys in one Redis Cluster hash slot, as in production.
    const prefix = `{cce-test-${randomBytes(5).toString('hex')}}`;
    holder.current = { url, prefix, redis: new Redis(url, { maxRetriesPerRequest: 3 }) };
  });
  afterAll(async () => {
    if (!holder.current) return;
    await deleteKeysWithPrefix(holder.current.redis, holder.current.prefix);
    holder.current.redis.disconnect();
  });
  return holder;
}

export { deleteKeysWithPrefix };
