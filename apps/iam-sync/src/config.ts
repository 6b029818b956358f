import { AwsEnv } from '@codecommit-evidence/aws-clients';
import { DatabaseEnv } from '@codecommit-evidence/evidence-store';
import { RedisEnv } from '@codecommit-evidence/queues';
import { healthEnv, LogEnv, ShutdownEnv } from '@codecommit-evidence/runtime';
import { z } from 'zod';
import type { IamSyncSettings } from './processors/sync-iam.js';

const int = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** The iam-sync worker's whole environment, parsed once at start. */
export const IamSyncEnv = z.object({
  ...DatabaseEnv.shape,
  ...RedisEnv.shape,
  ...LogEnv.shape,
  ...ShutdownEnv.shape,
  ...AwsEnv.shape,
  /** `/healthz`, `/readyz` and `/metrics` listen here. */
  ...healthEnv(9102).shape,
  /** `sync-iam` jobs processed at once by this process. */
  IAM_SYNC_CONCURRENCY: int(1, 64, 4),
  /** Per-user AWS calls in flight per job on the fallback path (the account limiter still applies). */
  IAM_SYNC_CALL_CONCURRENCY: int(1, 64, 4),
  /** While IAM generates the credential report, look again after this long. */
  CREDENTIAL_REPORT_POLL_INTERVAL_MS: int(100, 600_000, 10_000),
  /** Give up on the credential report (the step fails, the run is partial) after this long… */
  CREDENTIAL_REPORT_MAX_WAIT_MS: int(1_000, 24 * 3_600_000, 15 * 60_000),
  /** …or after this many looks, whichever comes first. */
  CREDENTIAL_REPORT_MAX_POLLS: int(1, 10_000, 90),
});
export type IamSyncEnv = z.infer<typeof IamSyncEnv>;

export function settingsFromEnv(env: IamSyncEnv): IamSyncSettings {
  return {
    callConcurrency: env.IAM_SYNC_CALL_CONCURRENCY,
    credentialReport: {
      pollIntervalMs: env.CREDENTIAL_REPORT_POLL_INTERVAL_MS,
      maxWaitMs: env.CREDENTIAL_REPORT_MAX_WAIT_MS,
      maxPolls: env.CREDENTIAL_REPORT_MAX_POLLS,
    },
  };
}
