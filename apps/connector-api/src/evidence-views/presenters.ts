/** Check runs, findings and evidence rows as the read API shows them: camelCase, ISO dates. */

import { CHECKS, type CheckDefinition } from '@codecommit-evidence/domain';
import type { CheckResultRow, CheckRun, FindingRow, SyncRun } from '@codecommit-evidence/evidence-store';

export const iso = (d: Date | string | null | undefined): string | null =>
  d === null || d === undefined ? null : d instanceof Date ? d.toISOString() : new Date(d).toISOString();

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
