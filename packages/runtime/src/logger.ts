import { type Logger, pino } from 'pino';

/**
 * Paths that may carry secrets anywhere in a log object: AWS credentials, API keys, tokens, the
 * External ID (not a secret by AWS's definition, but it guards the confused-deputy check, so it is
 * kept out of logs too), and database/Redis URLs with passwords.
 */
export const REDACT_PATHS = [
  '*.accessKeyId',
  '*.secretAccessKey',
  '*.sessionToken',
  '*.SecretAccessKey',
  '*.SessionToken',
  '*.AccessKeyId',
  '*.credentials',
  '*.Credentials',
  '*.apiKey',
  '*.externalId',
  '*.ExternalId',
  '*.external_id',
  '*.password',
  '*.authorization',
  '*.Authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'credentials',
  'apiKey',
  'externalId',
  'DATABASE_URL',
  'REDIS_URL',
];

export function createLogger(options: { name: string; level?: string }): Logger {
  return pino({
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

export type { Logger };
