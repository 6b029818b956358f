import { useTestRedis } from '@codecommit-evidence/testing';
import { type Job, QueueEvents, type Worker } from 'bullmq';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { jobIds } from './catalog.js';
import {
  addSyncRunFlow,
  closeQueues,
  createFlowProducer,
  createQueues,
  enqueue,
  InvalidJobPayloadError,
  type Queues,
  removeSyncSchedule,
  upsertSyncSchedule,
} from './producers.js';
import { createRedisConnection } from './redis.js';
import { closeWorkerGracefully, createWorker, type HandlersFor } from './worker.js';

const logger = pino({ level: 'silent' });
const connectionId = '5b1f4c1e-7c59-4a4e-9d5b-0a6f7d2f9d11';

describe('queues', () => {
  const r = useTestRedis();
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  const setup = () => {
    const producer = createRedisConnection(r.current.url, 'producer');
    const workerConn = createRedisConnection(r.current.url, 'worker');
    const queues = createQueues(producer, r.current.prefix);
    cleanup.push(async () => {
      await closeQueues(queues);
      producer.disconnect();
      workerConn.disconnect();
    });
    return { queues, workerConn };
  };
  const startWorker = <Q extends 'repo-sync' | 'iam-sync' | 'checks'>(
    workerConn: ReturnType<typeof createRedisConnection>,
    queue: Q,
    handlers: HandlersFor<Q>,
  ): Worker => {
    const w = createWorker({ queue, handlers, connection: workerConn, prefix: r.current.prefix, logger });
    cleanup.push(() => w.close(true));
    return w;
  };
  const events = async (_queues: Queues, name: keyof Queues) => {
    // QueueEvents blocks on XREAD: it needs a worker-style connection of its own.
    const e = new QueueEvents(name, {
      connection: { url: r.current.url, maxRetriesPerRequest: null } as never,
      prefix: r.current.prefix,
    });
    await e.waitUntilReady();
    cleanup.push(() => e.close());
    return e;
  };

  it('the producer rejects a bad payload, naming the field, and adds nothing', async () => {
    const { queues } = setup();
    await expect(enqueue(queues, 'sync-iam', { connectionId: 'not-a-uuid', runId: 1 })).rejects.toThrow(
      InvalidJobPayloadError,
    );
    await expect(enqueue(queues, 'sync-iam', { connectionId, runId: -3 })).rejects.toThrow(/runId/);
    expect(await queues['iam-sync'].count()).toBe(0);
  });

  it('the consumer fails a bad payload for good (no retries), without calling the handler', async () => {
    const { queues, workerConn } = setup();
    let called = 0;
    const e = await events(queues, 'iam-sync');
    // Bypasses the producer's validation, as a foreign producer or an old job in Redis would.
    const job = await queues['iam-sync'].add('sync-iam', { connectionId, runId: 'seven' }, { attempts: 5 });
    startWorker(workerConn, 'iam-sync', {
      'sync-iam': async () => {
        called++;
      },
    });
    await expect(job.waitUntilFinished(e, 10_000)).rejects.toThrow(/runId/);
    const failed = (await queues['iam-sync'].getJob(job.id!)) as Job;
    expect(failed.attemptsMade).toBe(1);
    expect(called).toBe(0);
  });

  it('refuses to start a worker when a job of its queue has no handler', () => {
    const { workerConn } = setup();
    expect(() =>
      createWorker({
        queue: 'repo-sync',
        // @ts-expect-error: the missing handler is the point of the test
        handlers: { 'sync-repositories': async () => {} },
        connection: workerConn,
        prefix: r.current.prefix,
        logger,
      }),
    ).toThrow(/no handler for: sync-repository/);
  });

  it('processes a duplicated job id once', async () => {
    const { queues, workerConn } = setup();
    const seen: number[] = [];
    const e = await events(queues, 'iam-sync');
    const opts = { jobId: jobIds.syncIam(42) };
    const a = await enqueue(queues, 'sync-iam', { connectionId, runId: 42 }, opts);
    const b = await enqueue(queues, 'sync-iam', { connectionId, runId: 42 }, opts);
    expect(b.id).toBe(a.id);
    startWorker(workerConn, 'iam-sync', {
      'sync-iam': async (p) => {
        seen.push(p.runId);
      },
    });
    await a.waitUntilFinished(e, 10_000);
    // Added again after completion: still the same job, not run again.
    await enqueue(queues, 'sync-iam', { connectionId, runId: 42 }, opts);
    await new Promise((res) => setTimeout(res, 300));
    expect(seen).toEqual([42]);
  });

  it('graceful shutdown lets the active job finish', async () => {
    const { queues, workerConn } = setup();
    let started!: () => void;
    const running = new Promise<void>((res) => {
      started = res;
    });
    let finished = false;
    const w = startWorker(workerConn, 'iam-sync', {
      'sync-iam': async () => {
        started();
        await new Promise((res) => setTimeout(res, 500));
        finished = true;
        return 'ok';
      },
    });
    const job = await enqueue(queues, 'sync-iam', { connectionId, runId: 7 });
    await running;
    expect(await closeWorkerGracefully(w, 5_000)).toBe('drained');
    expect(finished).toBe(true);
    expect(await (await queues['iam-sync'].getJob(job.id!))!.getState()).toBe('completed');
  });

  it('a sync run flow evaluates after both children, and still evaluates (partial) when one fails for good', async () => {
    const { queues, workerConn } = setup();
    const flow = createFlowProducer(workerConn, r.current.prefix);
    cleanup.push(() => flow.close());
    const order: string[] = [];
    const evaluated: { runId: number; failures: Record<string, string> }[] = [];
    startWorker(workerConn, 'repo-sync', {
      'sync-repositories': async () => {
        order.push('repositories');
      },
      'sync-repository': async () => {},
    });
    startWorker(workerConn, 'iam-sync', {
      'sync-iam': async (p) => {
        order.push('iam');
        if (p.runId === 2) throw new Error('AccessDenied forever');
      },
    });
    const e = await events(queues, 'checks');
    startWorker(workerConn, 'checks', {
      'evaluate-checks': async (p, { job }) => {
        order.push('evaluate');
        evaluated.push({ runId: p.runId, failures: await job.getIgnoredChildrenFailures() });
      },
      'start-scheduled-sync': async () => {},
    });

    const ok = await addSyncRunFlow(flow, { connectionId, runId: 1 });
    await ok.job.waitUntilFinished(e, 15_000);
    expect(order.at(-1)).toBe('evaluate');
    expect(order.slice(0, 2).sort()).toEqual(['iam', 'repositories']);

    // Retried, then failed for good; short backoff keeps the test quick.
    const partial = await addSyncRunFlow(
      flow,
      { connectionId, runId: 2 },
      { childOptions: { attempts: 2, backoff: { type: 'fixed', delay: 50 } } },
    );
    await partial.job.waitUntilFinished(e, 15_000);
    const second = evaluated.find((x) => x.runId === 2)!;
    expect(Object.values(second.failures).join()).toMatch(/AccessDenied forever/);
    // Adding the same run again adds nothing new.
    const again = await addSyncRunFlow(flow, { connectionId, runId: 1 });
    expect(again.job.id).toBe(jobIds.evaluate(1));
    expect(evaluated.filter((x) => x.runId === 1)).toHaveLength(1);
  });

  it('schedules a connection one interval from now, and re-scheduling replaces it without firing', async () => {
    const { queues } = setup();
    const before = Date.now();
    await upsertSyncSchedule(queues, connectionId, 360);
    await upsertSyncSchedule(queues, connectionId, 720);
    const schedulers = await queues.checks.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]!.every).toBe(720 * 60_000);
    const delayed = await queues.checks.getDelayed();
    expect(delayed).toHaveLength(1);
    expect(delayed[0]!.timestamp + (delayed[0]!.opts.delay ?? 0)).toBeGreaterThanOrEqual(
      before + 720 * 60_000 - 1_000,
    );
    expect(await queues.checks.getWaitingCount()).toBe(0);
    expect(await removeSyncSchedule(queues, connectionId)).toBe(true);
  });
});
