import { createWorker, QUEUES } from '@codecommit-evidence/queues';
import { syncJobHandler } from '@codecommit-evidence/sync-support';
import type { Worker, WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type SyncIamDeps, syncIamJob } from './processors/sync-iam.js';

export interface IamSyncWorkerOptions {
  deps: SyncIamDeps;
  /** A worker-style connection (`maxRetriesPerRequest: null`). */
  connection: Redis;
  prefix: string;
  logger: Logger;
  /** Jobs at once. A job waiting for its credential report is delayed in Redis, not holding a slot. */
  concurrency: number;
  workerOptions?: Partial<WorkerOptions>;
}

/** The `iam-sync` queue's worker: what `index.ts` starts and tests start against a test Redis. */
export function createIamSyncWorker(options: IamSyncWorkerOptions): Worker {
  return createWorker({
    queue: QUEUES.iamSync,
    handlers: {
      'sync-iam': syncJobHandler(syncIamJob, options.deps),
    },
    connection: options.connection,
    prefix: options.prefix,
    logger: options.logger,
    concurrency: options.concurrency,
    ...(options.workerOptions ? { workerOptions: options.workerOptions } : {}),
  });
}
