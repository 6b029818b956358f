import {
  EXIT_UNAVAILABLE,
  type HealthServer,
  type Logger,
  type Probe,
  type Shutdown,
  startHealthServer,
  type WorkerMetrics,
} from '@codecommit-evidence/runtime';
import { Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueName } from './catalog.js';
import { closingWhenReady } from './producers.js';

/** Job states reported as queue depth; `wait` is the list KEDA scales on (see `waitListKey`). */
export const QUEUE_DEPTH_STATES = [
  'wait',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'failed',
] as const;

/**
 * The Redis list that holds a queue's waiting jobs: BullMQ keys are `<prefix>:<queue>:<type>`. The
 * Kubernetes ScaledObjects name this key; a test renders them and compares with this function.
 */
export function waitListKey(prefix: string, queue: QueueName): string {
  return `${prefix}:${queue}:wait`;
}

export interface ServeWorkerHealthOptions {
  worker: Worker;
  queue: QueueName;
  connection: Redis;
  prefix: string;
  metrics: WorkerMetrics;
  host: string;
  port: number;
  logger: Logger;
  /** More readiness probes (Postgres), each rejecting with a message that names its variable. */
  readiness?: Record<string, Probe>;
}

/**
 * A worker's `/healthz`, `/readyz` and `/metrics`: counts its jobs, reads its queue's depth at scrape
 * time, and answers the probes.
 * - healthz: the worker still consumes (not closed) and its Redis connection is not ended for good
 *   (ioredis reconnects by itself; `end` means it gave up, so only a restart helps).
 * - readyz: Redis answers PING, the worker is running, and every extra probe passes.
 */
export async function serveWorkerHealth(options: ServeWorkerHealthOptions): Promise<HealthServer> {
  const { worker, queue, connection, metrics } = options;
  const durationOf = (job: { processedOn?: number | undefined; finishedOn?: number | undefined }) =>
    job.processedOn && job.finishedOn ? (job.finishedOn - job.processedOn) / 1000 : undefined;
  worker.on('completed', (job) => metrics.recordJob(queue, job.name, 'completed', durationOf(job)));
  worker.on('failed', (job) => {
    if (job) metrics.recordJob(queue, job.name, 'failed', durationOf(job));
  });

  // Its own Queue object on the worker's connection: reading counts only, never adding.
  const depth = closingWhenReady(new Queue(queue, { connection, prefix: options.prefix }));
  depth.on('error', () => {});
  metrics.observeQueueDepth(queue, () => depth.getJobCounts(...QUEUE_DEPTH_STATES));

  const redisAlive: Probe = () => {
    if (connection.status === 'end') throw new Error('REDIS_URL: the Redis connection is closed');
  };
  const workerRunning: Probe = () => {
    if (!worker.isRunning()) throw new Error(`the ${queue} worker is not consuming`);
  };
  const redisAnswers: Probe = async () => {
    if (connection.status !== 'ready') throw new Error(`REDIS_URL: Redis connection is ${connection.status}`);
    await connection.ping();
  };
  let server: HealthServer;
  try {
    server = await startHealthServer({
      host: options.host,
      port: options.port,
      registry: metrics.registry,
      liveness: { redis: redisAlive, worker: () => (worker.closing ? undefined : workerRunning()) },
      readiness: { redis: redisAnswers, worker: workerRunning, ...options.readiness },
    });
  } catch (err) {
    await depth.close();
    throw err;
  }
  options.logger.info({ host: options.host, port: server.port }, 'health and metrics server listening');
  return {
    port: server.port,
    async close() {
      await server.close();
      await depth.close();
    },
  };
}

/**
 * `serveWorkerHealth` for an app's entry point: the server closes last on shutdown (probes keep
 * answering while the worker drains); a port that cannot be bound stops the process, naming HEALTH_PORT.
 */
export async function serveWorkerHealthOrStop(
  options: Omit<ServeWorkerHealthOptions, 'prefix' | 'host' | 'port'> & {
    env: { QUEUE_PREFIX: string; HEALTH_HOST: string; HEALTH_PORT: number };
    shutdown: Shutdown;
  },
): Promise<void> {
  const { env, ...rest } = options;
  try {
    const server = await serveWorkerHealth({
      ...rest,
      prefix: env.QUEUE_PREFIX,
      host: env.HEALTH_HOST,
      port: env.HEALTH_PORT,
    });
    options.shutdown.register('health', () => server.close());
  } catch (err) {
    options.logger.fatal({ err: err instanceof Error ? err.message : String(err) }, 'cannot start');
    await options.shutdown.shutdown('health server', EXIT_UNAVAILABLE);
  }
}
