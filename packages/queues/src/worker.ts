import { type Job, UnrecoverableError, Worker, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type JobName, type JobPayload, type JobsOf, jobsOfQueue, type QueueName } from './catalog.js';
import { InvalidJobPayloadError, parseJobPayload } from './producers.js';

export interface HandlerContext {
  job: Job;
  /** The worker's lock token, for `moveToDelayed` / `moveToWaitingChildren`. */
  token: string | undefined;
  log: Logger;
}

export type JobHandler<N extends JobName> = (payload: JobPayload<N>, ctx: HandlerContext) => Promise<unknown>;
export type HandlersFor<Q extends QueueName> = { [N in JobsOf<Q>]: JobHandler<N> };

export interface CreateWorkerOptions<Q extends QueueName> {
  queue: Q;
  handlers: HandlersFor<Q>;
  connection: Redis;
  prefix: string;
  logger: Logger;
  concurrency?: number;
  /** Passed through to BullMQ (lockDuration, limiter, autorun, …). */
  workerOptions?: Partial<WorkerOptions>;
}

/**
 * A BullMQ worker for one queue of the catalog. Refuses to start unless every job of that queue has a
 * handler; validates each payload again (a producer outside this code may have skipped it) and fails a
 * bad one for good with UnrecoverableError, as it would fail the same way on every retry.
 */
export function createWorker<Q extends QueueName>(options: CreateWorkerOptions<Q>): Worker {
  const handlers = options.handlers as Record<string, JobHandler<JobName> | undefined>;
  const missing = jobsOfQueue(options.queue).filter((name) => typeof handlers[name] !== 'function');
  if (missing.length > 0) {
    throw new Error(`worker for queue ${options.queue} has no handler for: ${missing.join(', ')}`);
  }
  const worker = new Worker(
    options.queue,
    async (job, token) => {
      const handler = handlers[job.name];
      const log = options.logger.child({
        queue: options.queue,
        job: job.name,
        jobId: job.id,
        attempt: job.attemptsMade + 1,
      });
      if (!handler) throw new UnrecoverableError(`no handler for job ${job.name} on queue ${options.queue}`);
      let payload: JobPayload<JobName>;
      try {
        payload = parseJobPayload(job.name as JobName, job.data);
      } catch (err) {
        if (err instanceof InvalidJobPayloadError) {
          log.error({ issues: err.issues }, 'rejecting job with invalid payload');
          throw new UnrecoverableError(err.message);
        }
        throw err;
      }
      return handler(payload, { job, token, log });
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 4,
      // A crashed worker's job is taken over after the lock expires; keep it short enough to recover
      // quickly, long enough that a busy event loop does not lose locks (BullMQ renews at half).
      lockDuration: 30_000,
      maxStalledCount: 2,
      ...options.workerOptions,
    },
  );
  worker.on('failed', (job, err) => {
    options.logger.warn(
      { queue: options.queue, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message },
      'job failed',
    );
  });
  worker.on('error', (err) => options.logger.error({ queue: options.queue, err }, 'worker error'));
  return worker;
}

/**
 * Stops taking jobs and waits for the active ones; after `timeoutMs` it stops waiting, and the jobs
 * still active are handed back: their locks lapse and another worker takes them as stalled jobs.
 */
export async function closeWorkerGracefully(
  worker: Worker,
  timeoutMs: number,
): Promise<'drained' | 'handed-back'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'handed-back'>((resolve) => {
    timer = setTimeout(() => resolve('handed-back'), timeoutMs);
  });
  const outcome = await Promise.race([worker.close().then(() => 'drained' as const), timeout]);
  clearTimeout(timer);
  if (outcome === 'handed-back') await worker.close(true);
  return outcome;
}
