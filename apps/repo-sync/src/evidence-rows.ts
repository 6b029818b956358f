import type {
  Approval,
  ApprovalRuleTemplateWithContent,
  Evaluation,
  PullRequest,
  RepositoryMetadata,
} from '@codecommit-evidence/aws-clients';
import type {
  EvidenceInput,
  PullRequestApprovalRule,
  PullRequestEvaluation,
  PullRequestOverrideState,
} from '@codecommit-evidence/evidence-store';

/** AWS answers → evidence rows. Pure functions: what is stored is decided here, nowhere else. */

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
  approvals: Approval[];
  evaluation: Evaluation;
  /** Known without a call when the evaluation says "not overridden". */
  override: PullRequestOverrideState | null;
}

export function pullRequestRow(
  pr: PullRequest,
  repositoryName: string,
  review: ReviewData | null,
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
    // GetPullRequest has no merge date. Not fetched (DescribePullRequestEvents would cost at least one
    // more call per merged pull request): null means unknown, and the checks then use
    // last_activity_date, which for a pull request closed by its merge is the merge (see
    // packages/domain/src/checks/peer-review.ts `mergedAtOf`, which also records which one it used).
    merged_at: null,
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

export function evaluationOf(e: Evaluation): PullRequestEvaluation {
  return {
    approved: e.approved === true,
    overridden: e.overridden === true,
    approvalRulesSatisfied: [...(e.approvalRulesSatisfied ?? [])].sort(),
    approvalRulesNotSatisfied: [...(e.approvalRulesNotSatisfied ?? [])].sort(),
  };
}

export function approvalRows(
  pullRequestId: string,
  revisionId: string,
  approvals: Approval[],
): EvidenceInput<'pull_request_approvals'>[] {
  return approvals
    .filter((a) => a.userArn)
    .map((a) => ({
      pull_request_id: pullRequestId,
      revision_id: revisionId,
      user_arn: a.userArn!,
      approval_state: a.approvalState === 'REVOKE' ? 'REVOKE' : 'APPROVE',
    }));
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
