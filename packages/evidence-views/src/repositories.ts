import type {
  ApprovalRuleTemplateEvidence,
  PullRequestApprovalEvidence,
  PullRequestEvidence,
  RepositoryEvidence,
  RepositoryRef,
} from '@codecommit-evidence/domain';
import type { EvidenceRow } from '@codecommit-evidence/evidence-store';

export type RepositoryRow = Pick<
  EvidenceRow<'repositories'>,
  'repository_id' | 'repository_name' | 'arn' | 'default_branch'
>;
export type TemplateRow = Pick<
  EvidenceRow<'approval_rule_templates'>,
  'template_id' | 'template_name' | 'destination_references' | 'required_approvals' | 'approval_pool_members'
>;
export type AssociationRow = Pick<
  EvidenceRow<'repository_template_associations'>,
  'repository_id' | 'template_name'
>;
export type PullRequestRow = Pick<
  EvidenceRow<'pull_requests'>,
  | 'pull_request_id'
  | 'repository_name'
  | 'title'
  | 'author_arn'
  | 'status'
  | 'is_merged'
  | 'merged_by'
  | 'merged_at'
  | 'creation_date'
  | 'last_activity_date'
  | 'source_reference'
  | 'destination_reference'
  | 'revision_id'
  | 'evaluation'
  | 'override_state'
>;
export type ApprovalRow = Pick<
  EvidenceRow<'pull_request_approvals'>,
  'pull_request_id' | 'revision_id' | 'user_arn' | 'approval_state'
>;

export function repositoryRef(repo: RepositoryRow): RepositoryRef {
  // Repository tags are not collected, so `tags` stays unset: conditions on them are undecided.
  return { name: repo.repository_name, arn: repo.arn, defaultBranch: repo.default_branch };
}

export function templateEvidence(row: TemplateRow): ApprovalRuleTemplateEvidence {
  return {
    name: row.template_name,
    id: row.template_id,
    destinationReferences: row.destination_references ?? [],
    requiredApprovals: row.required_approvals,
    approvalPoolMembers: row.approval_pool_members ?? [],
  };
}

/**
 * The templates associated with a repository, joined by name (associations store the name, as
 * `ListAssociatedApprovalRuleTemplatesForRepository` returns it). An association whose template the run
 * does not hold is left out: it cannot be judged, and the sync records its own gap when it could not
 * read a template.
 */
export function associatedTemplates(
  repositoryId: string,
  associations: readonly AssociationRow[],
  templatesByName: ReadonlyMap<string, TemplateRow>,
): ApprovalRuleTemplateEvidence[] {
  const out: ApprovalRuleTemplateEvidence[] = [];
  for (const a of associations) {
    if (a.repository_id !== repositoryId) continue;
    const t = templatesByName.get(a.template_name);
    if (t) out.push(templateEvidence(t));
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

const EPOCH = new Date(0);

export function pullRequestEvidence(
  row: PullRequestRow,
  approvals: readonly ApprovalRow[],
): PullRequestEvidence {
  const approvalEvidence: PullRequestApprovalEvidence[] = approvals
    .filter((a) => a.pull_request_id === row.pull_request_id)
    .map((a) => ({ revisionId: a.revision_id, userArn: a.user_arn, state: a.approval_state }));
  const creation = row.creation_date ?? row.last_activity_date ?? EPOCH;
  return {
    id: row.pull_request_id,
    title: row.title ?? '',
    authorArn: row.author_arn ?? '',
    status: row.status,
    isMerged: row.is_merged,
    mergedBy: row.merged_by,
    mergedAt: row.merged_at,
    creationDate: creation,
    lastActivityDate: row.last_activity_date ?? creation,
    sourceReference: row.source_reference ?? '',
    destinationReference: row.destination_reference ?? '',
    revisionId: row.revision_id ?? '',
    approvals: approvalEvidence,
    evaluation: row.evaluation ?? null,
    override: row.override_state ?? null,
  };
}

export function repositoryEvidence(
  repo: RepositoryRow,
  parts: {
    approvalRuleTemplates: ApprovalRuleTemplateEvidence[] | null;
    pullRequests: PullRequestEvidence[] | null;
  },
): RepositoryEvidence {
  return {
    name: repo.repository_name,
    arn: repo.arn,
    id: repo.repository_id,
    defaultBranch: repo.default_branch,
    approvalRuleTemplates: parts.approvalRuleTemplates,
    pullRequests: parts.pullRequests,
  };
}
