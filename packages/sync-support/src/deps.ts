import {
  type AccountRateLimiter,
  type AwsClientFactory,
  createAccountRateLimiter,
  createAwsClientFactory,
  forwardingCallCounter,
} from '@codecommit-evidence/aws-clients';
import type { Database } from '@codecommit-evidence/evidence-store';
import type { WorkerMetrics } from '@codecommit-evidence/runtime';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';

/** Per-account AWS limits shared by every replica (see aws-clients' rate-limit.ts). */
export interface SyncAwsLimits {
  codecommitRps: number;
  iamRps: number;
  /** Requests in flight per customer account, all services, all replicas. */
  accountConcurrency: number;
  /** Attempts per AWS call, the first included (SDK standard retry mode). */
  maxAttempts: number;
  /** Longest a request waits for its turn before failing as `throttled` (then the job retries). */
  maxWaitMs?: number;
}

/**
 * What a sync job handler needs from its process. One per process: the AWS client factory holds the
 * in-memory role-credential cache (so jobs of the same connection share one AssumeRole until it nears
 * expiry) and the Redis-shared per-account rate limiter.
 */
export interface SyncWorkerDeps {
  db: Kysely<Database>;
  /** The worker's Redis connection; the rate limiter's counters live there too. */
  redis: Redis;
  logger: Logger;
  aws: AwsClientFactory;
  rateLimiter: AccountRateLimiter;
  /** The one clock a sync job reads (run start, steps, problems, audit window); tests set it. */
  now: () => Date;
}

export interface CreateSyncWorkerDepsInput {
  db: Kysely<Database>;
  redis: Redis;
  logger: Logger;
  /** BullMQ prefix (QUEUE_PREFIX): the limiter's keys go under it, in the same Redis Cluster slot. */
  keyPrefix: string;
  limits: SyncAwsLimits;
  /** AWS_ENDPOINT_URL (fake-aws in tests and benchmarks). */
  endpoint?: string;
  /** The platform's own keys; unset in production (the SDK's default credential chain). */
  platformCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Default: the process clock. */
  now?: () => Date;
  /** The process's Prometheus metrics: every AWS call and the rate limiter's waits are reported there. */
  metrics?: WorkerMetrics;
}

export function createSyncWorkerDeps(input: CreateSyncWorkerDepsInput): SyncWorkerDeps {
  const rateLimiter = createAccountRateLimiter({
    redis: input.redis,
    keyPrefix: `${input.keyPrefix}:aws-limit`,
    requestsPerSecond: { codecommit: input.limits.codecommitRps, iam: input.limits.iamRps },
    maxConcurrentPerAccount: input.limits.accountConcurrency,
    ...(input.limits.maxWaitMs !== undefined ? { maxWaitMs: input.limits.maxWaitMs } : {}),
  });
  const aws = createAwsClientFactory({
    maxAttempts: input.limits.maxAttempts,
    rateLimiter,
    ...(input.endpoint ? { endpoint: input.endpoint } : {}),
    ...(input.platformCredentials ? { platformCredentials: input.platformCredentials } : {}),
    ...(input.metrics ? { callCounter: forwardingCallCounter(input.metrics.recordAwsCall) } : {}),
  });
  input.metrics?.observeRateLimiter(() => rateLimiter.metrics());
  return {
    db: input.db,
    redis: input.redis,
    logger: input.logger,
    aws,
    rateLimiter,
    now: input.now ?? (() => new Date()),
  };
}
