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
  ListBranchesCommand,
  ListPullRequestsCommand,
  ListRepositoriesCommand,
  ListRepositoriesForApprovalRuleTemplateCommand,
} from '@aws-sdk/client-codecommit';
import {
  GenerateCredentialReportCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
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
  /** A real repository to probe repository-scoped actions on (set by `probePermissions`). */
  repositoryName?: string;
  /** A real pull request (and its current revision) of that repository, for the pull-request probes. */
  pullRequestId?: string;
  revisionId?: string;
}

type Probe = (c: ProbeClients) => Promise<unknown>;

const pr = (c: ProbeClients) => ({ pullRequestId: c.pullRequestId ?? PROBE_PULL_REQUEST_ID });
const prRevision = (c: ProbeClients) => ({ ...pr(c), revisionId: c.revisionId ?? PROBE_REVISION_ID });
const user = { UserName: PROBE_NAME };
const group = { GroupName: PROBE_NAME };
const role = { RoleName: PROBE_NAME };
/**
 * Repository-scoped probes run on real repositories when the Region has some: a least-privilege
 * policy that names its repositories (instead of `*`) can never allow a made-up name, and would be
 * reported as missing permissions it has.
 */
const repo = (c: ProbeClients) => c.repositoryName ?? PROBE_NAME;
const REPOSITORY_SCOPED = new Set<PermissionAction>([
  'codecommit:BatchGetRepositories',
  'codecommit:ListBranches',
  'codecommit:GetBranch',
  'codecommit:ListPullRequests',
]);
/** How many of the Region's repositories a denied repository-scoped probe tries before it counts as denied. */
const REPOSITORY_CANDIDATES = 3;
const policyArn = (c: ProbeClients) => `arn:${c.partition}:iam::${c.accountId}:policy/${PROBE_NAME}`;

/** Record<PermissionAction, …>: the compiler refuses a catalog action without a probe. */
export const PROBES: Record<PermissionAction, Probe> = {
  'codecommit:ListRepositories': (c) => c.codecommit.send(new ListRepositoriesCommand({})),
  'codecommit:BatchGetRepositories': (c) =>
    c.codecommit.send(new BatchGetRepositoriesCommand({ repositoryNames: [repo(c)] })),
  'codecommit:ListBranches': (c) => c.codecommit.send(new ListBranchesCommand({ repositoryName: repo(c) })),
  'codecommit:GetBranch': (c) =>
    c.codecommit.send(new GetBranchCommand({ repositoryName: repo(c), branchName: PROBE_NAME })),
  'codecommit:ListPullRequests': (c) =>
    c.codecommit.send(new ListPullRequestsCommand({ repositoryName: repo(c), maxResults: 1 })),
  'codecommit:GetPullRequest': (c) => c.codecommit.send(new GetPullRequestCommand(pr(c))),
  'codecommit:GetPullRequestApprovalStates': (c) =>
    c.codecommit.send(new GetPullRequestApprovalStatesCommand(prRevision(c))),
  'codecommit:EvaluatePullRequestApprovalRules': (c) =>
    c.codecommit.send(new EvaluatePullRequestApprovalRulesCommand(prRevision(c))),
  'codecommit:GetPullRequestOverrideState': (c) =>
    c.codecommit.send(new GetPullRequestOverrideStateCommand(prRevision(c))),
  'codecommit:DescribePullRequestEvents': (c) =>
    c.codecommit.send(new DescribePullRequestEventsCommand({ ...pr(c), maxResults: 1 })),
  'codecommit:ListApprovalRuleTemplates': (c) =>
    c.codecommit.send(new ListApprovalRuleTemplatesCommand({ maxResults: 1 })),
  'codecommit:GetApprovalRuleTemplate': (c) =>
    c.codecommit.send(new GetApprovalRuleTemplateCommand({ approvalRuleTemplateName: PROBE_NAME })),
  // Authorized against `*` like GetApprovalRuleTemplate: a made-up template answers not found when allowed.
  'codecommit:ListRepositoriesForApprovalRuleTemplate': (c) =>
    c.codecommit.send(
      new ListRepositoriesForApprovalRuleTemplateCommand({
        approvalRuleTemplateName: PROBE_NAME,
        maxResults: 1,
      }),
    ),
  'iam:GetAccountAuthorizationDetails': (c) =>
    c.iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User'], MaxItems: 1 })),
  'iam:ListUsers': (c) => c.iam.send(new ListUsersCommand({ MaxItems: 1 })),
  'iam:GetUser': (c) => c.iam.send(new GetUserCommand(user)),
  'iam:ListGroupsForUser': (c) => c.iam.send(new ListGroupsForUserCommand(user)),
  'iam:ListAttachedUserPolicies': (c) => c.iam.send(new ListAttachedUserPoliciesCommand(user)),
  'iam:ListUserPolicies': (c) => c.iam.send(new ListUserPoliciesCommand(user)),
  'iam:GetUserPolicy': (c) => c.iam.send(new GetUserPolicyCommand({ ...user, PolicyName: PROBE_NAME })),
  'iam:ListGroupPolicies': (c) => c.iam.send(new ListGroupPoliciesCommand(group)),
  'iam:GetGroupPolicy': (c) => c.iam.send(new GetGroupPolicyCommand({ ...group, PolicyName: PROBE_NAME })),
  'iam:ListAttachedGroupPolicies': (c) => c.iam.send(new ListAttachedGroupPoliciesCommand(group)),
  'iam:ListRoles': (c) => c.iam.send(new ListRolesCommand({ MaxItems: 1 })),
  'iam:GetRole': (c) => c.iam.send(new GetRoleCommand(role)),
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
  let candidates: string[] = [];
  /** A real pull request found on the way, so the pull-request probes need not use a made-up id. */
  const found: { pullRequestId?: string; revisionId?: string } = {};
  const runOne = async (action: PermissionAction) => {
    const targets: (string | undefined)[] =
      REPOSITORY_SCOPED.has(action) && candidates.length > 0 ? candidates : [undefined];
    for (const [i, repositoryName] of targets.entries()) {
      const c = { ...clients, ...found, ...(repositoryName ? { repositoryName } : {}) };
      const outcome = await probeOnce(action, c);
      // Denied on one repository may be a policy scoped to others: try the next candidate.
      if (outcome === 'denied' && i < targets.length - 1) continue;
      return;
    }
  };
  const probeOnce = async (action: PermissionAction, c: ProbeClients): Promise<ProbeOutcome> => {
    try {
      const result = await PROBES[action](c);
      if (action === 'codecommit:ListRepositories') {
        const page = result as { repositories?: { repositoryName?: string }[]; nextToken?: string };
        regionHasRepositories = (page.repositories?.length ?? 0) > 0 || Boolean(page.nextToken);
        candidates = (page.repositories ?? [])
          .map((r) => r.repositoryName)
          .filter((n): n is string => Boolean(n))
          .slice(0, REPOSITORY_CANDIDATES);
      }
      if (action === 'codecommit:ListPullRequests' && !found.pullRequestId) {
        const id = (result as { pullRequestIds?: string[] }).pullRequestIds?.[0];
        if (id) found.pullRequestId = id;
      }
      if (action === 'codecommit:GetPullRequest') {
        const revisionId = (result as { pullRequest?: { revisionId?: string } }).pullRequest?.revisionId;
        if (revisionId) found.revisionId = revisionId;
      }
      outcomes.set(action, 'granted');
      unverifiedReasons.delete(action);
      return 'granted';
    } catch (err) {
      const c = classifyAwsError(err, { operation: action, region: clients.region });
      // AWS validates some input before it authorizes, so a validation error proves nothing either way.
      const validation =
        /^(ValidationError|ValidationException|SerializationException|InvalidParameter\w*)$/.test(
          c.awsCode ?? '',
        );
      let outcome: ProbeOutcome = 'granted';
      if (c.code === 'access_denied') outcome = 'denied';
      else if (
        validation ||
        c.retryable ||
        c.code === 'invalid_credentials' ||
        c.code === 'invalid_region' ||
        c.code === 'aws_unavailable'
      ) {
        outcome = 'unverified';
        unverifiedReasons.set(action, `${c.code}${c.awsCode ? ` (${c.awsCode})` : ''}`);
      }
      outcomes.set(action, outcome);
      return outcome;
    }
  };
  // In order: the repository listing names real repositories; their pull-request listing names a real
  // pull request; GetPullRequest gives its revision. A policy scoped to named repositories allows
  // these, where it could never allow a made-up name. Everything else runs concurrently after.
  const ordered: PermissionAction[] = [
    'codecommit:ListRepositories',
    'codecommit:ListPullRequests',
    'codecommit:GetPullRequest',
  ];
  for (const action of ordered) await runOne(action);
  const queue = PERMISSION_ACTIONS.filter((a) => !ordered.includes(a));
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await runOne(next);
  });
  await Promise.all(workers);
  return { outcomes, unverifiedReasons, regionHasRepositories };
}
