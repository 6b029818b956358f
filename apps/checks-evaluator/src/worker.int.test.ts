import {
  createConnection,
  createOrGetActiveSyncRun,
  getSyncRun,
  listCheckResults,
  listSyncProblems,
} from '@codecommit-evidence/evidence-store';
import {
  createActiveConnection,
  seedRoster,
  writeRunEvidence,
} from '@codecommit-evidence/evidence-views/test-support';
import {
  addSyncRunFlow,
  closeQueues,
  createFlowProducer,
  createQueues,
  createRedisConnection,
  createWorker,
  enqueue,
  jobIds,
  type Queues,
} from '@codecommit-evidence/queues';
import { useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import { type FlowProducer, QueueEvents, UnrecoverableError, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScheduledSync } from './processors/start-scheduled-sync.js';
import { createChecksWorker } from './worker.js';

const log = pino({ level: 'silent' });
const t = useTestDatabase();
const r = useTestRedis();

describe('the checks worker', () => {
  let producer: Redis;
  let workerRedis: Redis;
  let queues: Queues;
  let flow: FlowProducer;
  let checks: Worker;
  // The tests wait for BullMQ's own completion events, never for a fixed time: a loaded machine is slower.
  let events: QueueEvents;

  beforeAll(async () => {
    events = new QueueEvents('checks', {
      connection: { url: r.current.url, maxRetriesPerRequest: null } as never,
      prefix: r.current.prefix,
    });
    await events.waitUntilReady();
    producer = createRedisConnection(r.current.url, 'producer');
    workerRedis = createRedisConnection(r.current.url, 'worker');
    queues = createQueues(producer, r.current.prefix);
    flow = createFlowProducer(producer, r.current.prefix);
    checks = createChecksWorker({
      db: t.current.db,
      connection: workerRedis,
      prefix: r.current.prefix,
      flowProducer: flow,
      logger: log,
    });
  });
  afterAll(async () => {
    await checks?.close();
    await events?.close();
    await flow?.close();
    await closeQueues(queues);
    producer?.disconnect();
    workerRedis?.disconnect();
  });

  it('as the parent of a sync-run flow, learns from BullMQ which child failed for good and records a partial run', async () => {
    const db = t.current.db;
    const c = await createActiveConnection(db);
    await seedRoster(db, c.tenantId);
    const { run } = await createOrGetActiveSyncRun(db, c.connectionId, 'api');
    // Stand-ins for the two sync workers: repositories are denied for good, IAM writes its evidence.
    const repoSync = createWorker({
      queue: 'repo-sync',
      connection: workerRedis,
      prefix: r.current.prefix,
      logger: log,
      handlers: {
        'sync-repositories': async () => {
          throw new UnrecoverableError('access_denied: codecommit:ListRepositories');
        },
        'sync-repository': async () => undefined,
      },
    });
    const iamSync = createWorker({
      queue: 'iam-sync',
      connection: workerRedis,
      prefix: r.current.prefix,
      logger: log,
      handlers: {
        'sync-iam': async (p) => {
          await writeRunEvidence(db, p, { bobHasPolicy: true });
          return { ok: true };
        },
      },
    });
    try {
      const added = await addSyncRunFlow(
        flow,
        { connectionId: c.connectionId, runId: run.id },
        { childOptions: { attempts: 1 } },
      );
      await added.job.waitUntilFinished(events);
      const row = await db
        .selectFrom('check_runs')
        .select('id')
        .where('sync_run_id', '=', run.id)
        .executeTakeFirstOrThrow();
      const checkRunId = row.id;
      expect((await getSyncRun(db, run.id))?.status).toBe('partial');
      const problems = await listSyncProblems(db, run.id);
      expect(problems.map((p) => [p.step, p.code, p.resource])).toEqual([
        ['codecommit:repositories', 'sync_job_failed', 'sync-repositories'],
        ['codecommit:pull-requests', 'sync_job_failed', 'sync-repositories'],
        ['codecommit:approval-rule-templates', 'sync_job_failed', 'sync-repositories'],
      ]);
      expect(problems[0]?.message).toContain('access_denied: codecommit:ListRepositories');
      const checkRun = await db
        .selectFrom('check_runs')
        .selectAll()
        .where('id', '=', checkRunId)
        .executeTakeFirstOrThrow();
      expect(checkRun.partial).toBe(true);
      const statuses = Object.fromEntries(
        (await listCheckResults(db, checkRunId)).map((x) => [x.check_id, x.status]),
      );
      // IAM is complete: bob, offboarded, still has access. Review cannot be judged without repositories.
      expect(statuses['codecommit-offboarded-user-access']).toBe('fail');
      expect(statuses['codecommit-peer-review']).toBe('unknown');
      const job = await queues.checks.getJob(jobIds.evaluate(run.id));
      expect(await job?.getState()).toBe('completed');
      expect(job?.returnvalue).toMatchObject({ checkRunId, syncRunStatus: 'partial', reused: false });
    } finally {
      await repoSync.close();
      await iamSync.close();
    }
  });

  it('runs start-scheduled-sync from the queue: a run and its flow for an active connection', async () => {
    const db = t.current.db;
    const c = await createActiveConnection(db, 'scheduled');
    const job = await enqueue(queues, 'start-scheduled-sync', { connectionId: c.connectionId });
    const result = await job.waitUntilFinished(events);
    expect(result).toMatchObject({ started: true, runId: expect.any(Number) });
    const run = await getSyncRun(db, result.runId);
    expect(run).toMatchObject({ connection_id: c.connectionId, trigger: 'schedule', status: 'queued' });
    // The flow is in Redis: its parent waits for the two sync children.
    const parent = await queues.checks.getJob(jobIds.evaluate(result.runId));
    expect(await parent?.getState()).toBe('waiting-children');
    expect(await (await queues['repo-sync'].getJob(jobIds.syncRepositories(result.runId)))?.getState()).toBe(
      'waiting',
    );
    expect(await (await queues['iam-sync'].getJob(jobIds.syncIam(result.runId)))?.getState()).toBe('waiting');
  });
});

describe('startScheduledSync', () => {
  let producer: Redis;
  let flow: FlowProducer;
  let queues: Queues;
  beforeAll(() => {
    producer = createRedisConnection(r.current.url, 'producer');
    flow = createFlowProducer(producer, `${r.current.prefix}-direct`);
    queues = createQueues(producer, `${r.current.prefix}-direct`);
  });
  afterAll(async () => {
    await flow?.close();
    await closeQueues(queues);
    producer?.disconnect();
  });

  it('skips a connection that is not active or does not exist', async () => {
    const db = t.current.db;
    const c = await createActiveConnection(db, 'pending');
    const pending = await createConnection(db, { tenantId: c.tenantId, name: 'not connected yet' });
    const deps = { db, flowProducer: flow, log };
    expect(await startScheduledSync({ connectionId: pending.id }, deps)).toEqual({
      started: false,
      reason: 'connection_not_active',
      status: 'pending',
    });
    expect(
      await db.selectFrom('sync_runs').select('id').where('connection_id', '=', pending.id).execute(),
    ).toEqual([]);
    expect(await startScheduledSync({ connectionId: '00000000-0000-4000-8000-000000000000' }, deps)).toEqual({
      started: false,
      reason: 'connection_not_found',
    });
  });

  it('starts nothing while a run is active, and re-adds the flow of a run still queued', async () => {
    const db = t.current.db;
    const c = await createActiveConnection(db, 'busy');
    const deps = { db, flowProducer: flow, log };
    const first = await startScheduledSync({ connectionId: c.connectionId }, deps);
    expect(first).toMatchObject({ started: true });
    const runId = (first as { runId: number }).runId;
    // The flow of the queued run is lost (as if the process died between the run and the flow).
    await (await queues.checks.getJob(jobIds.evaluate(runId)))?.remove({ removeChildren: true });
    expect(await queues.checks.getJob(jobIds.evaluate(runId))).toBeUndefined();
    const second = await startScheduledSync({ connectionId: c.connectionId }, deps);
    expect(second).toEqual({ started: false, runId, reason: 'sync_already_active' });
    expect(await (await queues.checks.getJob(jobIds.evaluate(runId)))?.getState()).toBe('waiting-children');
    expect(
      await db.selectFrom('sync_runs').select('id').where('connection_id', '=', c.connectionId).execute(),
    ).toHaveLength(1);
  });
});
