import { AwsEnv } from '@codecommit-evidence/aws-clients';
import { DatabaseEnv } from '@codecommit-evidence/evidence-store';
import { RedisEnv } from '@codecommit-evidence/queues';
import { healthEnv, LogEnv, ShutdownEnv } from '@codecommit-evidence/runtime';
import { z } from 'zod';

/** The repo-sync worker's whole configuration: the shared fragments and its own knobs. */
export const RepoSyncEnv = z.object({
  ...DatabaseEnv.shape,
  ...RedisEnv.shape,
  ...LogEnv.shape,
  ...ShutdownEnv.shape,
  ...AwsEnv.shape,
  /** `/healthz`, `/readyz` and `/metrics` listen here. */
  ...healthEnv(9101).shape,
  /** Jobs this process runs at once; the per-account limiter still bounds what reaches AWS. */
  REPO_SYNC_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  /**
   * Repository jobs of one connection running at once, all replicas together: a large account cannot
   * take every worker slot while it waits on its own AWS rate limit.
   */
  REPO_SYNC_JOBS_PER_CONNECTION: z.coerce.number().int().min(1).max(256).default(4),
  /** How long a job's lock lasts; a crashed replica's jobs are taken over after it. */
  REPO_SYNC_LOCK_DURATION_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  /** Postgres connections of this process. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
});
export type RepoSyncEnv = z.infer<typeof RepoSyncEnv>;
