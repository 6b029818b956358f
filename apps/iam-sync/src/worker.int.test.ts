import { getAwsCalls, selectCurrent } from '@codecommit-evidence/evidence-store';
import type { FakeAws } from '@codecommit-evidence/fake-aws';
import {
  closeQueues,
  createQueues,
  createRedisConnection,
  enqueue,
  jobIds,
  type Queues,
} from '@codecommit-evidence/queues';
import { useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import { QueueEvents, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectionWithRun,
  ROLES,
  silentLogger,
  startIamFake,
  testSettings,
  testSyncDeps,
} from '../test-support/iam-fixture.js';
import type { SyncIamResult } from './processors/sync-iam.js';
import { IamSyncProgress } from './processors/sync-iam.js';
import { createIamSyncWorker } from './worker.js';

const REPORT_DELAY_MS = 10 * 60_000;
let clockOffsetMs = 0;

describe('iam-sync worker', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  let fake: FakeAws;
  let producer: Redis;
  let workerConnection: Redis;
  let queues: Queues;
  let events: QueueEvents;
  let worker: Worker | undefined;

  beforeAll(async () => {
    // A report that is generating until the test says otherwise: the fake's clock runs with the real
    // one plus an offset the test moves past the report's delay once the first job has polled twice, so
    // a loaded machine (slow jobs, late polls) cannot see the report finished before it was waited for.
    fake = await startIamFake({
      credentialReportDelayMs: REPORT_DELAY_MS,
      clock: () => Date.now() + clockOffsetMs,
    });
    producer = createRedisConnection(r.current.url, 'producer');
    workerConnection = createRedisConnection(r.current.url, 'worker');
    queues = createQueues(producer, r.current.prefix);
    events = new QueueEvents('iam-sync', {
      connection: { url: r.current.url, maxRetriesPerRequest: null } as never,
      prefix: r.current.prefix,
    });
    await events.waitUntilReady();
  });
  afterAll(async () => {
    await worker?.close();
    await events?.close();
    await closeQueues(queues);
    producer?.disconnect();
    workerConnection?.disconnect();
    await fake?.close();
  });

  it('re-schedules a job waiting for its credential report, so a second job completes meanwhile on a one-slot worker', async () => {
    const deps = {
      ...testSyncDeps(t.current.db, workerConnection, r.current.prefix, fake),
      settings: { ...testSettings({ pollIntervalMs: 300 }), pageSize: undefined },
    };
    worker = createIamSyncWorker({
      deps,
      connection: workerConnection,
      prefix: r.current.prefix,
      logger: silentLogger,
      concurrency: 1,
    });
    const waiting = await connectionWithRun(t.current.db, ROLES.full);
    // This role may not read the credential report: its job never waits.
    const quick = await connectionWithRun(t.current.db, ROLES.limited);
    const a = await enqueue(queues, 'sync-iam', waiting, { jobId: jobIds.syncIam(waiting.runId) });
    const b = await enqueue(queues, 'sync-iam', quick, { jobId: jobIds.syncIam(quick.runId) });

    const quickResult = (await b.waitUntilFinished(events, 20_000)) as SyncIamResult;
    expect(quickResult.credentialReport.status).toBe('failed');
    // The first job was taken first (its identities are written and it is polling for the report),
    // yet the second one finished before it on the single slot: the wait is parked in Redis.
    const meanwhile = (await queues['iam-sync'].getJob(a.id!))!;
    expect(['delayed', 'waiting', 'active']).toContain(await meanwhile.getState());
    expect(IamSyncProgress.safeParse(meanwhile.progress).success).toBe(true);

    // Let the report finish once the waiting job has polled at least twice.
    await expect
      .poll(
        async () => {
          const job = await queues['iam-sync'].getJob(a.id!);
          const parsed = IamSyncProgress.safeParse(job?.progress);
          return parsed.success ? parsed.data.polls : 0;
        },
        { timeout: 20_000, interval: 100 },
      )
      .toBeGreaterThanOrEqual(2);
    clockOffsetMs = REPORT_DELAY_MS;

    const result = (await a.waitUntilFinished(events, 20_000)) as SyncIamResult;
    expect(result.credentialReport.status).toBe('stored');
    const finished = (await queues['iam-sync'].getJob(a.id!))!;
    const progress = IamSyncProgress.parse(finished.progress);
    expect(progress.polls).toBeGreaterThanOrEqual(2);
    // Several executions, one attempt: re-schedules do not use up the job's retries.
    expect(finished.attemptsStarted).toBeGreaterThanOrEqual(progress.polls + 1);
    expect(finished.attemptsMade).toBe(1);
    expect(finished.data).toEqual(waiting);

    // Identities were fetched once (one page each) however often the job ran; every execution's
    // calls were added to the run.
    expect(fake.stats().calls['iam:GetAccountAuthorizationDetails']).toBe(2);
    const calls = await getAwsCalls(t.current.db, waiting.runId);
    expect(calls['iam:GetAccountAuthorizationDetails']?.calls).toBe(1);
    expect(calls['iam:GetCredentialReport']?.calls).toBeGreaterThanOrEqual(progress.polls + 1);
    const rows = await selectCurrent(t.current.db, 'iam_credential_report_rows', waiting.connectionId)
      .selectAll()
      .execute();
    expect(rows.length).toBeGreaterThan(1);
  }, 40_000);
});
