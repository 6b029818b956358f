import type { AwsEnv } from '@codecommit-evidence/aws-clients';
import type { SyncAwsLimits } from './deps.js';

/**
 * The AWS settings of a sync worker, from aws-clients' `AwsEnv` (the one place these variables are
 * defined): the request rates and concurrency shared by all replicas, the attempts per call, and the
 * endpoint. The platform's own identity comes from the SDK's default credential chain.
 */
export function syncAwsOptionsFromEnv(env: AwsEnv): { limits: SyncAwsLimits; endpoint?: string } {
  return {
    limits: {
      codecommitRps: env.CODECOMMIT_RPS,
      iamRps: env.IAM_RPS,
      accountConcurrency: env.AWS_ACCOUNT_CONCURRENCY,
      maxAttempts: env.AWS_MAX_ATTEMPTS,
    },
    ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
  };
}
