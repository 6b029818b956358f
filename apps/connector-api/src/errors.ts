/**
 * API errors: every failure a client sees is `{error: {code, message, details}}` with a string-literal
 * code. Route handlers throw `ApiError`; the global error handler in `server.ts` renders it.
 */

/** Every code a client can see (README.md documents each; a test keeps them in step). */
export const API_ERROR_CODES = [
  'invalid_request',
  'malformed_json',
  'unauthorized',
  'not_found',
  'method_not_allowed',
  'payload_too_large',
  'unsupported_media_type',
  'internal_error',
  'not_ready',
  'service_unavailable',
  'connection_not_active',
  'connection_deleted',
  'rate_limited',
  'sync_too_soon',
  'last_valid_key',
  'connect_in_progress',
  'connection_target_changed',
  'invalid_role_arn',
  'invalid_region',
  'codecommit_not_in_region',
  'region_partition_mismatch',
  'role_not_found_or_not_trusted',
  'external_id_mismatch',
  'external_id_not_enforced',
  'region_not_enabled',
  'missing_permissions',
  'aws_unavailable',
  'platform_credentials_invalid',
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; details: Record<string, unknown> };
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  toBody(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export const notFound = (what = 'resource') => new ApiError(404, 'not_found', `No such ${what}.`, {});

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

/** 429: the tenant went over a limit; the caller sets `Retry-After`. */
export function rateLimited(message: string, details: Record<string, unknown>): ApiError {
  return new ApiError(429, 'rate_limited', message, details);
}
