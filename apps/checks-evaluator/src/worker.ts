import type { Database } from '@codecommit-evidence/evidence-store';
import { createWorker } from '@codecommit-evidence/queues';
import type { FlowProducer, Worker, WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { evaluateChecks } from './processors/evaluate-checks.js';
import { startScheduledSync } from './processors/start-scheduled-sync.js';

export interface ChecksWorkerDeps {
  db: Kysely<Database>;
  /** A worker-role Redis connection (`createRedisConnection(url, 'worker')`). */
  connection: Redis;
  prefix: string;
  flowProducer: FlowProducer;
  logger: Logger;
  concurrency?: number;
  workerOptions?: Partial<WorkerOptions>;
  /** The one clock the handlers read (default the process clock); tests set it. */
  now?: () => Date;
}

/** The BullMQ worker of queue `checks`: `evaluate-checks` and `start-scheduled-sync`. */
export function createChecksWorker(deps: ChecksWorkerDeps): Worker {
  return createWorker({
    queue: 'checks',
    connection: deps.connection,
    prefix: deps.prefix,
    logger: deps.logger,
    concurrency: deps.concurrency ?? 2,
    ...(deps.workerOptions ? { workerOptions: deps.workerOptions } : {}),
    handlers: {
      'evaluate-checks': async (payload, { job, log }) =>
        evaluateChecks(payload, {
          db: deps.db,
          log,
          childFailures: payload.trigger === 'sync' ? await job.getIgnoredChildrenFailures() : {},
          requestedAt: new Date(job.timestamp),
          ...(deps.now ? { now: deps.now } : {}),
        }),
      'start-scheduled-sync': (payload, { log }) =>
        startScheduledSync(payload, {
          db: deps.db,
          flowProducer: deps.flowProducer,
          log,
          ...(deps.now ? { now: deps.now } : {}),
        }),
    },
  });
}
