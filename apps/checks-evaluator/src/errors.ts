import { UnrecoverableError } from 'bullmq';

export type ChecksEvaluatorErrorCode =
  | 'connection_not_found'
  | 'sync_run_not_found'
  | 'sync_run_not_finished';

/**
 * A job that cannot succeed on any retry (an id that does not exist, a run not yet finished): BullMQ
 * fails it for good instead of retrying. The code is in the message, so it shows in the job's failure.
 */
export class ChecksEvaluatorError extends UnrecoverableError {
  override name = 'ChecksEvaluatorError';
  constructor(
    readonly code: ChecksEvaluatorErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
