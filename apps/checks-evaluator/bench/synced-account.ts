/**
 * The benchmark account, synced once and kept: a generated account is synced through fake-aws by the
 * repo-sync and iam-sync workers (as their own processes) into a database named for the account's size,
 * which later bench runs copy (`create database … template …`) instead of paying ~145,000 AWS calls
 * again. The copy is migrated to the latest schema, so a cache taken before a new migration stays usable.
 * Never part of `pnpm test`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  activateConnection,
  createConnection,
  createDb,
  createOrGetActiveSyncRun,
  createTenant,
  type Database,
  finishSyncRun,
  migrateToLatest,
} from '@codecommit-evidence/evidence-store';
import { GENERATED_DEFAULTS, generateScenario, startFakeAws } from '@codecommit-evidence/fake-aws';
import {
  closeQueues,
  createQueues,
  createRedisConnection,
  deleteKeysWithPrefix,
  enqueue,
  jobIds,
} from '@codecommit-evidence/queues';
import { clockEnv } from '@codecommit-evidence/testing/clock-env';
import { type Kysely, sql } from 'kysely';

export interface AccountSize {
  repos: number;
  prs: number;
  users: number;
  /** Extra team groups with inline policies (the generator's `groups`), default 0. */
  groups?: number;
}

export interface SyncedAccount {
  connectionId: string;
  tenantId: string;
  runId: number;
  apiKey: string;
}

const log = (m: string) => process.stderr.write(`${m}\n`);

/**
 * How the cache is filled: `sync` through fake-aws's HTTP server by the workers as their own processes,
 * `load` by the workers' jobs run in this process against fake-aws's core (`loaded-account.ts`, for
 * sizes whose sync would take hours). Each has its own cache database (`_s1`, `_l1`).
 */
export type CacheFill = 'sync' | 'load';

export function cacheDatabaseName(size: AccountSize, fill: CacheFill = 'sync'): string {
  const groups = size.groups ? `_g${size.groups}` : '';
  return `cce_bench_eval_cache_r${size.repos}_p${size.prs}_u${size.users}${groups}_${fill === 'sync' ? 's' : 'l'}1`;
}

export function withDatabase(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function databaseExists(admin: Kysely<Database>, name: string): Promise<boolean> {
  const r = await sql<{
    n: number;
  }>`select count(*)::int as n from pg_database where datname = ${name}`.execute(admin);
  return (r.rows[0]?.n ?? 0) > 0;
}

async function readSynced(db: Kysely<Database>): Promise<SyncedAccount | undefined> {
  const r = await sql<{ body: SyncedAccount }>`select body from bench_account limit 1`
    .execute(db)
    .catch(() => undefined);
  return r?.rows[0]?.body;
}

/**
 * The generated account of a bench size. One definition for the synced cache and the bench loader, whose
 * test compares the two databases: they must start from the same scenario.
 */
export function benchScenario(size: AccountSize) {
  return generateScenario({
    repos: size.repos,
    prsPerRepo: size.prs,
    users: size.users,
    groups: size.groups ?? 0,
    seed: 1,
  });
}

function spawnWorker(app: string, env: Record<string, string>) {
  const cwd = fileURLToPath(new URL(`../../${app}`, import.meta.url));
  return spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/index.ts'], {
    cwd,
    // Any free health port: the fixed defaults collide with other workers on the machine (a test, a bench).
    // clockEnv: the workers share this process's clock when libfaketime moves it (`pnpm test:any-date`);
    // on the real clock they judged another audit window than the in-process loader beside them.
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', HEALTH_PORT: '0', ...clockEnv(), ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** Generates and syncs (or loads) the account into the cache database, unless a complete cache is there. */
export async function ensureSyncedAccount(
  adminUrl: string,
  redisUrl: string,
  size: AccountSize,
  fill: CacheFill = 'sync',
): Promise<{ cacheName: string; reused: boolean; syncSeconds?: number }> {
  const cacheName = cacheDatabaseName(size, fill);
  const admin = createDb(adminUrl, { max: 1 });
  try {
    if (await databaseExists(admin, cacheName)) {
      const db = createDb(withDatabase(adminUrl, cacheName), { max: 1 });
      const synced = await readSynced(db);
      await db.destroy();
      if (synced) return { cacheName, reused: true };
      // An interrupted sync: start again.
      await sql`drop database ${sql.id(cacheName)} with (force)`.execute(admin);
    }
    const building = `${cacheName}_building_${randomBytes(3).toString('hex')}`;
    await sql`create database ${sql.id(building)}`.execute(admin);
    const started = Date.now();
    if (fill === 'sync') await syncGeneratedAccount(withDatabase(adminUrl, building), redisUrl, size);
    else {
      // Imported here: the loader pulls in the sync workers' code, which the synced path runs as processes.
      const { loadGeneratedAccount } = await import('./loaded-account.js');
      await loadGeneratedAccount(withDatabase(adminUrl, building), redisUrl, size);
    }
    await sql`alter database ${sql.id(building)} rename to ${sql.id(cacheName)}`.execute(admin);
    return { cacheName, reused: false, syncSeconds: (Date.now() - started) / 1000 };
  } finally {
    await admin.destroy();
  }
}

/** The bench's tenant and its connection, active, with the generated account's role (sync and loader alike). */
export async function prepareBenchConnection(db: Kysely<Database>) {
  const { tenant, apiKey } = await createTenant(db, 'bench');
  const c = await createConnection(db, { tenantId: tenant.id, name: 'bench' });
  await db
    .updateTable('connections')
    .set({ external_id: GENERATED_DEFAULTS.productRole.externalId })
    .where('id', '=', c.id)
    .execute();
  await activateConnection(db, c.id, {
    roleArn: `arn:aws:iam::${GENERATED_DEFAULTS.accountId}:role/${GENERATED_DEFAULTS.productRole.roleName}`,
    accountId: GENERATED_DEFAULTS.accountId,
    region: GENERATED_DEFAULTS.region,
    permissions: {},
    warnings: [],
  });
  return { tenant, apiKey, connectionId: c.id };
}

/**
 * Generates an account of `size` (seed 1) and syncs it once through fake-aws into the (empty or
 * migrated) database at `url`, with the repo-sync and iam-sync workers as their own processes; the
 * sync run is finished as succeeded. Used by the bench and by the test that compares the optimised
 * evaluation with the straightforward one on a generated account.
 */
export async function syncGeneratedAccount(
  url: string,
  redisUrl: string,
  size: AccountSize,
  options: { prefix?: string } = {},
): Promise<SyncedAccount> {
  log(`generating ${size.repos} repositories x ${size.prs} pull requests x ${size.users} users…`);
  const scenario = benchScenario(size);
  const fake = await startFakeAws({ scenario, rates: { codecommit: 750, sts: 50 } });
  const db = createDb(url, { max: 2 });
  const prefix = options.prefix ?? `{cce-bench-${randomBytes(4).toString('hex')}}`;
  const producer = createRedisConnection(redisUrl, 'producer');
  const queues = createQueues(producer, prefix);
  const workers: ReturnType<typeof spawn>[] = [];
  try {
    await migrateToLatest(db);
    const { tenant, apiKey, connectionId } = await prepareBenchConnection(db);
    const common = {
      DATABASE_URL: url,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      AWS_ENDPOINT_URL: fake.url,
      AWS_REGION: GENERATED_DEFAULTS.region,
      AWS_ACCESS_KEY_ID: fake.platformCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: fake.platformCredentials.secretAccessKey,
    };
    workers.push(
      spawnWorker('repo-sync', {
        ...common,
        REPO_SYNC_CONCURRENCY: '16',
        REPO_SYNC_JOBS_PER_CONNECTION: '16',
        CODECOMMIT_RPS: '600',
        AWS_ACCOUNT_CONCURRENCY: '64',
      }),
      spawnWorker('iam-sync', { ...common, CREDENTIAL_REPORT_POLL_INTERVAL_MS: '500' }),
    );
    const { run } = await createOrGetActiveSyncRun(db, connectionId, 'api');
    const payload = { connectionId, runId: run.id };
    const jobs = [
      { queue: 'repo-sync' as const, id: jobIds.syncRepositories(run.id) },
      { queue: 'iam-sync' as const, id: jobIds.syncIam(run.id) },
    ];
    log('syncing (once; later runs reuse the synced database)…');
    // One after the other: the repository sync holds every slot of the account's concurrency limit,
    // and the IAM sync would wait for one past its patience.
    for (const job of [jobs[1]!, jobs[0]!]) {
      if (job.queue === 'iam-sync') await enqueue(queues, 'sync-iam', payload, { jobId: job.id });
      else await enqueue(queues, 'sync-repositories', payload, { jobId: job.id });
      for (;;) {
        const state = await (await queues[job.queue].getJob(job.id))?.getState();
        if (state === 'completed') break;
        if (state === 'failed') throw new Error(`${job.id} failed`);
        if (workers.some((w) => w.exitCode !== null)) throw new Error('a sync worker exited');
        await new Promise((r) => setTimeout(r, 500));
      }
      log(`${job.id} done`);
    }
    await finishSyncRun(db, run.id, 'succeeded');
    await sql`create table bench_account (body jsonb not null)`.execute(db);
    const synced: SyncedAccount = { connectionId, tenantId: tenant.id, runId: run.id, apiKey };
    await sql`insert into bench_account (body) values (${JSON.stringify(synced)}::jsonb)`.execute(db);
    return synced;
  } finally {
    for (const w of workers) {
      if (w.exitCode !== null) continue;
      const exited = new Promise((r) => w.once('exit', r));
      w.kill('SIGTERM');
      await exited;
    }
    await closeQueues(queues);
    if (!options.prefix) await deleteKeysWithPrefix(producer, prefix).catch(() => 0);
    producer.disconnect();
    await db.destroy();
    await fake.close();
  }
}

/** A scratch copy of the cache, migrated to the latest schema; drop it with `dropCopy`. */
export async function copyOfCache(
  adminUrl: string,
  cacheName: string,
): Promise<{ name: string; url: string; account: SyncedAccount }> {
  const name = `cce_bench_eval_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = createDb(adminUrl, { max: 1 });
  try {
    await sql`create database ${sql.id(name)} template ${sql.id(cacheName)}`.execute(admin);
  } finally {
    await admin.destroy();
  }
  const url = withDatabase(adminUrl, name);
  const db = createDb(url, { max: 1 });
  try {
    await migrateToLatest(db);
    const account = await readSynced(db);
    if (!account) throw new Error(`${cacheName} holds no synced account`);
    return { name, url, account };
  } finally {
    await db.destroy();
  }
}

export async function dropCopy(adminUrl: string, name: string): Promise<void> {
  const admin = createDb(adminUrl, { max: 1 });
  await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin).catch(() => {});
  await admin.destroy();
}

/**
 * `ANALYZE` of a copy: this machine's Postgres runs with autovacuum off, so without it no table has
 * statistics and every plan is guessed (production's autovacuum analyses after the sync's inserts).
 */
export async function analyzeDatabase(url: string): Promise<void> {
  const db = createDb(url, { max: 1 });
  try {
    await sql`analyze`.execute(db);
  } finally {
    await db.destroy();
  }
}
