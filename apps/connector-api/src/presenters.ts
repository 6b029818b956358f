/**
 * How stored rows look on the wire: camelCase, ISO dates, nothing secret. Connections, sync runs, check
 * runs, findings and the sync run an evidence read is as of.
 */

import { CHECKS, type CheckDefinition } from '@codecommit-evidence/domain';
import type {
  CheckResultRow,
  CheckRun,
  Connection,
  FindingRow,
  SyncRun,
  SyncRunProblem,
} from '@codecommit-evidence/evidence-store';

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

export const iso = (d: Date | string | null | undefined): string | null =>
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

interface EvidenceNote {
  code: 'evidence';
  judgedAt?: string;
  syncRunStatus?: string;
  auditWindowDays?: number;
  missingPermissions?: { action: string; step: string }[];
  failedSteps?: { step: string; reason: string }[];
}

function evidenceNote(run: CheckRun): EvidenceNote | undefined {
  return (run.notes ?? []).find(
    (n): n is EvidenceNote =>
      typeof n === 'object' && n !== null && (n as { code?: unknown }).code === 'evidence',
  );
}

/**
 * A check run. `evaluatedAt` is when it was written; `judgedAt` the instant the checks judged (the sync
 * run's finish: audit window and offboarding dates are read against it); `rosterAsOf` the roster used.
 */
export function checkRunView(run: CheckRun) {
  const note = evidenceNote(run);
  return {
    id: run.id,
    syncRunId: run.sync_run_id,
    trigger: run.trigger,
    evaluatedAt: iso(run.evaluated_at),
    judgedAt: note?.judgedAt ?? null,
    rosterAsOf: iso(run.roster_as_of),
    partial: run.partial,
    auditWindowDays: note?.auditWindowDays ?? null,
    gaps: { missingPermissions: note?.missingPermissions ?? [], failedSteps: note?.failedSteps ?? [] },
    notes: (run.notes ?? []).filter((n) => n !== note),
  };
}

export function checkDefinition(checkId: string): CheckDefinition | undefined {
  return CHECKS.find((c) => c.id === checkId);
}

export function checkView(def: CheckDefinition, result: CheckResultRow | undefined) {
  return {
    id: def.id,
    title: def.title,
    description: def.description,
    controls: def.controls,
    status: result?.status ?? null,
    counts: result?.counts ?? { pass: 0, fail: 0, unknown: 0, not_applicable: 0 },
    howToFix: def.howToFix,
  };
}

export function findingView(f: FindingRow) {
  return {
    id: f.id,
    checkId: f.check_id,
    resourceType: f.resource_type,
    resourceId: f.resource_id,
    resourceName: f.resource_name,
    status: f.status,
    reason: f.reason,
    evidence: f.evidence,
  };
}

/** The sync run an evidence read is "as of". */
export function asOfView(run: SyncRun) {
  return { id: run.id, status: run.status, finishedAt: iso(run.finished_at) };
}
