import { createWorker } from '@codecommit-evidence/queues';
import { type SyncWorkerDeps, syncJobHandler } from '@codecommit-evidence/sync-support';
import type { Queue, Worker, WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { createConnectionGate } from './connection-gate.js';
import { syncRepositoriesJob } from './processors/sync-repositories.js';
import { syncRepositoryJob } from './processors/sync-repository.js';

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
  /** Lock duration; a crashed worker's jobs are taken over after it (and a stalled check). Default 30 s. */
  lockDurationMs?: number;
  /**
   * `sync-repository` jobs of one connection running at once across all replicas
   * (REPO_SYNC_JOBS_PER_CONNECTION); the others are delayed so other tenants get the slots. Unset: no gate.
   */
  jobsPerConnection?: number;
  workerOptions?: Partial<WorkerOptions>;
}

/** The `repo-sync` queue's worker: `sync-repositories` and `sync-repository`. */
export function createRepoSyncWorker(deps: RepoSyncDeps, options: RepoSyncWorkerOptions): Worker {
  const lock = options.lockDurationMs;
  const gate =
    options.jobsPerConnection === undefined
      ? undefined
      : createConnectionGate({
          redis: options.connection,
          keyPrefix: options.prefix,
          limit: options.jobsPerConnection,
          // A crashed replica's slots come back on the same horizon as its jobs (lock expiry).
          leaseMs: Math.max(4_000, 2 * (lock ?? 30_000)),
        });
  const repoDeps = gate ? { ...deps, gate } : deps;
  return createWorker({
    queue: 'repo-sync',
    handlers: {
      'sync-repositories': syncJobHandler(syncRepositoriesJob, deps),
      'sync-repository': syncJobHandler(syncRepositoryJob, repoDeps),
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
