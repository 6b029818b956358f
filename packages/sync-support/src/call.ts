import { classifyAwsError, feedsScope, permissionOf } from '@codecommit-evidence/aws-clients';
import type { SyncProblemInput } from './context.js';
import { SyncError } from './errors.js';

/**
 * Why a call gave no data. `denied`: AccessDenied, recorded as a missing permission of the scope;
 * `faulted`: a fault that outlived the SDK's retries on the job's last attempt, or an answer
 * aws-clients refused as malformed (`aws_response_invalid`), recorded as an error of the scope;
 * `gone`: AWS says the resource does not exist (nothing recorded: the caller knows what it means).
 * Denied and faulted scopes keep their previous evidence: nothing in them is concluded deleted.
 */
export type MissingReason = 'denied' | 'faulted' | 'gone';

/** What `ctx.call` returns instead of the value when the call gave no data. */
export class Missing {
  constructor(
    readonly reason: MissingReason,
    /** AWS's error code (`RepositoryDoesNotExistException`, …), to tell which resource is gone. */
    readonly awsCode: string | undefined,
    readonly message: string,
    /** The IAM action concerned (for a denial, the one AWS named). */
    readonly action: string,
  ) {}
}

export function isMissing(value: unknown): value is Missing {
  return value instanceof Missing;
}

export interface CallOptions {
  /**
   * A required call fails the job for good when denied or faulted (its scope is the job's inventory:
   * nothing else can be judged without it). Default false: the job goes on without the scope's data.
   */
  required?: boolean;
  /** The resource concerned, for the problem record (a repository name, a template). */
  resource?: string;
  /**
   * Set when another path covers a denial (GetAccountAuthorizationDetails → the per-user calls): the
   * denial is recorded as a warning naming it, not as a missing permission (no data gap).
   */
  fallback?: string;
}

export type SyncCall = <T>(
  scope: string,
  action: string,
  fn: () => Promise<T>,
  options?: CallOptions,
) => Promise<T | Missing>;

interface CallPolicyInput {
  /** Whether this is the job's last attempt: a transient fault is then a fault of its scope. */
  finalAttempt: boolean;
  recordProblem(problem: SyncProblemInput): Promise<void>;
  log: { warn(obj: object, msg: string): void };
}

/**
 * The one owner of what an AWS failure means for a sync (issue 12). For each call of `fn`, made for
 * evidence `scope` with IAM action `action`:
 * - success: the value; the action is known to be allowed.
 * - AccessDenied: a missing permission of the scope; later calls of that action in this job are not
 *   tried (the answer will not change until someone edits the role). Until an action has once
 *   succeeded its calls go one at a time, so a missing permission costs one denied call per job, not
 *   one per pull request in flight.
 * - not found: `Missing('gone')`, for the caller to record the deletion.
 * - role not assumable, Region not usable: `SyncError` (the whole connection is broken, not a scope).
 * - throttling, 5xx, network: rethrown for BullMQ to retry the job (the SDK already retried the call);
 *   on the job's last attempt, an error of the scope, and the job goes on without it.
 * - a malformed answer (`aws_response_invalid`): an error of the scope at once (the same bytes come back).
 * A required call that is denied or faulted fails the job for good after the scope is recorded.
 * Anything else (a bug, invalid credentials) is rethrown.
 */
export function createCallPolicy(input: CallPolicyInput): SyncCall {
  const denied = new Map<string, Missing>();
  /** The scopes each denied action was recorded on. */
  const deniedScopes = new Map<string, Set<string>>();
  const allowed = new Set<string>();
  const probing = new Map<string, Promise<unknown>>();

  const attempt = async <T>(
    scope: string,
    action: string,
    fn: () => Promise<T>,
    options: CallOptions,
  ): Promise<T | Missing> => {
    let value: T;
    try {
      value = await fn();
    } catch (err) {
      return failure(scope, action, err, options);
    }
    allowed.add(action);
    return value;
  };

  const failure = async (
    scope: string,
    action: string,
    err: unknown,
    options: CallOptions,
  ): Promise<Missing> => {
    const c = classifyAwsError(err);
    const resource = options.resource ? { resource: options.resource } : {};
    switch (c.code) {
      case 'access_denied': {
        const named = c.action ?? action;
        input.log.warn({ scope, action: named }, 'missing permission');
        if (options.fallback) {
          await input.recordProblem({
            step: scope,
            kind: 'warning',
            code: 'access_denied',
            action: named,
            ...resource,
            message: `${c.message} (${options.fallback})`,
          });
        } else {
          await input.recordProblem({
            step: scope,
            kind: 'missing_permission',
            code: 'access_denied',
            action: named,
            ...resource,
            message: c.message,
          });
        }
        const missing = new Missing('denied', c.awsCode, c.message, named);
        denied.set(action, missing);
        deniedScopes.set(action, new Set([...(deniedScopes.get(action) ?? []), scope]));
        if (options.required) {
          throw new SyncError('access_denied', `${named} was denied (scope ${scope}): ${c.message}`, {
            action: named,
            step: scope,
          });
        }
        return missing;
      }
      case 'not_found':
        return new Missing('gone', c.awsCode, c.message, action);
      case 'role_not_assumable':
      case 'invalid_region':
        throw new SyncError(c.code, c.message, { step: scope });
      default: {
        const malformed = c.code === 'aws_response_invalid';
        const transient = c.code === 'throttled' || c.code === 'aws_unavailable';
        if (!malformed && !(transient && input.finalAttempt)) throw err;
        await input.recordProblem({
          step: scope,
          kind: 'error',
          code: c.code,
          action,
          ...resource,
          // An AwsError's message names the operation (and, for an invalid answer, the field).
          message:
            err instanceof Error && err.message.includes(action.split(':')[1]!)
              ? err.message
              : `${action}: ${c.message}`,
        });
        if (options.required) {
          throw new SyncError(
            malformed ? 'aws_response_invalid' : 'aws_fault',
            `${action} ${malformed ? 'answered invalid data' : 'failed'} (scope ${scope}): ${c.message}`,
            { action, step: scope },
          );
        }
        return new Missing('faulted', c.awsCode, c.message, action);
      }
    }
  };

  return async function call<T>(
    scope: string,
    action: string,
    fn: () => Promise<T>,
    options: CallOptions = {},
  ): Promise<T | Missing> {
    assertCatalogued(scope, action);
    for (;;) {
      const refused = denied.get(action);
      if (refused) {
        const scopes = deniedScopes.get(action) ?? new Set<string>();
        if (!scopes.has(scope)) {
          // Not tried again, but still a gap of this scope too.
          scopes.add(scope);
          deniedScopes.set(action, scopes);
          await input.recordProblem({
            step: scope,
            kind: options.fallback ? 'warning' : 'missing_permission',
            code: 'access_denied',
            action,
            ...(options.resource ? { resource: options.resource } : {}),
            message: refused.message,
          });
        }
        if (options.required) {
          throw new SyncError('access_denied', `${action} was denied (scope ${scope}): ${refused.message}`, {
            action,
            step: scope,
          });
        }
        return refused;
      }
      if (allowed.has(action)) return attempt(scope, action, fn, options);
      const probe = probing.get(action);
      if (!probe) break;
      await probe.catch(() => {});
    }
    const run = attempt(scope, action, fn, options);
    probing.set(action, run);
    try {
      return await run;
    } finally {
      probing.delete(action);
    }
  };
}

/**
 * Every call goes through the permission catalog (packages/aws-clients): an action the setup kit does
 * not grant, or a scope the catalog does not name for it, is a bug of the product, refused before AWS
 * is asked, so a new AWS call cannot ship without its permission and its scope.
 */
export function assertCatalogued(scope: string, action: string): void {
  const spec = permissionOf(action);
  if (!spec) throw new Error(`ctx.call: ${action} is not in the permission catalog (packages/aws-clients)`);
  if (!feedsScope(spec, scope))
    throw new Error(
      `ctx.call: the permission catalog says ${action} feeds ${spec.scopes.join(', ')}, not ${scope}`,
    );
}
