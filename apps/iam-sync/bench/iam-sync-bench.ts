/**
 * The IAM sync benchmark behind `pnpm bench:iam-sync` (entry: scripts/bench-iam-sync.ts). Generates an
 * account of N users in fake-aws with an IAM rate limit, then syncs it once through each path
 * (GetAccountAuthorizationDetails; the per-entity calls, with GetAccountAuthorizationDetails denied)
 * with the real handler, SDK clients, Redis-shared rate limiter and Postgres, and prints the calls per
 * operation, throttles, and elapsed time of each. Not part of `pnpm test`; not built into dist.
 */

import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createDb, getAwsCalls, getSyncRun, migrateToLatest } from '@codecommit-evidence/evidence-store';
import { startFakeAws } from '@codecommit-evidence/fake-aws';
import { createRedisConnection } from '@codecommit-evidence/queues';
import { createSyncWorkerDeps } from '@codecommit-evidence/sync-support';
import { sql } from 'kysely';
import type { IamSyncSettings } from '../src/processors/sync-iam.js';
import {
  connectionWithRun,
  iamScenario,
  ROLES,
  runToCompletion,
  silentLogger,
} from '../test-support/iam-fixture.js';

interface PathResult {
  path: string;
  elapsedMs: number;
  identitiesMs: number;
  calls: Record<string, { calls: number; throttled: number }>;
  fakeThrottled: number;
  users: number;
  steps: Record<string, string>;
}

export async function runIamSyncBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      users: { type: 'string', default: '2000' },
      'iam-rps': { type: 'string', default: '50' },
      'latency-ms': { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '8' },
      json: { type: 'boolean', default: false },
    },
  });
  const users = Number(values.users);
  const iamRps = Number(values['iam-rps']);
  const latencyMs = Number(values['latency-ms']);
  const concurrency = Number(values.concurrency);
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

  const dbName = `cce_bench_iam_${randomBytes(4).toString('hex')}`;
  const admin = createDb(adminUrl, { max: 1 });
  await sql`create database ${sql.id(dbName)}`.execute(admin);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const db = createDb(url.toString(), { max: 10 });
  const redis = createRedisConnection(redisUrl, 'worker');
  const prefix = `{cce-bench-${randomBytes(4).toString('hex')}}`;
  const scenario = iamScenario(users);
  const fake = await startFakeAws({
    scenario,
    latencyMs,
    // The fake answers AWS's own Throttling error above this rate: our limiter must keep under it.
    rates: { iam: iamRps, sts: 10 },
    credentialReportDelayMs: 3_000,
  });
  const settings: IamSyncSettings = {
    callConcurrency: concurrency,
    credentialReport: { pollIntervalMs: 1_000, maxWaitMs: 120_000, maxPolls: 120 },
  };
  const results: PathResult[] = [];
  try {
    await migrateToLatest(db);
    const deps = createSyncWorkerDeps({
      db,
      redis,
      logger: silentLogger,
      keyPrefix: prefix,
      limits: {
        codecommitRps: 8,
        iamRps,
        accountConcurrency: concurrency,
        maxAttempts: 5,
        maxWaitMs: 120_000,
      },
      endpoint: fake.url,
      platformCredentials: fake.platformCredentials,
    });
    for (const [label, role] of [
      ['GetAccountAuthorizationDetails', ROLES.full],
      ['per-entity calls (GetAccountAuthorizationDetails denied)', ROLES.noAuthorizationDetails],
    ] as const) {
      // A fresh world for each path: same account, no credential report yet, rate buckets full.
      fake.setScenario(scenario);
      fake.resetStats();
      const c = await connectionWithRun(db, role);
      const started = performance.now();
      await runToCompletion(c, { ...deps, settings });
      const elapsedMs = performance.now() - started;
      const run = await getSyncRun(db, c.runId);
      const identitiesMs =
        Date.parse(run?.steps['iam:git-credentials']?.finishedAt ?? '') -
        Date.parse(run?.steps['iam:authorization-details']?.startedAt ?? '');
      const fakeStats = fake.stats();
      results.push({
        path: label,
        elapsedMs,
        identitiesMs,
        calls: await getAwsCalls(db, c.runId),
        fakeThrottled: Object.values(fakeStats.throttled).reduce((a, b) => a + b, 0),
        users: (
          await db.selectFrom('iam_users').select('id').where('connection_id', '=', c.connectionId).execute()
        ).length,
        steps: Object.fromEntries(Object.entries(run?.steps ?? {}).map(([k, v]) => [k, v.status])),
      });
    }
    deps.aws.destroy();
  } finally {
    await fake.close();
    await db.destroy();
    await sql`drop database if exists ${sql.id(dbName)} with (force)`.execute(admin);
    await admin.destroy();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  }

  if (values.json) {
    console.log(JSON.stringify({ users, iamRps, latencyMs, concurrency, results }, null, 2));
    return;
  }
  console.log(
    `IAM sync benchmark: ${users} users; fake IAM limited to ${iamRps} requests/s (our per-account limiter ` +
      `set to the same), ${latencyMs} ms latency per response, ${concurrency} calls in flight per account.\n`,
  );
  for (const r of results) {
    const total = Object.values(r.calls).reduce((a, c) => a + c.calls, 0);
    const throttled = Object.values(r.calls).reduce((a, c) => a + c.throttled, 0);
    console.log(`## ${r.path}`);
    console.log(
      `   ${r.users} users stored; ${total} calls (${throttled} throttled answers); ` +
        `identities + SSH keys + Git credentials ${(r.identitiesMs / 1000).toFixed(1)} s; ` +
        `whole job ${(r.elapsedMs / 1000).toFixed(1)} s (includes waiting ~3 s for the credential report)`,
    );
    for (const [op, c] of Object.entries(r.calls).sort(([a], [b]) => (a < b ? -1 : 1))) {
      console.log(
        `   ${op.padEnd(40)} ${String(c.calls).padStart(6)}${c.throttled ? `  (${c.throttled} throttled)` : ''}`,
      );
    }
    console.log(
      `   steps: ${Object.entries(r.steps)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}\n`,
    );
  }
}

async function deleteKeys(redis: ReturnType<typeof createRedisConnection>, prefix: string): Promise<void> {
  let cursor = '0';
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
