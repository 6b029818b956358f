import { createWorkerMetrics } from '@codecommit-evidence/runtime';
import { useTestRedis } from '@codecommit-evidence/testing';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { QUEUES } from './catalog.js';
import { serveWorkerHealth, waitListKey } from './observability.js';
import { createRedisConnection } from './redis.js';
import { createWorker } from './worker.js';

const logger = pino({ level: 'silent' });
const connectionId = '5b1f4c1e-7c59-4a4e-9d5b-0a6f7d2f9d11';

/** Runs a worker made with `autorun: false` as autorun would: a failed main loop is an 'error' event, not an unhandled rejection. */
const runWorker = (worker: { run(): Promise<unknown>; emit(event: 'error', err: Error): boolean }) =>
  worker.run().catch((err: Error) => worker.emit('error', err));

describe("a worker's health and metrics server", () => {
  const r = useTestRedis();
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  const setup = async (handler: (runId: number) => Promise<unknown>) => {
    const connection = createRedisConnection(r.current.url, 'worker');
    connection.on('error', () => {});
    cleanup.push(async () => connection.disconnect());
    const worker = createWorker({
      queue: QUEUES.iamSync,
      handlers: { 'sync-iam': (p) => handler(p.runId) },
      connection,
      prefix: r.current.prefix,
      logger,
      workerOptions: { autorun: false },
    });
    cleanup.push(() => worker.close(true));
    const metrics = createWorkerMetrics();
    const server = await serveWorkerHealth({
      worker,
      queue: QUEUES.iamSync,
      connection,
      prefix: r.current.prefix,
      metrics,
      host: '127.0.0.1',
      port: 0,
      logger,
    });
    cleanup.push(() => server.close());
    const producer = new Queue(QUEUES.iamSync, {
      connection: { url: r.current.url } as never,
      prefix: r.current.prefix,
    });
    cleanup.push(() => producer.close());
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${server.port}${path}`);
      return { status: res.status, body: await res.text() };
    };
    return { worker, connection, producer, get };
  };

  it('counts jobs by name and outcome, and reports the wait list KEDA reads', async () => {
    const { worker, producer, get } = await setup(async (runId) => {
      if (runId === 2) throw new Error('boom');
      return 'ok';
    });
    await producer.add('sync-iam', { connectionId, runId: 1 }, { jobId: 'one' });
    await producer.add('sync-iam', { connectionId, runId: 2 }, { jobId: 'two', attempts: 1 });
    await producer.add('sync-iam', { connectionId, runId: 3 }, { jobId: 'three', delay: 60_000 });
    // Before the worker runs: two jobs wait, in the very list the ScaledObject names.
    expect(await r.current.redis.llen(waitListKey(r.current.prefix, QUEUES.iamSync))).toBe(2);
    const before = await get('/metrics');
    expect(before.body).toContain('cce_queue_jobs{queue="iam-sync",state="wait"} 2');
    expect(before.body).toContain('cce_queue_jobs{queue="iam-sync",state="delayed"} 1');
    // Not consuming yet: not ready, and not alive either (a worker that never runs should be restarted).
    expect((await get('/readyz')).status).toBe(503);
    expect((await get('/healthz')).status).toBe(503);

    const settled = new Promise<void>((resolve) => {
      let n = 0;
      const done = () => {
        if (++n === 2) resolve();
      };
      worker.on('completed', done);
      worker.on('failed', done);
    });
    void runWorker(worker);
    await settled;
    const after = await get('/metrics');
    expect(after.body).toContain('cce_jobs_completed_total{queue="iam-sync",job="sync-iam"} 1');
    expect(after.body).toContain('cce_jobs_failed_total{queue="iam-sync",job="sync-iam"} 1');
    expect(after.body).toContain(
      'cce_job_duration_seconds_count{queue="iam-sync",job="sync-iam",outcome="completed"} 1',
    );
    expect(after.body).toContain('cce_queue_jobs{queue="iam-sync",state="wait"} 0');
    expect(await get('/readyz')).toEqual({ status: 200, body: '{"status":"ok"}' });
    expect((await get('/healthz')).status).toBe(200);
  });

  it('is not alive once its Redis connection has ended, and says so', async () => {
    const { worker, connection, get } = await setup(async () => 'ok');
    // Ending the connection makes run() reject with "Connection is closed"; unhandled, vitest
    // counts that rejection as an error of the whole run (CI failed on it once).
    void runWorker(worker);
    for (let i = 0; i < 50 && !worker.isRunning(); i++) await new Promise((res) => setTimeout(res, 20));
    expect((await get('/healthz')).status).toBe(200);
    connection.disconnect();
    for (let i = 0; i < 50 && connection.status !== 'end'; i++)
      await new Promise((res) => setTimeout(res, 20));
    const live = await get('/healthz');
    expect(live.status).toBe(503);
    expect(JSON.parse(live.body).failing.redis).toContain('REDIS_URL');
    expect((await get('/readyz')).status).toBe(503);
  });
});
