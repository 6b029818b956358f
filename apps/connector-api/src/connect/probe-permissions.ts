/**
 * Permission probes: one cheapest call per action of the catalog, as the customer role. A call about a
 * name that does not exist answers "not found" when the action is allowed and AccessDenied when it is
 * not (IAM authorizes before it looks the resource up), so the probes read nothing and change nothing.
 * Exceptions, on purpose: the account-wide lists are real calls with the smallest page, and
 * GenerateCredentialReport really starts a report (there is no dry run; the first sync needs that
 * report anyway, and AWS reuses one younger than 4 hours).
 *
 * The verdict comes from aws-clients' classifier: access_denied = denied; throttled, unavailable,
 * credential trouble or a validation error = unverified (no conclusion); anything else (success,
 * not-found, ReportNotPresent, …, all answered after authorization) = granted.
 */

import {
  BatchGetRepositoriesCommand,
  type CodeCommitClient,
  DescribePullRequestEventsCommand,
  EvaluatePullRequestApprovalRulesCommand,
  GetApprovalRuleTemplateCommand,
  GetBranchCommand,
  GetPullRequestApprovalStatesCommand,
  GetPullRequestCommand,
  GetPullRequestOverrideStateCommand,
  ListApprovalRuleTemplatesCommand,
  ListAssociatedApprovalRuleTemplatesForRepositoryCommand,
  ListBranchesCommand,
  ListPullRequestsCommand,
  ListRepositoriesCommand,
} from '@aws-sdk/client-codecommit';
import {
  GenerateCredentialReportCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListServiceSpecificCredentialsCommand,
  ListSSHPublicKeysCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
} from '@aws-sdk/client-iam';
import { classifyAwsError } from '@codecommit-evidence/aws-clients';
import { PERMISSION_ACTIONS, type PermissionAction, type ProbeOutcome } from '../permissions.js';

/** A name no customer resource has; IAM and CodeCommit both accept its characters. */
export const PROBE_NAME = 'cce-permission-probe-does-not-exist';
const PROBE_PULL_REQUEST_ID = '999999999';
const PROBE_REVISION_ID = '0'.repeat(64);

export interface ProbeClients {
  codecommit: CodeCommitClient;
  iam: IAMClient;
  accountId: string;
  partition: string;
  region: string;
}

type Probe = (c: ProbeClients) => Promise<unknown>;

const pr = { pullRequestId: PROBE_PULL_REQUEST_ID };
const prRevision = { ...pr, revisionId: PROBE_REVISION_ID };
const user = { UserName: PROBE_NAME };
const group = { GroupName: PROBE_NAME };
const role = { RoleName: PROBE_NAME };
const policyArn = (c: ProbeClients) => `arn:${c.partition}:iam::${c.accountId}:policy/${PROBE_NAME}`;

/** Record<PermissionAction, …>: the compiler refuses a catalog action without a probe. */
export const PROBES: Record<PermissionAction, Probe> = {
  'codecommit:ListRepositories': (c) => c.codecommit.send(new ListRepositoriesCommand({})),
  'codecommit:BatchGetRepositories': (c) =>
    c.codecommit.send(new BatchGetRepositoriesCommand({ repositoryNames: [PROBE_NAME] })),
  'codecommit:ListBranches': (c) =>
    c.codecommit.send(new ListBranchesCommand({ repositoryName: PROBE_NAME })),
  'codecommit:GetBranch': (c) =>
    c.codecommit.send(new GetBranchCommand({ repositoryName: PROBE_NAME, branchName: PROBE_NAME })),
  'codecommit:ListPullRequests': (c) =>
    c.codecommit.send(new ListPullRequestsCommand({ repositoryName: PROBE_NAME, maxResults: 1 })),
  'codecommit:GetPullRequest': (c) => c.codecommit.send(new GetPullRequestCommand(pr)),
  'codecommit:GetPullRequestApprovalStates': (c) =>
    c.codecommit.send(new GetPullRequestApprovalStatesCommand(prRevision)),
  'codecommit:EvaluatePullRequestApprovalRules': (c) =>
    c.codecommit.send(new EvaluatePullRequestApprovalRulesCommand(prRevision)),
  'codecommit:GetPullRequestOverrideState': (c) =>
    c.codecommit.send(new GetPullRequestOverrideStateCommand(prRevision)),
  'codecommit:DescribePullRequestEvents': (c) =>
    c.codecommit.send(new DescribePullRequestEventsCommand({ ...pr, maxResults: 1 })),
  'codecommit:ListApprovalRuleTemplates': (c) =>
    c.codecommit.send(new ListApprovalRuleTemplatesCommand({ maxResults: 1 })),
  'codecommit:GetApprovalRuleTemplate': (c) =>
    c.codecommit.send(new GetApprovalRuleTemplateCommand({ approvalRuleTemplateName: PROBE_NAME })),
  'codecommit:ListAssociatedApprovalRuleTemplatesForRepository': (c) =>
    c.codecommit.send(
      new ListAssociatedApprovalRuleTemplatesForRepositoryCommand({
        repositoryName: PROBE_NAME,
        maxResults: 1,
      }),
    ),
  'iam:GetAccountAuthorizationDetails': (c) =>
    c.iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User'], MaxItems: 1 })),
  'iam:ListUsers': (c) => c.iam.send(new ListUsersCommand({ MaxItems: 1 })),
  'iam:ListUserTags': (c) => c.iam.send(new ListUserTagsCommand(user)),
  'iam:ListGroupsForUser': (c) => c.iam.send(new ListGroupsForUserCommand(user)),
  'iam:ListAttachedUserPolicies': (c) => c.iam.send(new ListAttachedUserPoliciesCommand(user)),
  'iam:ListUserPolicies': (c) => c.iam.send(new ListUserPoliciesCommand(user)),
  'iam:GetUserPolicy': (c) => c.iam.send(new GetUserPolicyCommand({ ...user, PolicyName: PROBE_NAME })),
  'iam:ListGroupPolicies': (c) => c.iam.send(new ListGroupPoliciesCommand(group)),
  'iam:GetGroupPolicy': (c) => c.iam.send(new GetGroupPolicyCommand({ ...group, PolicyName: PROBE_NAME })),
  'iam:ListAttachedGroupPolicies': (c) => c.iam.send(new ListAttachedGroupPoliciesCommand(group)),
  'iam:ListRoles': (c) => c.iam.send(new ListRolesCommand({ MaxItems: 1 })),
  'iam:ListRolePolicies': (c) => c.iam.send(new ListRolePoliciesCommand(role)),
  'iam:GetRolePolicy': (c) => c.iam.send(new GetRolePolicyCommand({ ...role, PolicyName: PROBE_NAME })),
  'iam:ListAttachedRolePolicies': (c) => c.iam.send(new ListAttachedRolePoliciesCommand(role)),
  'iam:GetPolicy': (c) => c.iam.send(new GetPolicyCommand({ PolicyArn: policyArn(c) })),
  'iam:GetPolicyVersion': (c) =>
    c.iam.send(new GetPolicyVersionCommand({ PolicyArn: policyArn(c), VersionId: 'v1' })),
  'iam:GenerateCredentialReport': (c) => c.iam.send(new GenerateCredentialReportCommand({})),
  'iam:GetCredentialReport': (c) => c.iam.send(new GetCredentialReportCommand({})),
  'iam:ListSSHPublicKeys': (c) => c.iam.send(new ListSSHPublicKeysCommand(user)),
  'iam:ListServiceSpecificCredentials': (c) => c.iam.send(new ListServiceSpecificCredentialsCommand(user)),
};

export interface ProbeReport {
  outcomes: Map<PermissionAction, ProbeOutcome>;
  /** Why a probe was unverified, by action (the classifier's code and AWS's error code). */
  unverifiedReasons: Map<PermissionAction, string>;
  /** From the ListRepositories probe: whether the Region holds any repository. */
  regionHasRepositories: boolean | undefined;
}

/** Runs every probe, at most `concurrency` at a time (they share the account's API rate). */
export async function probePermissions(clients: ProbeClients, concurrency = 6): Promise<ProbeReport> {
  const outcomes = new Map<PermissionAction, ProbeOutcome>();
  const unverifiedReasons = new Map<PermissionAction, string>();
  let regionHasRepositories: boolean | undefined;
  const queue = [...PERMISSION_ACTIONS];
  const runOne = async (action: PermissionAction) => {
    try {
      const result = await PROBES[action](clients);
      if (action === 'codecommit:ListRepositories') {
        const page = result as { repositories?: unknown[]; nextToken?: string };
        regionHasRepositories = (page.repositories?.length ?? 0) > 0 || Boolean(page.nextToken);
      }
      outcomes.set(action, 'granted');
    } catch (err) {
      const c = classifyAwsError(err, { operation: action, region: clients.region });
      // AWS validates some input before it authorizes, so a validation error proves nothing either way.
      const validation =
        /^(ValidationError|ValidationException|SerializationException|InvalidParameter\w*)$/.test(
          c.awsCode ?? '',
        );
      if (c.code === 'access_denied') outcomes.set(action, 'denied');
      else if (
        validation ||
        c.retryable ||
        c.code === 'invalid_credentials' ||
        c.code === 'invalid_region' ||
        c.code === 'aws_unavailable'
      ) {
        outcomes.set(action, 'unverified');
        unverifiedReasons.set(action, `${c.code}${c.awsCode ? ` (${c.awsCode})` : ''}`);
      } else outcomes.set(action, 'granted');
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await runOne(next);
  });
  await Promise.all(workers);
  return { outcomes, unverifiedReasons, regionHasRepositories };
}
