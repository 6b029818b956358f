import { UnrecoverableError } from 'bullmq';

/** Why a sync job gave up for good. */
export type SyncErrorCode =
  | 'connection_not_found'
  | 'connection_not_active'
  | 'connection_incomplete'
  | 'sync_run_not_found'
  | 'sync_run_finished'
  | 'access_denied'
  /** A required call faulted on the job's last attempt (or answered malformed). */
  | 'aws_fault'
  | 'role_not_assumable'
  | 'invalid_region'
  | 'invalid_credentials'
  | 'not_found'
  | 'aws_response_invalid';

/**
 * A permanent sync failure: an `UnrecoverableError`, so BullMQ fails the job at once instead of
 * retrying something that fails the same way every time. `code` is what callers branch on.
 */
export class SyncError extends UnrecoverableError {
  readonly code: SyncErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: SyncErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(`${code}: ${message}`);
    this.name = 'SyncError';
    this.code = code;
    this.details = details;
  }
}

export function isSyncError(err: unknown): err is SyncError {
  return err instanceof SyncError;
}
