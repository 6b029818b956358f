import {
  type AwsConnectionRef,
  type CallCounter,
  type ConnectionClients,
  classifyAwsError,
  createCallCounter,
} from '@codecommit-evidence/aws-clients';
import {
  addAwsCalls,
  getConnectionById,
  getSyncRun,
  markSyncRunStarted,
  recordSyncProblem,
  type SyncProblemKind,
  type SyncStepState,
  setSyncStep,
} from '@codecommit-evidence/evidence-store';
import { type Job, UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { createCallPolicy, type SyncCall } from './call.js';
import type { SyncWorkerDeps } from './deps.js';
import { SyncError } from './errors.js';
import {
  bullmqJobHandle,
  inMemoryJobHandle,
  type JobProgress,
  readJobProgress,
  type SyncJobHandle,
} from './job.js';

/** The connection as a sync job sees it: active, with everything needed to reach AWS. No External ID. */
export interface SyncConnection {
  id: string;
  tenantId: string;
  name: string;
  roleArn: string;
  accountId: string;
  region: string;
  auditWindowDays: number;
}

export interface SyncTarget {
  connectionId: string;
  runId: number;
  /** The job's step (`codecommit:repositories`, `iam:users`, …): the default for problems and failures. */
  step: string;
}

export interface SyncProblemInput {
  /** Defaults to the context's step. */
  step?: string;
  kind: SyncProblemKind;
  code: string;
  action?: string;
  resource?: string;
  message: string;
}

export interface SyncContext {
  connection: SyncConnection;
  runId: number;
  step: string;
  /** What `writeEvidence` / `retireMissing` take. */
  target: { connectionId: string; runId: number };
  codecommit: ConnectionClients['codecommit'];
  iam: ConnectionClients['iam'];
  /** Counts every AWS call made through `codecommit` and `iam`, per operation. */
  counter: CallCounter;
  log: Logger;
  /** The job's clock (the worker's `now`). */
  now: () => Date;
  recordProblem(problem: SyncProblemInput): Promise<void>;
  setStep(step: string, state: SyncStepState['status'] | SyncStepState, detail?: string): Promise<void>;
  /**
   * Every AWS call of a handler goes through here: `ctx.call(scope, action, fn, { required })` owns the
   * failure policy (see {@link createCallPolicy}) and answers the value or a {@link Missing}.
   */
  call: SyncCall;
  /** Whether this execution is the job's last attempt (no job: a single attempt). */
  finalAttempt: boolean;
  /** The job's saved progress, read through `schema` (the one phase mechanism, see job.ts). */
  progress<S extends z.ZodType<object>>(schema: S): JobProgress<z.infer<S>>;
  /** Re-runs the job after `ms` without holding a worker or using an attempt; never returns. */
  defer(ms: number): Promise<never>;
  /** The step a failure of the whole job is filed under from now on (the job's current phase). */
  phase(step: string): void;
  /** The job itself (its attempts, its children for a job that fans out). */
  job: SyncJobHandle;
  /** Adds the counter's per-operation calls and throttles to the run (`sync_run_aws_calls`), then resets it. */
  flushCalls(): Promise<void>;
  /** Closes the AWS clients' sockets; the process-wide credential cache keeps the role session. */
  close(): void;
}

/**
 * Opens what a sync job works with: checks the run and the connection, marks the run started,
 * assumes the customer role (through the process-wide cache, so concurrent jobs of one connection
 * share one session), and builds CodeCommit and IAM clients that count every call and wait their turn
 * on the account's shared rate and concurrency limits. Permanent problems throw a `SyncError` (an
 * `UnrecoverableError`); transient ones are rethrown for BullMQ to retry.
 */
export async function openSyncContext(
  deps: SyncWorkerDeps,
  target: SyncTarget,
  job: SyncJobHandle = inMemoryJobHandle(),
): Promise<SyncContext> {
  const { db } = deps;
  const run = await getSyncRun(db, target.runId);
  if (!run || run.connection_id !== target.connectionId) {
    throw new SyncError(
      'sync_run_not_found',
      `sync run ${target.runId} of connection ${target.connectionId} does not exist`,
    );
  }
  if (run.status !== 'queued' && run.status !== 'running') {
    // A job retried after its run was closed must not add evidence to a run already evaluated.
    throw new SyncError('sync_run_finished', `sync run ${target.runId} is already ${run.status}`);
  }
  const row = await getConnectionById(db, target.connectionId);
  if (!row) throw new SyncError('connection_not_found', `connection ${target.connectionId} does not exist`);
  if (row.status !== 'active') {
    throw new SyncError('connection_not_active', `connection ${row.id} is ${row.status}, not active`);
  }
  if (!row.role_arn || !row.aws_account_id || !row.region) {
    throw new SyncError(
      'connection_incomplete',
      `connection ${row.id} has no ${[!row.role_arn && 'role ARN', !row.aws_account_id && 'account id', !row.region && 'region'].filter(Boolean).join(', ')}`,
    );
  }
  const connection: SyncConnection = {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    roleArn: row.role_arn,
    accountId: row.aws_account_id,
    region: row.region,
    auditWindowDays: row.audit_window_days,
  };
  await markSyncRunStarted(db, target.runId, deps.now());

  const ref: AwsConnectionRef = {
    connectionId: row.id,
    roleArn: row.role_arn,
    externalId: row.external_id,
    region: row.region,
  };
  const log = deps.logger.child({
    connectionId: row.id,
    runId: target.runId,
    step: target.step,
    accountId: row.aws_account_id,
  });
  try {
    // Assume the role now rather than on the first call: a refused role is a connection problem, to be
    // reported as such, not as a failure of whatever call happened to come first.
    await deps.aws.credentialCache.get(ref);
  } catch (err) {
    const c = classifyAwsError(err);
    if (c.code === 'role_not_assumable' || c.code === 'invalid_region') {
      throw new SyncError(c.code, c.message, { action: 'sts:AssumeRole', roleArn: row.role_arn });
    }
    throw err;
  }
  const counter = createCallCounter();
  const clients = deps.aws.forConnection(ref, { callCounter: counter });
  const startedAt = new Map<string, string>();
  const finalAttempt = job.attemptsMade + 1 >= job.attempts;
  const recordProblem = async (problem: SyncProblemInput) => {
    await recordSyncProblem(db, target.runId, { ...problem, step: problem.step ?? target.step }, deps.now());
  };

  const ctx: SyncContext = {
    connection,
    runId: target.runId,
    step: target.step,
    target: { connectionId: row.id, runId: target.runId },
    codecommit: clients.codecommit,
    iam: clients.iam,
    counter,
    log,
    now: deps.now,
    recordProblem,
    async setStep(step, state, detail) {
      const now = deps.now().toISOString();
      const s: SyncStepState = typeof state === 'string' ? { status: state } : { ...state };
      if (detail !== undefined) s.detail = detail;
      if (s.status === 'running') {
        s.startedAt ??= now;
        startedAt.set(step, s.startedAt);
      } else {
        const started = startedAt.get(step);
        if (started && !s.startedAt) s.startedAt = started;
        s.finishedAt ??= now;
      }
      await setSyncStep(db, target.runId, step, s);
    },
    call: createCallPolicy({ finalAttempt, recordProblem, log }),
    finalAttempt,
    progress: (schema) => readJobProgress(job, schema),
    defer: (ms) => job.defer(ms),
    phase(step) {
      target.step = step;
    },
    job,
    async flushCalls() {
      const stats = counter.stats();
      // Reset before the write: calls made while it is in flight belong to the next flush.
      counter.reset();
      const ops = new Set([...Object.keys(stats.calls), ...Object.keys(stats.throttled)]);
      if (ops.size === 0) return;
      const counts: Record<string, { calls: number; throttled: number }> = {};
      for (const op of ops) counts[op] = { calls: stats.calls[op] ?? 0, throttled: stats.throttled[op] ?? 0 };
      try {
        await addAwsCalls(db, target.runId, counts);
      } catch (err) {
        // Put them back, so a later flush still stores them.
        for (const [op, c] of Object.entries(counts)) {
          for (let i = 0; i < c.calls; i++) counter.record(op, 'call');
          for (let i = 0; i < c.throttled; i++) counter.record(op, 'throttled');
        }
        throw err;
      }
    },
    close() {
      clients.destroy();
    },
  };
  return ctx;
}

export interface WithSyncContextOptions extends SyncTarget {
  /**
   * The BullMQ job (`bullmqJobHandle`), to tell its last attempt (then the step is recorded as failed)
   * from one to retry, and to keep its progress. Default: a single in-memory attempt.
   */
  job?: SyncJobHandle;
}

/**
 * Runs `fn` in a sync context and always flushes the AWS call counts into the run, failure or not.
 * When the job fails for good (a `SyncError`/`UnrecoverableError`, or its last attempt), the step is
 * recorded as failed on the run with the reason, so the evaluator can report a partial run honestly.
 */
export async function withSyncContext<T>(
  deps: SyncWorkerDeps,
  options: WithSyncContextOptions,
  fn: (ctx: SyncContext) => Promise<T>,
): Promise<T> {
  const { job: handle, ...rest } = options;
  // A copy: `ctx.phase` moves the step failures are filed under.
  const target: SyncTarget = { ...rest };
  const job = handle ?? inMemoryJobHandle();
  let ctx: SyncContext;
  try {
    ctx = await openSyncContext(deps, target, job);
  } catch (err) {
    if (err instanceof SyncError && err.code !== 'sync_run_not_found' && err.code !== 'sync_run_finished') {
      await recordFailure(deps, target, err).catch((e: unknown) =>
        deps.logger.error({ err: e }, 'could not record the failure on the run'),
      );
    } else if (isFinal(err, job)) {
      await recordFailure(deps, target, err).catch(() => {});
    }
    throw err;
  }
  try {
    return await fn(ctx);
  } catch (err) {
    if (isFinal(err, job)) {
      await recordFailure(deps, target, err).catch((e: unknown) =>
        ctx.log.error({ err: e }, 'could not record the failure on the run'),
      );
    }
    throw err;
  } finally {
    try {
      await ctx.flushCalls();
    } catch (err) {
      ctx.log.error({ err }, 'could not store the AWS call counts');
    }
    ctx.close();
  }
}

function isFinal(err: unknown, job: SyncJobHandle): boolean {
  const name = (err as { name?: string } | null)?.name;
  if (name === 'WaitingChildrenError' || name === 'DelayedError' || name === 'WaitingError') return false;
  if (err instanceof UnrecoverableError) return true;
  return job.attemptsMade + 1 >= job.attempts;
}

async function recordFailure(deps: SyncWorkerDeps, target: SyncTarget, err: unknown): Promise<void> {
  const code = err instanceof SyncError ? err.code : classifyAwsError(err).code;
  const action = err instanceof SyncError ? err.details.action : undefined;
  const message = err instanceof Error ? err.message : String(err);
  await recordSyncProblem(
    deps.db,
    target.runId,
    {
      step: target.step,
      kind: 'error',
      code,
      ...(typeof action === 'string' ? { action } : {}),
      message,
    },
    deps.now(),
  );
  await setSyncStep(deps.db, target.runId, target.step, {
    status: 'failed',
    finishedAt: deps.now().toISOString(),
    detail: message.slice(0, 500),
  });
}

/** What a sync handler sees: the sync context and its process's dependencies (`D`: the job's own). */
export type SyncJobContext<D extends object = object> = SyncContext & { deps: SyncWorkerDeps & D };

/**
 * Every sync job is `(payload, ctx) => result` on this kernel: `ctx.call` for every AWS call,
 * `ctx.progress(schema)` / `ctx.defer(ms)` for phases, `ctx.phase(step)` for where a failure of the
 * whole job is filed. `step` names the job's first phase from its payload.
 */
export interface SyncJobDefinition<P extends { connectionId: string; runId: number }, R, D extends object> {
  step(payload: P): string;
  handle(payload: P, ctx: SyncJobContext<D>): Promise<R>;
}

/**
 * Runs a sync job: opens its context (see {@link withSyncContext}) and hands it to the handler. The one
 * way every caller (the workers through {@link syncJobHandler}, tests, the bench loader) runs one; `job`
 * is the BullMQ job (`bullmqJobHandle`) or, without a queue, an in-memory one (the default).
 */
export function runSyncJob<P extends { connectionId: string; runId: number }, R, D extends object>(
  definition: SyncJobDefinition<P, R, D>,
  deps: SyncWorkerDeps & D,
  payload: P,
  job?: SyncJobHandle,
): Promise<R> {
  return withSyncContext(
    deps,
    {
      connectionId: payload.connectionId,
      runId: payload.runId,
      step: definition.step(payload),
      ...(job ? { job } : {}),
    },
    (ctx) => definition.handle(payload, Object.assign(ctx, { deps })),
  );
}

/**
 * A sync job as a queue handler (`createWorker`'s `handlers`): the BullMQ job and its lock token
 * become `ctx.job`, so the job's attempts, progress, deferral and children are reached only through ctx.
 */
export function syncJobHandler<P extends { connectionId: string; runId: number }, R, D extends object>(
  definition: SyncJobDefinition<P, R, D>,
  deps: SyncWorkerDeps & D,
): (payload: P, queued: { job: Job; token: string | undefined }) => Promise<R> {
  return (payload, { job, token }) => runSyncJob(definition, deps, payload, bullmqJobHandle(job, token));
}
