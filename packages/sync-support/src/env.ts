import { AwsEnv } from '@codecommit-evidence/aws-clients';
import { z } from 'zod';

/**
 * The AWS part of a sync worker's environment. Reuses aws-clients' `AwsEnv` fields (endpoint, attempts)
 * but not its PLATFORM_AWS_ACCOUNT_ID: only the connector-api needs the platform account id (for the
 * trust policy it hands out); a worker gets its identity from the SDK's default credential chain.
 */
export const SyncAwsEnv = z.object({
  AWS_ENDPOINT_URL: AwsEnv.shape.AWS_ENDPOINT_URL,
  AWS_MAX_ATTEMPTS: AwsEnv.shape.AWS_MAX_ATTEMPTS,
  /**
   * The SDK's default Region (it reads AWS_REGION itself). Role assumption uses the connection's own
   * regional STS endpoint (aws-clients' credential cache), so this only matters for clients built
   * without a connection.
   */
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Requests per second per customer account and Region, shared by every replica (Redis). */
  CODECOMMIT_RPS: z.coerce.number().int().min(1).max(10_000).default(8),
  IAM_RPS: z.coerce.number().int().min(1).max(10_000).default(5),
  /** AWS requests in flight per customer account, all replicas together. */
  AWS_ACCOUNT_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(4),
});
export type SyncAwsEnv = z.infer<typeof SyncAwsEnv>;
