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
 * - not found (a repository or pull request deleted meanwhile): `'gone'`, the caller records and goes on;
 * - role not assumable / Region not usable: `SyncError` with that code;
 * - throttling, 5xx, network, expired credentials, anything unknown: rethrown, for BullMQ to retry
 *   with backoff (the SDK already retried each call `AWS_MAX_ATTEMPTS` times).
 */
export async function handleAwsFailure(
  ctx: Pick<SyncContext, 'recordMissingPermission'>,
  err: unknown,
  options: AwsFailureOptions,
): Promise<'skipped' | 'gone'> {
  const c = classifyAwsError(err);
  switch (c.code) {
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
