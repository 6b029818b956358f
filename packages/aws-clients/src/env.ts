/**
 * The AWS part of an app's environment, as zod fragments for the app's config schema
 * (`z.object({ ...AwsEnv.shape, ... })`). Platform credentials are not here: the SDK's default chain
 * reads them (AWS_ACCESS_KEY_ID, container role, IRSA, …).
 */

import { z } from 'zod';
import type { AwsClientFactoryOptions } from './clients.js';
import type { AccountRateLimiterOptions } from './rate-limit.js';

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);

export const AwsEnv = z.object({
  /** Every AWS client talks to this endpoint when set (the fake AWS). */
  AWS_ENDPOINT_URL: z.url().optional(),
  /** Attempts per AWS call, the first included (SDK standard retry mode; the SDK reads the same variable). */
  AWS_MAX_ATTEMPTS: positiveInt(20).default(5),
  /**
   * The SDK's default Region (it reads AWS_REGION itself). Role sessions use the connection's own
   * regional STS endpoint, so this only matters for clients built without a connection.
   */
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Requests per second per customer account and Region, all replicas together, below AWS's throttles. */
  CODECOMMIT_RPS: positiveInt(10_000).default(8),
  IAM_RPS: positiveInt(10_000).default(5),
  /** AWS requests in flight per customer account, across all worker replicas. */
  AWS_ACCOUNT_CONCURRENCY: positiveInt(1_000).default(4),
});
export type AwsEnv = z.infer<typeof AwsEnv>;

/** For the connector-api: the account customers trust in their role's trust policy. */
export const PlatformAccountEnv = z.object({
  PLATFORM_AWS_ACCOUNT_ID: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
});
export type PlatformAccountEnv = z.infer<typeof PlatformAccountEnv>;

/** Client factory options from a parsed `AwsEnv`. */
export function awsClientOptionsFromEnv(
  env: AwsEnv,
): Pick<AwsClientFactoryOptions, 'endpoint' | 'maxAttempts'> {
  return {
    ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
    maxAttempts: env.AWS_MAX_ATTEMPTS,
  };
}

/** Rate limiter options (all but `redis` and `keyPrefix`) from a parsed `AwsEnv`. */
export function rateLimitOptionsFromEnv(
  env: AwsEnv,
): Pick<AccountRateLimiterOptions, 'requestsPerSecond' | 'maxConcurrentPerAccount'> {
  return {
    requestsPerSecond: { codecommit: env.CODECOMMIT_RPS, iam: env.IAM_RPS },
    maxConcurrentPerAccount: env.AWS_ACCOUNT_CONCURRENCY,
  };
}
