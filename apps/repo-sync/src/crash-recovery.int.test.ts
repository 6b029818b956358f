import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createOrGetActiveSyncRun, getSyncRun, selectCurrent } from '@codecommit-evidence/evidence-store';
import { type FakeAws, startFakeAws } from '@codecommit-evidence/fake-aws';
import {
  closeQueues,
  createQueues,
  createRedisConnection,
  enqueue,
  jobIds,
  type Queues,
} from '@codecommit-evidence/queues';
import { clockEnv, useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActiveConnection, currentEvidence } from '../test-support/harness.js';
import { expectedEvidence, ROLES, testScenario } from '../test-support/scenario.js';

const appDir = fileURLToPath(new URL('..', import.meta.url));

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The worker as production runs it, in a process of its own (TypeScript sources through tsx). */
function startWorkerProcess(env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/index.ts'], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? '', HEALTH_PORT: '0', ...clockEnv(), ...env }, // any free port: runs in parallel
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

async function waitFor(
  what: string,
  fn: () => Promise<boolean>,
  timeoutMs: number,
  proc?: Proc,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${proc?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('repo-sync worker process', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  let fake: FakeAws;
  let producer: Redis;
  let queues: Queues;
  const scenario = testScenario({ repos: 12, prsPerRepo: 8, seed: 5 });
  const env = () => ({
    DATABASE_URL: t.current.url,
    REDIS_URL: r.current.url,
    QUEUE_PREFIX: r.current.prefix,
    AWS_ENDPOINT_URL: fake.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: fake.platformCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: fake.platformCredentials.secretAccessKey,
    LOG_LEVEL: 'warn',
    REPO_SYNC_CONCURRENCY: '4',
    // The killed process's gate slots come back after twice the lock duration.
    REPO_SYNC_JOBS_PER_CONNECTION: '4',
    // Short locks: a killed worker's jobs are taken over within seconds instead of 30 s.
    REPO_SYNC_LOCK_DURATION_MS: '2000',
    CODECOMMIT_RPS: '200',
    // Room for the concurrency leases the killed process still holds (they expire after 120 s).
    AWS_ACCOUNT_CONCURRENCY: '64',
    SHUTDOWN_TIMEOUT_MS: '5000',
  });

  beforeAll(async () => {
    // Latency stretches the run so that the kill lands in the middle of it.
    fake = await startFakeAws({ scenario, latencyMs: 40 });
    producer = createRedisConnection(r.current.url, 'producer');
    queues = createQueues(producer, r.current.prefix);
  });
  afterAll(async () => {
    await closeQueues(queues);
    producer?.disconnect();
    await fake?.close();
  });

  it('a worker killed mid-run (SIGKILL) leaves a run that completes on restart, with no duplicate rows', async () => {
    const db = t.current.db;
    const connectionId = await createActiveConnection(db, ROLES[0]);
    const { run } = await createOrGetActiveSyncRun(db, connectionId, 'api');
    const jobId = jobIds.syncRepositories(run.id);
    await enqueue(queues, 'sync-repositories', { connectionId, runId: run.id }, { jobId });
    const total = scenario.account.regions['us-east-1']!.pullRequests.length;
    const prCount = async () =>
      (await selectCurrent(db, 'pull_requests', connectionId).select('pull_request_id').execute()).length;

    const first = startWorkerProcess(env());
    await waitFor('some pull requests stored', async () => (await prCount()) >= 16, 45_000, first);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const stored = await prCount();
    expect(stored).toBeLessThan(total);
    expect(await (await queues['repo-sync'].getJob(jobId))!.getState()).not.toBe('completed');

    const second = startWorkerProcess(env());
    try {
      await waitFor(
        'the run to complete after the restart',
        async () => (await (await queues['repo-sync'].getJob(jobId))?.getState()) === 'completed',
        60_000,
        second,
      );
    } finally {
      second.child.kill('SIGTERM');
    }
    // SIGTERM: orderly shutdown, exit code 128 + 15.
    expect((await second.exited).code).toBe(143);

    expect(await currentEvidence(db, connectionId)).toEqual(expectedEvidence(scenario));
    // One run: every resource has exactly one row, no duplicate and no rewritten leftover.
    for (const table of ['repositories', 'branches', 'pull_requests', 'pull_request_approvals'] as const) {
      const all = await db.selectFrom(table).select('id').where('connection_id', '=', connectionId).execute();
      const current = await selectCurrent(db, table, connectionId).select('id').execute();
      expect(all.length, table).toBe(current.length);
    }
    const finished = await getSyncRun(db, run.id);
    expect(finished?.steps['codecommit:repositories']?.status).toBe('succeeded');
  }, 120_000);

  it('refuses to start on bad configuration or an unreachable database, naming the variable', async () => {
    const bad = startWorkerProcess({ ...env(), REPO_SYNC_CONCURRENCY: '0', DATABASE_URL: 'mysql://x' });
    // EX_CONFIG: a configuration error, not worth restarting for.
    expect((await bad.exited).code).toBe(78);
    expect(bad.output()).toMatch(/REPO_SYNC_CONCURRENCY/);
    expect(bad.output()).toMatch(/DATABASE_URL/);
    const down = startWorkerProcess({ ...env(), DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' });
    expect((await down.exited).code).toBe(1);
    expect(down.output()).toMatch(/DATABASE_URL: cannot reach Postgres/);
  }, 60_000);
});
