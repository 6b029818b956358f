import { createWorker } from '@codecommit-evidence/queues';
import type { SyncWorkerDeps } from '@codecommit-evidence/sync-support';
import type { Queue, Worker, WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { syncRepositories } from './processors/sync-repositories.js';
import { syncRepository } from './processors/sync-repository.js';

export interface RepoSyncDeps extends SyncWorkerDeps {
  /** The `repo-sync` queue, where `sync-repositories` adds its per-repository children. */
  queue: Queue;
}

export interface RepoSyncWorkerOptions {
  /** A worker-role connection (maxRetriesPerRequest: null). */
  connection: Redis;
  prefix: string;
  /** Jobs processed at once by this process (REPO_SYNC_CONCURRENCY). */
  concurrency: number;
  /** Lock duration; a crashed worker's jobs are taken over after it (and a stalled check). */
  lockDurationMs?: number;
  workerOptions?: Partial<WorkerOptions>;
}

/** The `repo-sync` queue's worker: `sync-repositories` and `sync-repository`. */
export function createRepoSyncWorker(deps: RepoSyncDeps, options: RepoSyncWorkerOptions): Worker {
  const lock = options.lockDurationMs;
  return createWorker({
    queue: 'repo-sync',
    handlers: {
      'sync-repositories': (payload, { job, token }) => syncRepositories(payload, deps, { job, token }),
      'sync-repository': (payload, { job }) => syncRepository(payload, deps, job),
    },
    connection: options.connection,
    prefix: options.prefix,
    logger: deps.logger,
    concurrency: options.concurrency,
    workerOptions: {
      ...(lock ? { lockDuration: lock, stalledInterval: Math.max(1_000, Math.floor(lock / 2)) } : {}),
      ...options.workerOptions,
    },
  });
}
