import { type FailedStep, type MissingPermission, SCOPES_OF_SYNC_JOB } from '@codecommit-evidence/domain';

/** What a sync run failed to collect: the `run.completeness` of the checks' evidence. */
export interface RunCompleteness {
  missingPermissions: MissingPermission[];
  failedSteps: FailedStep[];
}

/** A problem row as `sync_run_problems` stores it. */
export interface ProblemInput {
  step: string;
  kind: 'missing_permission' | 'error' | 'warning';
  code: string;
  action: string;
  resource: string;
  message: string;
}

/**
 * Code of the problems the evaluator records for a child job of the sync-run flow that failed for
 * good: everything that job should have collected is missing from the run.
 */
export const SYNC_JOB_FAILED = 'sync_job_failed';

/** The scopes whose evidence a failed child job leaves missing (defined with the scopes, in domain). */
export const STEPS_OF_SYNC_JOB = SCOPES_OF_SYNC_JOB;

/**
 * Step names the sync workers record that differ from the domain's `SYNC_STEPS`, mapped onto them, so
 * that a gap the workers record reaches the checks that depend on it. A per-repository suffix
 * (`:<repository name>`) is kept.
 */
const STEP_ALIASES: Record<string, string> = {};

export function normalizeStep(step: string): string {
  if (STEP_ALIASES[step]) return STEP_ALIASES[step];
  for (const [alias, canonical] of Object.entries(STEP_ALIASES)) {
    if (step.startsWith(`${alias}:`)) return `${canonical}${step.slice(alias.length)}`;
  }
  return step;
}

/**
 * The completeness of a run from its problem rows: each missing permission with the step that needed
 * it, each error as a failed step. Warnings leave the evidence complete.
 */
export function completenessFromProblems(problems: readonly ProblemInput[]): RunCompleteness {
  const perms = new Map<string, MissingPermission>();
  const failed = new Map<string, FailedStep>();
  for (const p of problems) {
    const step = normalizeStep(p.step);
    if (p.kind === 'missing_permission') {
      const action = p.action || p.code;
      perms.set(`${step}\u001f${action}`, { action, step });
    } else if (p.kind === 'error') {
      const reason = p.resource ? `${p.message} (${p.resource})` : p.message;
      const key = `${step}\u001f${reason}`;
      if (!failed.has(key)) failed.set(key, { step, reason });
    }
  }
  return { missingPermissions: [...perms.values()], failedSteps: [...failed.values()] };
}

/** As the domain reads gaps: one recorded on `codecommit:pull-requests` covers `codecommit:pull-requests:app`. */
function covers(recorded: string, wanted: string): boolean {
  return recorded === wanted || wanted.startsWith(`${recorded}:`);
}

/** Whether the run has a gap (missing permission or failure) on `step`. */
export function hasGapOn(completeness: RunCompleteness, step: string): boolean {
  return (
    completeness.missingPermissions.some((m) => covers(m.step, step)) ||
    completeness.failedSteps.some((f) => covers(f.step, step))
  );
}

/** Which child jobs of the run's flow failed for good, from the problems the evaluator recorded. */
export function failedSyncJobs(problems: readonly ProblemInput[]): { iam: boolean; repositories: boolean } {
  const failed = problems.filter((p) => p.kind === 'error' && p.code === SYNC_JOB_FAILED);
  return {
    iam: failed.some((p) => p.step.startsWith('iam:')),
    repositories: failed.some((p) => p.step.startsWith('codecommit:')),
  };
}
