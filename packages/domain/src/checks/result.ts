import type { CheckEvidence, RepositoryEvidence } from './evidence.js';

export type CheckId =
  | 'codecommit-offboarded-user-access'
  | 'codecommit-user-mfa'
  | 'codecommit-branch-protection-admins'
  | 'codecommit-peer-review';

export type FindingStatus = 'pass' | 'fail' | 'unknown' | 'not_applicable';

/**
 * `account` is used for a gap that concerns the whole account (an inventory step that failed), so
 * that a check that must prove an absence cannot pass on missing data.
 */
export type ResourceType = 'iam_user' | 'iam_role' | 'root' | 'repository' | 'principal' | 'account';

export interface Finding {
  resourceType: ResourceType;
  /** ARN, or the repository name for repositories. */
  resourceId: string;
  resourceName: string;
  status: FindingStatus;
  /** One human sentence. */
  reason: string;
  /** The evidence that decided the status (statements, approvals, credential-report row, link…); plain JSON. */
  evidence: Record<string, unknown>;
}

export interface CheckResult {
  checkId: CheckId;
  status: FindingStatus;
  counts: Record<FindingStatus, number>;
  findings: Finding[];
}

export interface CheckDefinition {
  id: CheckId;
  title: string;
  description: string;
  controls: { soc2: string[]; iso27001: string[] };
  howToFix: string;
  evaluate: (evidence: CheckEvidence) => CheckResult;
  /**
   * The same evaluation in steps: yields after each unit of work (a user, a repository) so that a
   * caller can hand the event loop back between units; run to the end it returns what `evaluate` does.
   */
  evaluateInSteps: (evidence: CheckEvidence) => CheckSteps;
  /**
   * Checks with one finding per repository: the account-wide part of the evaluation, set up without
   * reading `evidence.repositories`, and a judge of one repository at a time, so that a caller can
   * bring the repositories (and their pull requests) in batches and drop each batch once judged.
   * `evaluate(evidence)` is exactly `[...accountFindings, ...evidence.repositories.map(judge)]` as a
   * check result (`resultOfJudgement`).
   */
  judgeRepositoriesInSteps?: (evidence: CheckEvidence) => RepositoryJudgementSteps;
}

/** A repository check set up for a run: its account-wide findings and a judge of each repository. */
export interface RepositoryJudgement {
  /** Findings about the whole account (an inventory gap): listed before the repositories'. */
  accountFindings: Finding[];
  /** One repository's finding: it depends on that repository and the run's account-wide evidence only. */
  judge: (repo: RepositoryEvidence) => Finding;
}

/** Setting a repository check up, paused after each unit of work (a principal). */
export type RepositoryJudgementSteps = Generator<void, RepositoryJudgement, void>;

/**
 * A repository check's evaluation in steps from its judgement: the account-wide findings, then each
 * repository's, pausing after each.
 */
export function* judgedRepositoriesSteps(
  checkId: CheckId,
  setUp: RepositoryJudgementSteps,
  repositories: readonly RepositoryEvidence[],
): CheckSteps {
  const { accountFindings, judge } = yield* setUp;
  const findings = [...accountFindings];
  yield;
  for (const repo of repositories) {
    findings.push(judge(repo));
    yield;
  }
  return buildCheckResult(checkId, findings);
}

/** A check's evaluation, paused after each unit of work; its return value is the result. */
export type CheckSteps = Generator<void, CheckResult, void>;

/** Runs a stepped evaluation to its end. */
export function runSteps(steps: CheckSteps): CheckResult {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * A check fails if any finding fails; else it is unknown if any is unknown; else it passes; it is not
 * applicable when there is nothing to judge (no findings, or only not-applicable ones).
 */
export function aggregateStatus(findings: readonly Pick<Finding, 'status'>[]): FindingStatus {
  if (findings.some((f) => f.status === 'fail')) return 'fail';
  if (findings.some((f) => f.status === 'unknown')) return 'unknown';
  if (findings.some((f) => f.status === 'pass')) return 'pass';
  return 'not_applicable';
}

export function buildCheckResult(checkId: CheckId, findings: Finding[]): CheckResult {
  const counts: Record<FindingStatus, number> = { pass: 0, fail: 0, unknown: 0, not_applicable: 0 };
  for (const f of findings) counts[f.status] += 1;
  return { checkId, status: aggregateStatus(findings), counts, findings };
}
