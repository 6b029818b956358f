import type {
  Approval,
  ApprovalRuleTemplateWithContent,
  Evaluation,
  PullRequest,
  PullRequestEvent,
  RepositoryMetadata,
} from '@codecommit-evidence/aws-clients';
import type {
  EvidenceInput,
  PullRequestApprovalRule,
  PullRequestEvaluation,
  PullRequestOverrideState,
} from '@codecommit-evidence/evidence-store';

/** AWS answers → evidence rows. Pure functions: what is stored is decided here, nowhere else. */

/** The evidence tables repo-sync writes (what a comparison of two syncs' evidence walks). */
export const REPOSITORY_EVIDENCE_TABLES = [
  'repositories',
  'branches',
  'repository_template_associations',
  'approval_rule_templates',
  'pull_requests',
  'pull_request_approvals',
] as const;

export function repositoryRow(repo: RepositoryMetadata): EvidenceInput<'repositories'> | undefined {
  if (!repo.repositoryId || !repo.repositoryName) return undefined;
  return {
    repository_id: repo.repositoryId,
    repository_name: repo.repositoryName,
    arn: repo.Arn ?? '',
    account_id: repo.accountId ?? null,
    description: repo.repositoryDescription ?? null,
    default_branch: repo.defaultBranch ?? null,
    clone_url_http: repo.cloneUrlHttp ?? null,
    clone_url_ssh: repo.cloneUrlSsh ?? null,
    creation_date: repo.creationDate ?? null,
    last_modified_date: repo.lastModifiedDate ?? null,
  };
}

/** What GetPullRequest's answer says about review on the final revision, fetched for merged ones only. */
export interface ReviewData {
  /** GetPullRequestApprovalStates on the final revision. */
  approvals: Approval[];
  evaluation: Evaluation;
  /** Known without a call when the evaluation says "not overridden". */
  override: PullRequestOverrideState | null;
  /**
   * DescribePullRequestEvents (approval-state events; other types in the list are ignored), read only when
   * `approvals` holds no APPROVE by anyone but the author (see {@link hasIndependentApproval}); null when
   * not read or denied.
   */
  approvalEvents: PullRequestEvent[] | null;
}

export function pullRequestRow(
  pr: PullRequest,
  repositoryName: string,
  review: ReviewData | null,
  mergedAt: Date | null = null,
): EvidenceInput<'pull_requests'> {
  const target = pr.pullRequestTargets?.[0];
  const merge = target?.mergeMetadata;
  return {
    pull_request_id: pr.pullRequestId ?? '',
    repository_name: target?.repositoryName ?? repositoryName,
    title: pr.title ?? null,
    author_arn: pr.authorArn ?? null,
    status: pr.pullRequestStatus === 'OPEN' ? 'OPEN' : 'CLOSED',
    is_merged: merge?.isMerged === true,
    merged_by: merge?.isMerged ? (merge.mergedBy ?? null) : null,
    // GetPullRequest has no merge date: it is read (DescribePullRequestEvents, the merge event) for every
    // merged pull request, whatever its dates, so the evidence does not depend on when the sync ran (a
    // window-based skip stored different rows for the same pull request a day apart). Null means not read
    // (denied, faulted, no merge event): repo-sync reads it again at the next run, and the checks meanwhile
    // use last_activity_date (packages/domain/src/checks/peer-review.ts `mergedAtOf`, which records which).
    merged_at: merge?.isMerged ? mergedAt : null,
    source_reference: target?.sourceReference ?? null,
    destination_reference: target?.destinationReference ?? null,
    source_commit: target?.sourceCommit ?? null,
    destination_commit: target?.destinationCommit ?? null,
    merge_base: target?.mergeBase ?? null,
    revision_id: pr.revisionId ?? null,
    creation_date: pr.creationDate ?? null,
    last_activity_date: pr.lastActivityDate ?? null,
    approval_rules: (pr.approvalRules ?? []).map(
      (rule): PullRequestApprovalRule => ({
        name: rule.approvalRuleName ?? '',
        content: parseJson(rule.approvalRuleContent),
        originTemplate: rule.originApprovalRuleTemplate?.approvalRuleTemplateName ?? null,
      }),
    ),
    evaluation: review ? evaluationOf(review.evaluation) : null,
    override_state: review ? review.override : null,
  };
}

/**
 * The evidence of an OPEN pull request: what cannot change while it stays open, and nothing else.
 *
 * Why: CodeCommit has no cheap signal that an open pull request changed. A new revision (a push to its
 * source branch), an approval or its revoke, an approval rule created, edited or overridden, a comment,
 * a new title or description all change only what GetPullRequest (`revisionId`, `lastActivityDate`,
 * `approvalRules`, …) or DescribePullRequestEvents answer, one call per pull request; ListPullRequests
 * says only which ids are OPEN and which CLOSED, and AWS does not document which of these bump the
 * repository's `lastModifiedDate`, so that cannot be trusted to say "nothing changed". Re-reading every
 * open pull request on every run was ⅔ of a no-change re-sync's calls. But the checks judge merged pull
 * requests only (packages/domain/CHECKS.md, peer review: approvals, evaluation and override on the
 * final revision, read when it is seen merged); an open one contributes nothing to a finding. So an
 * open pull request's row holds its identity: id, repository, author, creation date, source and
 * destination references (none of which CodeCommit lets change), status OPEN, not merged. Everything
 * mutable (title, revision, commits, merge base, last activity, approval rules, review data) is null,
 * meaning "not recorded while open", and is read once, in full, when the pull request leaves the OPEN
 * list (merged or closed: CLOSED is final, so it is never re-read). A change to an open pull request is
 * thus never missed: it either changes nothing stored, or it is a merge or close, which moves it to the
 * CLOSED list, where the next run reads its final state. A re-sync's evidence is the same as a full
 * sync's of the same state, which also stores open pull requests this way.
 */
export function openPullRequestRow(row: EvidenceInput<'pull_requests'>): EvidenceInput<'pull_requests'> {
  return {
    pull_request_id: row.pull_request_id,
    repository_name: row.repository_name,
    title: null,
    author_arn: row.author_arn,
    status: 'OPEN',
    is_merged: false,
    merged_by: null,
    merged_at: null,
    source_reference: row.source_reference,
    destination_reference: row.destination_reference,
    source_commit: null,
    destination_commit: null,
    merge_base: null,
    revision_id: null,
    creation_date: row.creation_date,
    last_activity_date: null,
    approval_rules: null,
    evaluation: null,
    override_state: null,
  };
}

/** Whether a stored OPEN row already has exactly the open-row form (nothing mutable kept). */
export function sameOpenRow(
  stored: EvidenceInput<'pull_requests'>,
  open: EvidenceInput<'pull_requests'>,
): boolean {
  const date = (d: Date | string | null) => (d === null ? null : new Date(d).getTime());
  return (Object.keys(open) as (keyof EvidenceInput<'pull_requests'>)[]).every((k) => {
    const a = stored[k] as unknown;
    const b = open[k] as unknown;
    if (a instanceof Date || b instanceof Date) return date(a as Date | null) === date(b as Date | null);
    return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  });
}

/** The merge date among a pull request's events (PULL_REQUEST_MERGE_STATE_CHANGED), or null when none. */
export function mergeDateOf(events: readonly PullRequestEvent[]): Date | null {
  const dates = events
    .filter((e) => e.pullRequestEventType === 'PULL_REQUEST_MERGE_STATE_CHANGED' && e.eventDate)
    .map((e) => new Date(e.eventDate!).getTime())
    .filter((t) => !Number.isNaN(t));
  // A pull request merges once; should AWS ever list more, the earliest is when it entered the branch.
  return dates.length > 0 ? new Date(Math.min(...dates)) : null;
}

export function evaluationOf(e: Evaluation): PullRequestEvaluation {
  return {
    approved: e.approved === true,
    overridden: e.overridden === true,
    approvalRulesSatisfied: [...(e.approvalRulesSatisfied ?? [])].sort(),
    approvalRulesNotSatisfied: [...(e.approvalRulesNotSatisfied ?? [])].sort(),
  };
}

/**
 * Whether the final revision's approval states hold an APPROVE by a principal other than the author's
 * exact ARN. When they do not, the peer-review check fails the pull request whatever else happened, and
 * its approval history is read once (one DescribePullRequestEvents per such pull request) so that the
 * finding can say "approved only on an earlier revision" where that is the truth. The author's other
 * sessions count as independent here: the check's explanation for them ("approved only by the author")
 * does not depend on earlier revisions, so their history is not worth a call.
 */
export function hasIndependentApproval(
  approvals: readonly Approval[],
  authorArn: string | null | undefined,
): boolean {
  return approvals.some((a) => a.approvalState === 'APPROVE' && !!a.userArn && a.userArn !== authorArn);
}

/**
 * The stored approvals of a merged pull request: the final revision's states (GetPullRequestApprovalStates),
 * plus, from its approval events when they were read, each revision's approvers with their latest state
 * by event date (a later REVOKE cancels an APPROVE). The final revision's states win for every user they
 * list; a user they do not list whose latest event on the final revision is a REVOKE is kept as REVOKE
 * (AWS's approval states omit a revoked approval, so only the events can say "its approval was revoked
 * by …", CHECKS.md). An APPROVE event the final states contradict is dropped.
 */
export function approvalRows(
  pullRequestId: string,
  revisionId: string,
  approvals: readonly Approval[],
  approvalEvents: readonly PullRequestEvent[] | null = null,
): EvidenceInput<'pull_request_approvals'>[] {
  const final = approvals
    .filter((a) => a.userArn)
    .map(
      (a): EvidenceInput<'pull_request_approvals'> => ({
        pull_request_id: pullRequestId,
        revision_id: revisionId,
        user_arn: a.userArn!,
        approval_state: a.approvalState === 'REVOKE' ? 'REVOKE' : 'APPROVE',
      }),
    );
  if (!approvalEvents) return final;
  const latest = new Map<string, EvidenceInput<'pull_request_approvals'>>();
  const ordered = approvalEvents
    .map((e, i) => ({ e, i, t: e.eventDate ? new Date(e.eventDate).getTime() : 0 }))
    // By event date; events of the same instant keep the order AWS listed them in.
    .sort((a, b) => a.t - b.t || a.i - b.i);
  for (const { e } of ordered) {
    if (e.pullRequestEventType !== 'PULL_REQUEST_APPROVAL_STATE_CHANGED') continue;
    const meta = e.approvalStateChangedEventMetadata;
    const rev = meta?.revisionId;
    const user = e.actorArn;
    if (!rev || !user) continue;
    const state = meta.approvalStatus === 'REVOKE' ? 'REVOKE' : 'APPROVE';
    latest.set(`${rev}\u001f${user}`, {
      pull_request_id: pullRequestId,
      revision_id: rev,
      user_arn: user,
      approval_state: state,
    });
  }
  const listed = new Set(final.map((a) => a.user_arn));
  const fromEvents = [...latest.values()].filter(
    (a) => a.revision_id !== revisionId || (a.approval_state === 'REVOKE' && !listed.has(a.user_arn)),
  );
  return [...final, ...fromEvents];
}

interface ApprovalStatement {
  Type?: string;
  NumberOfApprovalsNeeded?: number;
  ApprovalPoolMembers?: string[];
}

/**
 * A template's rule content, flattened for the checks. Several `Approvers` statements must each be
 * satisfied, so the required approvals are those of the strictest statement; the pool is their union.
 */
export function templateRow(t: ApprovalRuleTemplateWithContent): EvidenceInput<'approval_rule_templates'> {
  const content = (t.content ?? {}) as { DestinationReferences?: unknown; Statements?: unknown };
  const statements = Array.isArray(content.Statements) ? (content.Statements as ApprovalStatement[]) : [];
  const approvers = statements.filter((s) => s.Type === 'Approvers');
  const pool = new Set<string>();
  for (const s of approvers) for (const m of s.ApprovalPoolMembers ?? []) pool.add(m);
  return {
    template_id: t.approvalRuleTemplateId ?? '',
    template_name: t.approvalRuleTemplateName ?? '',
    description: t.approvalRuleTemplateDescription ?? null,
    content: t.content ?? t.approvalRuleTemplateContent ?? null,
    destination_references: Array.isArray(content.DestinationReferences)
      ? (content.DestinationReferences as string[])
      : [],
    required_approvals: Math.max(0, ...approvers.map((s) => s.NumberOfApprovalsNeeded ?? 0)),
    approval_pool_members: [...pool].sort(),
    rule_content_sha256: t.ruleContentSha256 ?? null,
    creation_date: t.creationDate ?? null,
    last_modified_date: t.lastModifiedDate ?? null,
  };
}

function parseJson(text: string | undefined): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
