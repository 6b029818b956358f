/**
 * The connect flow, in the order the issue gives: ARN form, Region, assume with External ID, the
 * confused-deputy check without it, permission probes, then activation, schedule and first sync.
 * Nothing is stored until every check passed, except `last_error` (code and message, no ARN) so the
 * connection shows why its last attempt failed.
 */

import { randomUUID } from 'node:crypto';
import { createAwsClientFactory, createCallCounter } from '@codecommit-evidence/aws-clients';
import {
  activateConnection,
  type Connection,
  createOrGetActiveSyncRun,
  getConnection,
  json,
  type SyncRun,
  updateConnection,
} from '@codecommit-evidence/evidence-store';
import { addSyncRunFlow, upsertSyncSchedule } from '@codecommit-evidence/queues';
import type { AppContext } from '../context.js';
import { ApiError, isApiError, notFound } from '../errors.js';
import {
  assessPermissions,
  PERMISSION_BY_ACTION,
  PERMISSIONS,
  type PermissionAction,
  type PermissionAssessment,
} from '../permissions.js';
import { assumeAndCheckExternalId } from './assume-role.js';
import { probePermissions } from './probe-permissions.js';
import { validateConnectTarget } from './validate-target.js';

export interface ConnectWarning {
  code: 'missing_permission' | 'no_repositories_in_region' | 'permissions_unverified';
  message: string;
  details: Record<string, unknown>;
}

export interface ConnectOutcome {
  connection: Connection;
  probe: {
    permissions: PermissionAssessment & { checkedAt: string };
    warnings: ConnectWarning[];
    regionHasRepositories: boolean | undefined;
    awsCalls: Record<string, number>;
  };
  syncRun: SyncRun;
}

const LOCK_TTL_MS = 120_000;

export async function connectConnection(
  ctx: AppContext,
  tenantId: string,
  connectionId: string,
  input: { roleArn: string; region: string },
): Promise<ConnectOutcome> {
  const connection = await getConnection(ctx.db, tenantId, connectionId);
  if (!connection) throw notFound('connection');
  try {
    const target = validateConnectTarget(input.roleArn, input.region);
    const outcome = await withConnectLock(ctx, connectionId, () => runConnect(ctx, connection, target));
    ctx.metrics.connects.inc({ outcome: 'connected' });
    return outcome;
  } catch (err) {
    if (isApiError(err)) {
      ctx.metrics.connects.inc({ outcome: err.code });
      if (err.code !== 'connect_in_progress') {
        // Code and message only: the ARN of a refused role is not kept (external_id_not_enforced).
        await updateConnection(
          ctx.db,
          connectionId,
          {
            last_error: json({ code: err.code, message: err.message, at: ctx.now().toISOString() }),
          },
          ctx.now(),
        ).catch((recordError: unknown) => {
          // The connect answer matters more than the bookkeeping (e.g. the connection was deleted meanwhile).
          ctx.logger.warn({ err: recordError, connectionId }, 'could not record the connect error');
        });
      }
    } else ctx.metrics.connects.inc({ outcome: 'internal_error' });
    throw err;
  }
}

async function runConnect(
  ctx: AppContext,
  connection: Connection,
  target: ReturnType<typeof validateConnectTarget>,
): Promise<ConnectOutcome> {
  await assertSameTarget(ctx, connection, target);
  const counter = createCallCounter();
  const factory = createAwsClientFactory({
    ...(ctx.aws.endpoint ? { endpoint: ctx.aws.endpoint } : {}),
    ...(ctx.aws.platformCredentials ? { platformCredentials: ctx.aws.platformCredentials } : {}),
    maxAttempts: ctx.aws.maxAttempts ?? 3,
    requestTimeoutMs: ctx.aws.requestTimeoutMs ?? 10_000,
    callCounter: counter,
  });
  const ref = {
    connectionId: connection.id,
    roleArn: target.role.arn,
    externalId: connection.external_id,
    region: target.region,
  };
  let report: Awaited<ReturnType<typeof probePermissions>>;
  try {
    await assumeAndCheckExternalId({
      factory,
      connectionId: connection.id,
      roleArn: target.role.arn,
      accountId: target.role.accountId,
      externalId: connection.external_id,
      region: target.region,
      platformAccountId: ctx.config.platformAccountId,
    });
    const clients = factory.forConnection(ref);
    try {
      report = await probePermissions({
        codecommit: clients.codecommit,
        iam: clients.iam,
        accountId: target.role.accountId,
        partition: target.role.partition,
        region: target.region,
      });
    } finally {
      clients.destroy();
    }
  } finally {
    // Drops the temporary credentials: the API keeps none after the request.
    factory.destroy();
  }

  const assessment = assessPermissions(report.outcomes);
  const awsCalls = counter.snapshot();
  const unverifiedCore = assessment.unverified.filter((a) => isCoreAction(a, assessment.granted));
  if (assessment.missingCore.length > 0) {
    throw new ApiError(
      422,
      'missing_permissions',
      `The role lacks permissions the sync cannot work without: ${assessment.missingCore
        .map((m) => m.action)
        .join(
          ', ',
        )}. Add them to the role's permissions policy (the setup kit's permissionsPolicy has every ` +
        'action the product calls), or attach AWSCodeCommitReadOnly and IAMReadOnlyAccess, then connect again.',
      {
        missing: [...assessment.missingCore, ...assessment.missingOptional],
        missingCore: assessment.missingCore.map((m) => m.action),
        missingOptional: assessment.missingOptional.map((m) => m.action),
        note: 'iam:GetAccountAuthorizationDetails and iam:ListUsers are alternatives: one of them is enough.',
      },
    );
  }
  if (unverifiedCore.length > 0) {
    throw new ApiError(
      503,
      'aws_unavailable',
      'AWS did not answer the permission checks conclusively (throttled or unavailable); nothing was changed. Try again in a minute.',
      { unverified: unverifiedCore, reasons: Object.fromEntries(report.unverifiedReasons) },
    );
  }

  const warnings: ConnectWarning[] = assessment.missingOptional.map((m) => ({
    code: 'missing_permission',
    message: `The role lacks ${m.action} (${m.purpose}); ${
      m.disables.length > 0
        ? `${m.disables.join(', ')} will report unknown where it needs that data`
        : 'no check depends on it'
    }. Add it to the role's permissions policy to close the gap.`,
    details: { action: m.action, disables: m.disables },
  }));
  if (assessment.unverified.length > 0) {
    warnings.push({
      code: 'permissions_unverified',
      message: `AWS did not answer the probes for ${assessment.unverified.join(', ')}; the first sync will record any that are missing.`,
      details: { actions: assessment.unverified, reasons: Object.fromEntries(report.unverifiedReasons) },
    });
  }
  if (report.regionHasRepositories === false) {
    warnings.push({
      code: 'no_repositories_in_region',
      message: `The role can list repositories, but ${target.region} has none in account ${target.role.accountId}. If your repositories are in another Region, connect again with that Region.`,
      details: { region: target.region, accountId: target.role.accountId },
    });
  }

  const permissions = { ...assessment, checkedAt: ctx.now().toISOString() };
  const active = await activateConnection(
    ctx.db,
    connection.id,
    {
      roleArn: target.role.arn,
      accountId: target.role.accountId,
      region: target.region,
      permissions,
      warnings,
    },
    ctx.now(),
  );
  await upsertSyncSchedule(ctx.queues, connection.id, active.sync_interval_minutes);
  const syncRun = await startSyncRun(ctx, connection.id, 'connect');
  return {
    connection: active,
    probe: { permissions, warnings, regionHasRepositories: report.regionHasRepositories, awsCalls },
    syncRun,
  };
}

/** A core action whose probe was inconclusive, unless a granted alternative already meets the requirement. */
function isCoreAction(a: PermissionAction, granted: readonly PermissionAction[]): boolean {
  const spec = PERMISSION_BY_ACTION.get(a);
  if (spec?.tier !== 'core') return false;
  return !PERMISSIONS.some(
    (p) => p.anyOf !== undefined && p.anyOf === spec.anyOf && granted.includes(p.action),
  );
}

/**
 * Creates the connection's sync run (or returns the queued/running one) and makes sure its flow is in
 * the queue: the flow's job ids derive from the run, so re-adding a queued run's flow adds nothing,
 * and a flow lost to a crash between the insert and the add is added on the next call.
 */
export async function startSyncRun(
  ctx: AppContext,
  connectionId: string,
  trigger: 'connect' | 'api',
): Promise<SyncRun> {
  const { run } = await createOrGetActiveSyncRun(ctx.db, connectionId, trigger, { now: ctx.now() });
  if (run.status === 'queued') await addSyncRunFlow(ctx.flowProducer, { connectionId, runId: run.id });
  return run;
}

/** One connect at a time per connection, across API replicas (Redis SET NX with a TTL). */
async function withConnectLock<T>(ctx: AppContext, connectionId: string, fn: () => Promise<T>): Promise<T> {
  const key = `${ctx.queuePrefix}:connect-lock:${connectionId}`;
  const token = randomUUID();
  const acquired = await ctx.redis.set(key, token, 'PX', LOCK_TTL_MS, 'NX');
  if (acquired !== 'OK') {
    throw new ApiError(
      409,
      'connect_in_progress',
      'Another connect call for this connection is running; wait for it to finish.',
    );
  }
  try {
    return await fn();
  } finally {
    await ctx.redis
      .eval(
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
        1,
        key,
        token,
      )
      .catch(() => undefined);
  }
}

/**
 * A connection's evidence is keyed by the connection, and pull requests by their id, which is only
 * unique within one account and Region: re-pointing a connection that already holds evidence at
 * another account (or its CodeCommit evidence at another Region) would mix two histories. Such a
 * change needs a new connection; the old one keeps its evidence.
 */
async function assertSameTarget(
  ctx: AppContext,
  connection: Connection,
  target: ReturnType<typeof validateConnectTarget>,
): Promise<void> {
  const accountChanged =
    connection.aws_account_id !== null && connection.aws_account_id !== target.role.accountId;
  const regionChanged = connection.region !== null && connection.region !== target.region;
  if (!accountChanged && !regionChanged) return;
  const holds = async (table: 'repositories' | 'iam_users') =>
    (await ctx.db
      .selectFrom(table)
      .select('id')
      .where('connection_id', '=', connection.id)
      .limit(1)
      .executeTakeFirst()) !== undefined;
  const conflict = accountChanged
    ? (await holds('iam_users')) || (await holds('repositories'))
    : await holds('repositories');
  if (!conflict) return;
  throw new ApiError(
    409,
    'connection_target_changed',
    `This connection already holds evidence for account ${connection.aws_account_id} in ${connection.region}; ` +
      `connecting it to ${accountChanged ? `account ${target.role.accountId}` : `Region ${target.region}`} would mix two histories. ` +
      'Create a new connection for that account or Region (POST /v1/connections); this one keeps its evidence.',
    {
      current: { accountId: connection.aws_account_id, region: connection.region },
      requested: { accountId: target.role.accountId, region: target.region },
    },
  );
}
