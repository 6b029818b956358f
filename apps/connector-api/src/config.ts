/** The connector-api's environment, parsed once at start (a bad value stops the process, naming it). */

import { DatabaseEnv } from '@codecommit-evidence/evidence-store';
import { RedisEnv } from '@codecommit-evidence/queues';
import { LogEnv, parseEnv, ShutdownEnv } from '@codecommit-evidence/runtime';
import { z } from 'zod';

export const ConnectorApiEnv = z.object({
  ...DatabaseEnv.shape,
  ...RedisEnv.shape,
  ...LogEnv.shape,
  ...ShutdownEnv.shape,
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  PLATFORM_AWS_ACCOUNT_ID: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
  AWS_ENDPOINT_URL: z.url().optional(),
  DEFAULT_SYNC_INTERVAL_MINUTES: z.coerce.number().int().min(15).max(10_080).default(360),
  SYNC_MIN_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
  CONNECTIONS_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(20),
  API_KEY_ROTATION_GRACE_MINUTES: z.coerce.number().int().min(0).max(43_200).default(1440),
});
export type ConnectorApiEnv = z.infer<typeof ConnectorApiEnv>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ConnectorApiEnv {
  return parseEnv(ConnectorApiEnv, env);
}
