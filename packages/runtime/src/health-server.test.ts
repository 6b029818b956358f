import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type HealthServer, startHealthServer } from './health-server.js';
import { createWorkerMetrics } from './worker-metrics.js';

describe('the worker health server', () => {
  const servers: HealthServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  const start = async (options: Partial<Parameters<typeof startHealthServer>[0]> = {}) => {
    const metrics = createWorkerMetrics();
    const server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      registry: metrics.registry,
      liveness: {},
      readiness: {},
      ...options,
    });
    servers.push(server);
    const get = async (path: string, method = 'GET') => {
      const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { method });
      return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
    };
    return { server, metrics, get };
  };

  it('answers 200 while every probe passes, 503 naming each failing probe and its reason', async () => {
    let redisUp = true;
    const { get } = await start({
      liveness: { process: () => {} },
      readiness: {
        redis: () => {
          if (!redisUp) throw new Error('REDIS_URL: connection refused');
        },
        postgres: async () => {},
      },
    });
    expect(await get('/healthz')).toMatchObject({ status: 200, body: '{"status":"ok"}' });
    expect(await get('/readyz')).toMatchObject({ status: 200, body: '{"status":"ok"}' });
    redisUp = false;
    const down = await get('/readyz');
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toEqual({
      status: 'unavailable',
      failing: { redis: 'REDIS_URL: connection refused' },
    });
    // Liveness does not depend on readiness probes: a Redis outage is no reason to restart.
    expect((await get('/healthz')).status).toBe(200);
  });

  it('fails a probe that does not answer within its bound', async () => {
    const { get } = await start({
      probeTimeoutMs: 50,
      readiness: { postgres: () => new Promise<void>(() => {}) },
    });
    const res = await get('/readyz');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body).failing.postgres).toContain('no answer within 50 ms');
  });

  it('serves the Prometheus registry: jobs, AWS calls, rate-limit waits and queue depth', async () => {
    const { get, metrics } = await start();
    metrics.recordJob('repo-sync', 'sync-repository', 'completed', 0.2);
    metrics.recordJob('repo-sync', 'sync-repository', 'failed', 1.5);
    metrics.recordAwsCall('codecommit:ListRepositories');
    metrics.recordAwsCall('codecommit:ListRepositories', 'throttled');
    metrics.recordAwsCall('iam:ListUsers', 'failed');
    const totals = { permits: 10, waits: 3, waitedMs: 1500, timeouts: 1 };
    metrics.observeRateLimiter(() => totals);
    metrics.observeQueueDepth('repo-sync', async () => ({ wait: 7, delayed: 2 }));
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toContain('text/plain');
    for (const line of [
      'cce_jobs_completed_total{queue="repo-sync",job="sync-repository"} 1',
      'cce_jobs_failed_total{queue="repo-sync",job="sync-repository"} 1',
      'cce_job_duration_seconds_count{queue="repo-sync",job="sync-repository",outcome="failed"} 1',
      'cce_aws_calls_total{operation="codecommit:ListRepositories"} 1',
      'cce_aws_throttled_total{operation="codecommit:ListRepositories"} 1',
      'cce_aws_call_failures_total{operation="iam:ListUsers"} 1',
      'cce_rate_limit_waits_total 3',
      'cce_rate_limit_wait_seconds_total 1.5',
      'cce_rate_limit_timeouts_total 1',
      'cce_queue_jobs{queue="repo-sync",state="wait"} 7',
      'cce_queue_jobs{queue="repo-sync",state="delayed"} 2',
      'process_cpu_user_seconds_total',
    ])
      expect(res.body).toContain(line);
    // Counters fed from cumulative totals add only what grew between scrapes.
    totals.waits = 5;
    expect((await get('/metrics')).body).toContain('cce_rate_limit_waits_total 5');
  });

  it('keeps scraping when the queue depth cannot be read', async () => {
    const { get, metrics } = await start();
    metrics.observeQueueDepth('checks', () => Promise.reject(new Error('redis down')));
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.body).not.toContain('cce_queue_jobs{');
  });

  it('answers 404 elsewhere and 405 to anything but GET and HEAD', async () => {
    const { get } = await start();
    expect((await get('/')).status).toBe(404);
    expect((await get('/healthz', 'POST')).status).toBe(405);
    expect((await get('/healthz', 'HEAD')).status).toBe(200);
  });

  it('names HEALTH_PORT when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(start({ port })).rejects.toThrow(/HEALTH_PORT: cannot listen on 127\.0\.0\.1:\d+/);
    } finally {
      blocker.close();
    }
  });
});
