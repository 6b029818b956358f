import { classifyAwsError } from '@codecommit-evidence/aws-clients';
import type { SyncContext } from './context.js';
import { SyncError } from './errors.js';

export interface AwsFailureOptions {
  /** An optional call: the sync goes on without its data when it is denied. */
  optional: boolean;
  /** The sync step that needed the call (`codecommit:pull-requests:<repo>`). */
  step: string;
  /** The IAM action of the call, used when AWS's message does not name it. */
  action: string;
  /** The resource concerned, for the problem record. */
  resource?: string;
}

/**
 * Decides what an AWS failure means for a sync:
 * - access denied on an optional call: the missing permission is recorded on the run, `'skipped'`;
 * - access denied on a core call: recorded too, then a `SyncError('access_denied')` (no retry: it
 *   fails the same way until someone changes the role);
 * - an invalid answer (`aws_response_invalid`: unreadable body, wrong-typed or missing member, string
 *   beyond AWS's bound, NUL byte): a fault of the step's scope, recorded on the run as an error of that
 *   step (so the checks that read it say unknown, naming it); on an optional call `'invalid'` (the
 *   caller keeps the scope's previous evidence, retires nothing, and goes on), on a core call a
 *   `SyncError('aws_response_invalid')` (the same answer would come again: no retry). Never `'gone'`:
 *   only a well-formed answer that omits a resource says it was deleted;
 * - not found (a repository or pull request deleted meanwhile): `'gone'`, the caller records and goes on;
 * - role not assumable / Region not usable: `SyncError` with that code;
 * - throttling, 5xx, network, expired credentials, anything unknown: rethrown, for BullMQ to retry
 *   with backoff (the SDK already retried each call `AWS_MAX_ATTEMPTS` times).
 */
export async function handleAwsFailure(
  ctx: Pick<SyncContext, 'recordMissingPermission' | 'recordProblem'>,
  err: unknown,
  options: AwsFailureOptions,
): Promise<'skipped' | 'gone' | 'invalid'> {
  const c = classifyAwsError(err);
  switch (c.code) {
    case 'aws_response_invalid': {
      await ctx.recordProblem({
        step: options.step,
        kind: 'error',
        code: 'aws_response_invalid',
        action: options.action,
        ...(options.resource ? { resource: options.resource } : {}),
        message: err instanceof Error ? err.message : c.message,
      });
      if (options.optional) return 'invalid';
      throw new SyncError(
        'aws_response_invalid',
        `${options.action} answered invalid data (step ${options.step}): ${c.message}`,
        { action: options.action, step: options.step },
      );
    }
    case 'access_denied': {
      const action = c.action ?? options.action;
      await ctx.recordMissingPermission(options.step, action, c.message, options.resource);
      if (options.optional) return 'skipped';
      throw new SyncError('access_denied', `${action} was denied (step ${options.step}): ${c.message}`, {
        action,
        step: options.step,
      });
    }
    case 'not_found':
      return 'gone';
    case 'role_not_assumable':
    case 'invalid_region':
      throw new SyncError(c.code, c.message, { step: options.step });
    default:
      throw err;
  }
}
