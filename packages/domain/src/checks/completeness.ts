import type { FailedStep, MissingPermission, SyncRunEvidence } from './evidence.js';
import type { Finding } from './result.js';

/** The gaps of a sync run that concern some steps. */
export interface DataGaps {
  missingPermissions: MissingPermission[];
  failedSteps: FailedStep[];
}

/** A gap recorded on `codecommit:pull-requests` also covers `codecommit:pull-requests:<repo>`. */
function stepCovers(recorded: string, wanted: string): boolean {
  return recorded === wanted || wanted.startsWith(`${recorded}:`);
}

export function gapsFor(run: SyncRunEvidence, steps: readonly string[]): DataGaps {
  return {
    missingPermissions: run.completeness.missingPermissions.filter((m) =>
      steps.some((s) => stepCovers(m.step, s)),
    ),
    failedSteps: run.completeness.failedSteps.filter((f) => steps.some((s) => stepCovers(f.step, s))),
  };
}

export function hasGaps(gaps: DataGaps): boolean {
  return gaps.missingPermissions.length > 0 || gaps.failedSteps.length > 0;
}

export function mergeGaps(...all: DataGaps[]): DataGaps {
  const key = (x: object) => JSON.stringify(x);
  const perms = new Map<string, MissingPermission>();
  const failed = new Map<string, FailedStep>();
  for (const g of all) {
    for (const m of g.missingPermissions) perms.set(key(m), m);
    for (const f of g.failedSteps) failed.set(key(f), f);
  }
  return { missingPermissions: [...perms.values()], failedSteps: [...failed.values()] };
}

/**
 * Why the data of `steps` is missing, as a phrase: "missing permission iam:GetCredentialReport (sync
 * step iam:credential-report)", "sync step iam:ssh-keys failed: Throttling", or, when the run recorded
 * nothing, "no data from sync step X in this run".
 */
export function describeGaps(run: SyncRunEvidence, steps: readonly string[]): string {
  const gaps = gapsFor(run, steps);
  const parts: string[] = [];
  const byStep = new Map<string, string[]>();
  for (const m of gaps.missingPermissions) {
    const list = byStep.get(m.step) ?? [];
    if (!list.includes(m.action)) list.push(m.action);
    byStep.set(m.step, list);
  }
  for (const [step, actions] of byStep) {
    parts.push(`missing permission ${actions.join(', ')} (sync step ${step})`);
  }
  for (const f of gaps.failedSteps) parts.push(`sync step ${f.step} failed: ${f.reason}`);
  if (parts.length === 0) return `no data from sync step ${steps.join(' / ')} in this run`;
  return parts.join('; ');
}

/**
 * The missing-data rule, applied to every finding about one principal or repository: when a sync step
 * the finding depends on has a gap in this run (denied, failed, or answered invalid), the finding
 * cannot be `pass` or `not_applicable` — it becomes `unknown`, naming the gap, and says what the last
 * known evidence showed. A `fail` stays as it is: the flaw was seen in the last known evidence, and
 * nothing seen says it was fixed. An `unknown` stays unknown and its reason names the gap too. With no
 * gap the finding is returned unchanged, so healthy runs are judged exactly as before.
 */
export function unlessScopeMissing(
  finding: Finding,
  run: SyncRunEvidence,
  steps: readonly string[],
): Finding {
  if (finding.status === 'fail') return finding;
  const gaps = gapsFor(run, steps);
  if (!hasGaps(gaps)) return finding;
  const existing = finding.evidence.gaps as DataGaps | undefined;
  if (finding.status === 'unknown') {
    // Already undecided (a policy it could not read, say): it stays unknown, but a reader must learn
    // that this run's data has a gap its scope depends on, not only that something was undecidable.
    const described = describeGaps(run, steps);
    if (finding.reason.includes(described)) return finding;
    return {
      ...finding,
      reason: `${finding.reason.replace(/\.$/, '')}. This run's data is incomplete: ${described}.`,
      evidence: { ...finding.evidence, gaps: existing ? mergeGaps(existing, gaps) : gaps },
    };
  }
  const before = finding.reason.replace(/\.$/, '');
  return {
    ...finding,
    status: 'unknown',
    reason: `${finding.resourceName} cannot be judged on this run's data: ${describeGaps(run, steps)}. On the last known evidence it would be ${finding.status === 'pass' ? 'a pass' : 'not applicable'}: ${before}.`,
    evidence: {
      ...finding.evidence,
      gaps: existing ? mergeGaps(existing, gaps) : gaps,
      statusOnLastKnownEvidence: finding.status,
    },
  };
}

/**
 * Checks that must prove an absence ("no principal can bypass review", "no offboarded user keeps
 * access") cannot pass when an inventory step of the run has a gap: the missing principal or repository
 * is exactly the one that could fail. Such a gap yields one account-level unknown finding.
 */
export function inventoryGapFindings(
  run: SyncRunEvidence,
  steps: readonly string[],
  what: string,
): Finding[] {
  const gaps = gapsFor(run, steps);
  if (!hasGaps(gaps)) return [];
  return [
    {
      resourceType: 'account',
      resourceId: run.accountId,
      resourceName: `AWS account ${run.accountId}`,
      status: 'unknown',
      reason: `The ${what} of this run may be incomplete: ${describeGaps(run, steps)}.`,
      evidence: { syncRunId: run.syncRunId, ...gaps },
    },
  ];
}
