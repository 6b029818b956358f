import type { z } from 'zod';
import * as codecommit from './codecommit.js';
import * as iam from './iam.js';
import * as sts from './sts.js';

/**
 * The schema of each operation's answer, keyed `service:Operation` as calls are counted. `callAws`
 * checks every answer of an operation listed here; a reader of a new operation adds its schema here
 * (the test in `responses.test.ts` fails for an operation the readers call without one).
 */
export const RESPONSE_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  'codecommit:ListRepositories': codecommit.listRepositoriesOutput,
  'codecommit:BatchGetRepositories': codecommit.batchGetRepositoriesOutput,
  'codecommit:ListBranches': codecommit.listBranchesOutput,
  'codecommit:GetBranch': codecommit.getBranchOutput,
  'codecommit:ListPullRequests': codecommit.listPullRequestsOutput,
  'codecommit:GetPullRequest': codecommit.getPullRequestOutput,
  'codecommit:GetPullRequestApprovalStates': codecommit.getPullRequestApprovalStatesOutput,
  'codecommit:EvaluatePullRequestApprovalRules': codecommit.evaluatePullRequestApprovalRulesOutput,
  'codecommit:GetPullRequestOverrideState': codecommit.getPullRequestOverrideStateOutput,
  'codecommit:DescribePullRequestEvents': codecommit.describePullRequestEventsOutput,
  'codecommit:ListApprovalRuleTemplates': codecommit.listApprovalRuleTemplatesOutput,
  'codecommit:ListRepositoriesForApprovalRuleTemplate':
    codecommit.listRepositoriesForApprovalRuleTemplateOutput,
  'codecommit:GetApprovalRuleTemplate': codecommit.getApprovalRuleTemplateOutput,
  'iam:GetAccountAuthorizationDetails': iam.getAccountAuthorizationDetailsOutput,
  'iam:ListUsers': iam.listUsersOutput,
  'iam:GetUser': iam.getUserOutput,
  'iam:ListUserTags': iam.listTagsOutput,
  'iam:ListRoleTags': iam.listTagsOutput,
  'iam:ListGroupsForUser': iam.listGroupsOutput,
  'iam:ListGroups': iam.listGroupsOutput,
  'iam:ListAttachedUserPolicies': iam.listAttachedPoliciesOutput,
  'iam:ListAttachedGroupPolicies': iam.listAttachedPoliciesOutput,
  'iam:ListAttachedRolePolicies': iam.listAttachedPoliciesOutput,
  'iam:ListUserPolicies': iam.listPolicyNamesOutput,
  'iam:ListGroupPolicies': iam.listPolicyNamesOutput,
  'iam:ListRolePolicies': iam.listPolicyNamesOutput,
  'iam:ListRoles': iam.listRolesOutput,
  'iam:GetRole': iam.getRoleOutput,
  'iam:ListSSHPublicKeys': iam.listSSHPublicKeysOutput,
  'iam:ListServiceSpecificCredentials': iam.listServiceSpecificCredentialsOutput,
  'iam:GetPolicy': iam.getPolicyOutput,
  'iam:GetPolicyVersion': iam.getPolicyVersionOutput,
  'iam:GetUserPolicy': iam.getInlinePolicyOutput,
  'iam:GetGroupPolicy': iam.getInlinePolicyOutput,
  'iam:GetRolePolicy': iam.getInlinePolicyOutput,
  'iam:GetCredentialReport': iam.getCredentialReportOutput,
  'iam:GenerateCredentialReport': iam.generateCredentialReportOutput,
  'sts:AssumeRole': sts.assumeRoleOutput,
  'sts:GetCallerIdentity': sts.getCallerIdentityOutput,
};

export { checkResponse, fieldPath } from './schema.js';
