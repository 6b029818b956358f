import { describeGaps, gapsFor, inventoryGapFindings, unlessScopeMissing } from './completeness.js';
import {
  type CheckEvidence,
  DEFAULT_AUDIT_WINDOW_DAYS,
  type PullRequestEvidence,
  type RepositoryEvidence,
  SYNC_STEPS,
} from './evidence.js';
import { capitalize, iso, listPhrase } from './format.js';
import { IdentityResolver } from './principals.js';
import {
  type CheckDefinition,
  type CheckResult,
  type CheckSteps,
  type Finding,
  judgedRepositoriesSteps,
  type RepositoryJudgementSteps,
  runSteps,
} from './result.js';
import { branchRef, reviewEnforcement } from './review-enforcement.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Principals whose latest approval event on `revisionId` is APPROVE (a later REVOKE cancels it). */
export function effectiveApprovers(pr: PullRequestEvidence, revisionId: string): string[] {
  const last = new Map<string, 'APPROVE' | 'REVOKE'>();
  for (const a of pr.approvals) if (a.revisionId === revisionId) last.set(a.userArn, a.state);
  return [...last].filter(([, state]) => state === 'APPROVE').map(([arn]) => arn);
}

export function mergedAtOf(pr: PullRequestEvidence): Date {
  return pr.mergedAt ?? pr.lastActivityDate;
}

export interface PullRequestReview {
  /** Problems that make the pull request unreviewed; empty when it was peer reviewed. */
  problems: string[];
  /** Approvers of the final revision other than the author (any of their sessions). */
  peerApprovers: string[];
}

/** Judges one merged pull request: a peer approval on its final revision, and no override. */
export function judgePullRequest(pr: PullRequestEvidence, identities: IdentityResolver): PullRequestReview {
  const problems: string[] = [];
  const approvers = effectiveApprovers(pr, pr.revisionId);
  const peerApprovers = approvers.filter((a) => !identities.samePerson(a, pr.authorArn));

  if (peerApprovers.length === 0) {
    const earlierRevisions = [...new Set(pr.approvals.map((a) => a.revisionId))].filter(
      (r) => r !== pr.revisionId,
    );
    const earlierPeer = earlierRevisions.filter((r) =>
      effectiveApprovers(pr, r).some((a) => !identities.samePerson(a, pr.authorArn)),
    );
    const revoked = pr.approvals
      .filter((a) => a.revisionId === pr.revisionId && a.state === 'REVOKE')
      .map((a) => a.userArn)
      .filter((arn) => !approvers.includes(arn));
    if (approvers.length > 0) {
      const selfOnly = approvers.map((a) =>
        a === pr.authorArn ? `the author ${a}` : `${a}, another session of the author`,
      );
      problems.push(`approved on its final revision only by the author (${listPhrase(selfOnly, 3)})`);
    } else if (earlierPeer.length > 0) {
      problems.push(
        `approved only on an earlier revision (${listPhrase(earlierPeer, 3)}), not on its final revision ${pr.revisionId}`,
      );
    } else if (revoked.length > 0) {
      problems.push(`its approval was revoked by ${listPhrase([...new Set(revoked)], 3)}`);
    } else {
      problems.push('no approval by anyone other than its author');
    }
  }
  const overridden = pr.override?.overridden === true || pr.evaluation?.overridden === true;
  if (overridden) {
    problems.push(
      `its approval rules were overridden by ${pr.override?.overrider ?? 'an unknown principal'}`,
    );
  }
  return { problems, peerApprovers };
}

function judgeRepository(
  repo: RepositoryEvidence,
  evidence: CheckEvidence,
  identities: IdentityResolver,
  windowStart: Date,
): Finding {
  const { run } = evidence;
  const days = run.auditWindowDays ?? DEFAULT_AUDIT_WINDOW_DAYS;
  const base = { resourceType: 'repository' as const, resourceId: repo.name, resourceName: repo.name };
  if (repo.defaultBranch === null) {
    return {
      ...base,
      status: 'not_applicable',
      reason: `Repository ${repo.name} is empty: it has no default branch to merge into.`,
      evidence: { repositoryArn: repo.arn, defaultBranch: null },
    };
  }
  const branch = repo.defaultBranch;
  const ref = branchRef(branch);
  const review = reviewEnforcement({ ...repo, defaultBranch: branch }, run);
  const window = { from: iso(windowStart), to: iso(run.evaluatedAt), days };

  let prStatus: 'known' | 'unknown' = 'known';
  let prReason = '';
  const offending: Record<string, unknown>[] = [];
  const offendingPhrases: string[] = [];
  const reviewed: Record<string, unknown>[] = [];
  let mergedCount = 0;
  const prSteps = [`${SYNC_STEPS.pullRequests}:${repo.name}`];

  if (repo.pullRequests === null) {
    prStatus = 'unknown';
    prReason = `its pull requests were not collected (${describeGaps(run, prSteps)})`;
  } else {
    const merged = repo.pullRequests.filter((pr) => {
      if (!pr.isMerged || branchRef(pr.destinationReference) !== ref) return false;
      const t = mergedAtOf(pr).getTime();
      return t >= windowStart.getTime() && t <= run.evaluatedAt.getTime();
    });
    mergedCount = merged.length;
    for (const pr of merged) {
      const judged = judgePullRequest(pr, identities);
      const summary = {
        id: pr.id,
        title: pr.title,
        authorArn: pr.authorArn,
        mergedBy: pr.mergedBy,
        mergedAt: iso(mergedAtOf(pr)),
        mergedAtSource: pr.mergedAt ? 'mergedAt' : 'lastActivityDate',
        revisionId: pr.revisionId,
      };
      if (judged.problems.length === 0) {
        // Kept short: with thousands of repositories this list is most of a check run's size.
        reviewed.push({
          id: pr.id,
          authorArn: pr.authorArn,
          mergedAt: summary.mergedAt,
          approvedBy: judged.peerApprovers,
        });
      } else {
        offending.push({
          ...summary,
          problems: judged.problems,
          approvals: pr.approvals,
          evaluation: pr.evaluation,
          override: pr.override,
        });
        offendingPhrases.push(`pull request ${pr.id} (${judged.problems.join('; ')})`);
      }
    }
  }

  const ev = {
    repositoryArn: repo.arn,
    defaultBranch: branch,
    auditWindow: window,
    ...review.evidence,
    mergedPullRequests: repo.pullRequests === null ? null : mergedCount,
    offendingPullRequests: offending,
    reviewedPullRequests: reviewed,
    ...(review.gaps || prStatus === 'unknown'
      ? { gaps: gapsFor(run, [...prSteps, `${SYNC_STEPS.approvalRuleTemplates}:${repo.name}`]) }
      : {}),
  };

  const failures: string[] = [];
  if (review.status === 'fail') failures.push(`review is not enforced: ${review.reason}`);
  if (offending.length > 0) {
    failures.push(
      `${offending.length} of ${mergedCount} pull requests merged into ${ref} in the last ${days} days were not peer reviewed: ${listPhrase(offendingPhrases)}`,
    );
  }
  if (failures.length > 0) {
    // As in branch protection: what could not be judged is said, naming its gap, not left out.
    const undecided = [
      ...(review.status === 'unknown' ? [`review enforcement is undecided: ${review.reason}`] : []),
      ...(prStatus === 'unknown' ? [`its merged pull requests are undecided: ${prReason}`] : []),
    ];
    return {
      ...base,
      status: 'fail',
      reason: `In repository ${repo.name}, ${failures.join('; and ')}${undecided.map((u) => `; ${u}`).join('')}.`,
      evidence: ev,
    };
  }
  const unknowns: string[] = [];
  if (review.status === 'unknown') unknowns.push(review.reason);
  if (prStatus === 'unknown') unknowns.push(prReason);
  if (unknowns.length > 0) {
    return {
      ...base,
      status: 'unknown',
      reason: `Peer review in repository ${repo.name} cannot be decided: ${unknowns.join('; and ')}.`,
      evidence: ev,
    };
  }
  return {
    ...base,
    status: 'pass',
    reason:
      mergedCount === 0
        ? `${capitalize(review.reason)} in repository ${repo.name}, and no pull request was merged into it in the last ${days} days.`
        : `${capitalize(review.reason)} in repository ${repo.name}, and all ${mergedCount} pull requests merged into it in the last ${days} days were approved on their final revision by someone other than their author.`,
    evidence: ev,
  };
}

/** `codecommit-peer-review`: one finding per repository. */
export function evaluatePeerReview(evidence: CheckEvidence): CheckResult {
  return runSteps(peerReviewSteps(evidence));
}

/** {@link evaluatePeerReview} paused after each repository. */
export function peerReviewSteps(evidence: CheckEvidence): CheckSteps {
  return judgedRepositoriesSteps(
    'codecommit-peer-review',
    peerReviewJudgement(evidence),
    evidence.repositories,
  );
}

/** The peer-review check set up for a run (its `evidence.repositories` is not read), and the judge of one repository. */
export function* peerReviewJudgement(evidence: CheckEvidence): RepositoryJudgementSteps {
  const { run } = evidence;
  const days = run.auditWindowDays ?? DEFAULT_AUDIT_WINDOW_DAYS;
  const windowStart = new Date(run.evaluatedAt.getTime() - days * DAY_MS);
  const identities = new IdentityResolver(evidence);
  return {
    accountFindings: inventoryGapFindings(run, [SYNC_STEPS.repositories], 'repository inventory'),
    judge: (repo) =>
      unlessScopeMissing(judgeRepository(repo, evidence, identities, windowStart), run, [
        SYNC_STEPS.repositories,
        `${SYNC_STEPS.repository}:${repo.name}`,
      ]),
  };
}

export const peerReviewCheck: CheckDefinition = {
  id: 'codecommit-peer-review',
  title: 'Peer review should be enforced for code changes',
  description:
    "Per repository with default branch D: review is enforced (an associated approval rule template covers refs/heads/D and requires at least one approval), and every pull request merged into D inside the audit window (default 90 days) has at least one approval on its final revision by a principal other than its author (the author's other sessions included), and its approval rules were not overridden.",
  controls: { soc2: ['CC8.1'], iso27001: ['A.8.32', 'A.8.25', 'A.8.4'] },
  howToFix: [
    '1. Enforce review: create an approval rule template that covers refs/heads/<default branch> with "NumberOfApprovalsNeeded": 1 or more (`aws codecommit create-approval-rule-template`) and associate it with the repository (`aws codecommit associate-approval-rule-template-with-repository`); see the branch-protection check for the template JSON.',
    '2. Stop overrides: deny `codecommit:OverridePullRequestApprovalRules` on the repository to every user, group and role, admins included.',
    "3. Reviews count only on the final revision: after pushing to a pull request, ask for a new approval; approvals by the author's own other sessions (another role, same session name) do not count.",
    '4. For each offending pull request listed in the finding, which cannot be changed after the merge, record a retrospective review by someone other than the author (for example a follow-up pull request or ticket referencing the merge commit) and keep it with the audit evidence.',
  ].join('\n'),
  evaluate: evaluatePeerReview,
  evaluateInSteps: peerReviewSteps,
  judgeRepositoriesInSteps: peerReviewJudgement,
};
