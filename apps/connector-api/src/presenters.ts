/** How stored rows look on the wire: camelCase, ISO dates, nothing secret. */

import type { Connection, SyncRun, SyncRunProblem } from '@codecommit-evidence/evidence-store';

/** A connect warning as the connect flow stores it (connect/…; responses.ts documents it). */
interface ConnectWarning {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** The last connect failure as the connect flow stores it (code and message, never the ARN). */
interface ConnectError {
  code: string;
  message: string;
  at: string;
}

const iso = (d: Date | string | null | undefined) =>
  d === null || d === undefined ? null : d instanceof Date ? d.toISOString() : new Date(d).toISOString();

export function syncRunSummary(run: SyncRun) {
  const started = run.started_at ? new Date(run.started_at).getTime() : undefined;
  const finished = run.finished_at ? new Date(run.finished_at).getTime() : undefined;
  return {
    id: run.id,
    connectionId: run.connection_id,
    trigger: run.trigger,
    status: run.status,
    createdAt: iso(run.created_at),
    startedAt: iso(run.started_at),
    finishedAt: iso(run.finished_at),
    durationMs: started !== undefined && finished !== undefined ? finished - started : null,
  };
}

export function syncRunDetail(
  run: SyncRun,
  awsCalls: Record<string, { calls: number; throttled: number }>,
  problems: SyncRunProblem[],
) {
  const totalCalls = Object.values(awsCalls).reduce((n, v) => n + v.calls, 0);
  return {
    ...syncRunSummary(run),
    steps: run.steps,
    error: run.error,
    /** Per `service:Operation`, as the workers counted them. */
    awsCalls,
    awsCallsTotal: totalCalls,
    problems: problems.map((p) => ({
      step: p.step,
      kind: p.kind,
      code: p.code,
      action: p.action || null,
      resource: p.resource || null,
      message: p.message,
      at: iso(p.created_at),
    })),
    missingPermissions: [
      ...new Set(problems.filter((p) => p.kind === 'missing_permission' && p.action).map((p) => p.action)),
    ],
  };
}

export function connectionView(c: Connection, lastSyncRun?: SyncRun | undefined) {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    externalId: c.external_id,
    roleArn: c.role_arn,
    awsAccountId: c.aws_account_id,
    region: c.region,
    syncIntervalMinutes: c.sync_interval_minutes,
    auditWindowDays: c.audit_window_days,
    permissions: c.permissions ?? null,
    warnings: (c.warnings ?? []) as ConnectWarning[],
    lastConnectError: (c.last_error ?? null) as ConnectError | null,
    connectedAt: iso(c.connected_at),
    createdAt: iso(c.created_at),
    updatedAt: iso(c.updated_at),
    /** Set once deleted: the connection is read-only from then on; its evidence stays readable. */
    deletedAt: iso(c.deleted_at),
    lastSyncRun: lastSyncRun ? syncRunSummary(lastSyncRun) : null,
  };
}
