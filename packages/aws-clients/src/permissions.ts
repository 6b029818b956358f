/**
 * The permission catalog: every AWS call the product makes in a customer account, whether the
 * connection can work without it, the evidence scope it feeds and which checks lose their data without
 * it. The setup kit's policy (`permissionsPolicy`), the connect flow's probes, the sync kernel's
 * `ctx.call` and the tests all read this one list; a call the product makes that is not here is refused
 * by `ctx.call` and caught by the test that runs the product against fake-aws.
 *
 * Tiers:
 * - `core`: without it a sync cannot build the inventory the checks stand on (repositories, pull
 *   requests, IAM users); connect refuses with `missing_permissions`. `iam:GetAccountAuthorizationDetails`
 *   and `iam:ListUsers` are alternatives: either lists the users, so only both missing is an error.
 * - `optional`: a sync still runs; the checks listed in `disables` report `unknown` (missing permission)
 *   for what it would have collected. Connect succeeds with a warning.
 * `coveredBy`: the per-entity IAM reads are needed only when `iam:GetAccountAuthorizationDetails` is
 * missing (it returns users, groups, roles and policy documents in a few pages), as the iam-sync does.
 */

import { type AccountScope, type CheckId, SCOPES } from '@codecommit-evidence/domain';

export const PERMISSION_ACTIONS = [
  // repo-sync
  'codecommit:ListRepositories',
  'codecommit:BatchGetRepositories',
  'codecommit:ListBranches',
  'codecommit:GetBranch',
  'codecommit:ListPullRequests',
  'codecommit:GetPullRequest',
  'codecommit:GetPullRequestApprovalStates',
  'codecommit:EvaluatePullRequestApprovalRules',
  'codecommit:GetPullRequestOverrideState',
  'codecommit:DescribePullRequestEvents',
  'codecommit:ListApprovalRuleTemplates',
  'codecommit:GetApprovalRuleTemplate',
  'codecommit:ListRepositoriesForApprovalRuleTemplate',
  // iam-sync
  'iam:GetAccountAuthorizationDetails',
  'iam:ListUsers',
  'iam:GetUser',
  'iam:ListGroupsForUser',
  'iam:ListAttachedUserPolicies',
  'iam:ListUserPolicies',
  'iam:GetUserPolicy',
  'iam:ListGroupPolicies',
  'iam:GetGroupPolicy',
  'iam:ListAttachedGroupPolicies',
  'iam:ListRoles',
  'iam:GetRole',
  'iam:ListRolePolicies',
  'iam:GetRolePolicy',
  'iam:ListAttachedRolePolicies',
  'iam:GetPolicy',
  'iam:GetPolicyVersion',
  'iam:GenerateCredentialReport',
  'iam:GetCredentialReport',
  'iam:ListSSHPublicKeys',
  'iam:ListServiceSpecificCredentials',
] as const;

export type PermissionAction = (typeof PERMISSION_ACTIONS)[number];

export interface PermissionSpec {
  action: PermissionAction;
  tier: 'core' | 'optional';
  /** Core alternatives: the requirement is met when any action of the group is granted. */
  anyOf?: 'iam-user-inventory';
  /**
   * The evidence scopes whose data it feeds: a sync that cannot call it records the gap on one of them
   * (or on a per-repository variant, `codecommit:pull-requests:<repository>`). `ctx.call` refuses a
   * call made for any other scope.
   */
  scopes: readonly AccountScope[];
  /** Not needed at all when this action is granted. */
  coveredBy?: PermissionAction;
  /** Checks whose findings become `unknown` without it. */
  disables: CheckId[];
  /** What the sync uses it for. */
  purpose: string;
}

const REPO_CHECKS: CheckId[] = ['codecommit-branch-protection-admins', 'codecommit-peer-review'];
const ACCESS_CHECKS: CheckId[] = [
  'codecommit-offboarded-user-access',
  'codecommit-user-mfa',
  'codecommit-branch-protection-admins',
];
const GAAD = 'iam:GetAccountAuthorizationDetails' as const;

/** The scope each action feeds, by its place in the sync (GetPolicy* feed both IAM paths). */
const SCOPE_OF: Record<PermissionAction, readonly AccountScope[]> = {
  'codecommit:ListRepositories': [SCOPES.repositories],
  'codecommit:BatchGetRepositories': [SCOPES.repositories],
  'codecommit:ListBranches': [SCOPES.branches],
  'codecommit:GetBranch': [SCOPES.branches],
  'codecommit:ListPullRequests': [SCOPES.pullRequests],
  'codecommit:GetPullRequest': [SCOPES.pullRequests],
  'codecommit:GetPullRequestApprovalStates': [SCOPES.pullRequests],
  'codecommit:EvaluatePullRequestApprovalRules': [SCOPES.pullRequests],
  'codecommit:GetPullRequestOverrideState': [SCOPES.pullRequests],
  'codecommit:DescribePullRequestEvents': [SCOPES.pullRequestHistory],
  'codecommit:ListApprovalRuleTemplates': [SCOPES.approvalRuleTemplates],
  'codecommit:GetApprovalRuleTemplate': [SCOPES.approvalRuleTemplates],
  'codecommit:ListRepositoriesForApprovalRuleTemplate': [SCOPES.approvalRuleTemplates],
  'iam:GetAccountAuthorizationDetails': [SCOPES.authorizationDetails],
  'iam:ListUsers': [SCOPES.users],
  'iam:GetUser': [SCOPES.users],
  'iam:ListGroupsForUser': [SCOPES.users],
  'iam:ListAttachedUserPolicies': [SCOPES.users],
  'iam:ListUserPolicies': [SCOPES.users],
  'iam:GetUserPolicy': [SCOPES.users],
  'iam:ListGroupPolicies': [SCOPES.users],
  'iam:GetGroupPolicy': [SCOPES.users],
  'iam:ListAttachedGroupPolicies': [SCOPES.users],
  'iam:ListRoles': [SCOPES.roles],
  'iam:GetRole': [SCOPES.roles],
  'iam:ListRolePolicies': [SCOPES.roles],
  'iam:GetRolePolicy': [SCOPES.roles],
  'iam:ListAttachedRolePolicies': [SCOPES.roles],
  // Per-entity: every principal's managed policies; with GAAD: those it did not list (boundaries).
  'iam:GetPolicy': [SCOPES.users, SCOPES.authorizationDetails],
  'iam:GetPolicyVersion': [SCOPES.users, SCOPES.authorizationDetails],
  'iam:GenerateCredentialReport': [SCOPES.credentialReport],
  'iam:GetCredentialReport': [SCOPES.credentialReport],
  'iam:ListSSHPublicKeys': [SCOPES.sshKeys],
  'iam:ListServiceSpecificCredentials': [SCOPES.gitCredentials],
};

const spec = (
  action: PermissionAction,
  tier: PermissionSpec['tier'],
  disables: CheckId[],
  purpose: string,
  extra: Pick<PermissionSpec, 'anyOf' | 'coveredBy'> = {},
): PermissionSpec => ({ action, tier, scopes: SCOPE_OF[action], disables, purpose, ...extra });

export const PERMISSIONS: readonly PermissionSpec[] = Object.freeze([
  spec('codecommit:ListRepositories', 'core', REPO_CHECKS, 'discover the repositories of the Region'),
  spec(
    'codecommit:BatchGetRepositories',
    'core',
    REPO_CHECKS,
    'repository metadata: default branch, ARN, clone URLs',
  ),
  spec('codecommit:ListBranches', 'core', REPO_CHECKS, 'branch inventory of each repository'),
  spec('codecommit:GetBranch', 'optional', [], 'head commit of each branch (evidence only)'),
  spec('codecommit:ListPullRequests', 'core', ['codecommit-peer-review'], 'pull requests of each repository'),
  spec(
    'codecommit:GetPullRequest',
    'core',
    ['codecommit-peer-review'],
    'pull request details: author, merge, revision, approval rules',
  ),
  spec(
    'codecommit:GetPullRequestApprovalStates',
    'optional',
    ['codecommit-peer-review'],
    'who approved which revision',
  ),
  spec(
    'codecommit:EvaluatePullRequestApprovalRules',
    'optional',
    ['codecommit-peer-review'],
    'whether approval rules were satisfied',
  ),
  spec(
    'codecommit:GetPullRequestOverrideState',
    'optional',
    ['codecommit-peer-review'],
    'whether approval rules were overridden',
  ),
  // Read once per merged pull request: its merge date, and in the same call the approval history of one
  // without an independent approval on its final revision (the check fails it either way). Denied, the
  // check still decides: the window falls back to the last activity (and the date is read at a later run),
  // and the finding says "no approval by anyone other than its author" instead of "approved only on an
  // earlier revision".
  spec(
    'codecommit:DescribePullRequestEvents',
    'optional',
    [],
    'merge dates of merged pull requests; earlier-revision approvals of those lacking an independent final one',
  ),
  // The templates and their associations are read per template, once per run (about one call per
  // template, not one per repository): denied or faulted, no repository's associations are known.
  spec(
    'codecommit:ListApprovalRuleTemplates',
    'optional',
    REPO_CHECKS,
    'approval rule templates of the Region',
  ),
  spec(
    'codecommit:GetApprovalRuleTemplate',
    'optional',
    REPO_CHECKS,
    'template content: branches covered, approvals required',
  ),
  spec(
    'codecommit:ListRepositoriesForApprovalRuleTemplate',
    'optional',
    REPO_CHECKS,
    'which repositories each template applies to',
  ),
  spec(GAAD, 'core', ACCESS_CHECKS, 'users, groups, roles and policies with their documents in a few pages', {
    anyOf: 'iam-user-inventory',
  }),
  spec('iam:ListUsers', 'core', ACCESS_CHECKS, 'IAM users, one page at a time', {
    anyOf: 'iam-user-inventory',
    coveredBy: GAAD,
  }),
  // ListUsers returns neither boundaries nor tags: a boundary can take CodeCommit away, an email tag
  // links the user to a person.
  spec('iam:GetUser', 'optional', ACCESS_CHECKS, "users' permissions boundaries and email tags", {
    coveredBy: GAAD,
  }),
  spec('iam:ListGroupsForUser', 'optional', ACCESS_CHECKS, "users' groups", { coveredBy: GAAD }),
  spec('iam:ListAttachedUserPolicies', 'optional', ACCESS_CHECKS, "users' managed policies", {
    coveredBy: GAAD,
  }),
  spec('iam:ListUserPolicies', 'optional', ACCESS_CHECKS, "users' inline policy names", { coveredBy: GAAD }),
  spec('iam:GetUserPolicy', 'optional', ACCESS_CHECKS, "users' inline policy documents", { coveredBy: GAAD }),
  spec('iam:ListGroupPolicies', 'optional', ACCESS_CHECKS, "groups' inline policy names", {
    coveredBy: GAAD,
  }),
  spec('iam:GetGroupPolicy', 'optional', ACCESS_CHECKS, "groups' inline policy documents", {
    coveredBy: GAAD,
  }),
  spec('iam:ListAttachedGroupPolicies', 'optional', ACCESS_CHECKS, "groups' managed policies", {
    coveredBy: GAAD,
  }),
  // Roles feed the user checks too: a user's access includes the roles it may assume (DESIGN.md).
  spec(
    'iam:ListRoles',
    'optional',
    ACCESS_CHECKS,
    'roles that may change default branches, and that users may assume',
    {
      coveredBy: GAAD,
    },
  ),
  spec(
    'iam:GetRole',
    'optional',
    ACCESS_CHECKS,
    "roles' permissions boundaries and tags (ListRoles returns neither)",
    { coveredBy: GAAD },
  ),
  spec('iam:ListRolePolicies', 'optional', ACCESS_CHECKS, "roles' inline policy names", { coveredBy: GAAD }),
  spec('iam:GetRolePolicy', 'optional', ACCESS_CHECKS, "roles' inline policy documents", { coveredBy: GAAD }),
  spec('iam:ListAttachedRolePolicies', 'optional', ACCESS_CHECKS, "roles' managed policies", {
    coveredBy: GAAD,
  }),
  spec('iam:GetPolicy', 'optional', ACCESS_CHECKS, 'managed policy default versions', { coveredBy: GAAD }),
  spec('iam:GetPolicyVersion', 'optional', ACCESS_CHECKS, 'managed policy documents', { coveredBy: GAAD }),
  spec(
    'iam:GenerateCredentialReport',
    'optional',
    ACCESS_CHECKS,
    'credential report: console password, MFA, access keys',
  ),
  spec(
    'iam:GetCredentialReport',
    'optional',
    ACCESS_CHECKS,
    'credential report: console password, MFA, access keys',
  ),
  spec(
    'iam:ListSSHPublicKeys',
    'optional',
    ['codecommit-offboarded-user-access', 'codecommit-branch-protection-admins'],
    "users' SSH keys for CodeCommit",
  ),
  spec(
    'iam:ListServiceSpecificCredentials',
    'optional',
    ['codecommit-offboarded-user-access', 'codecommit-branch-protection-admins'],
    "users' HTTPS Git credentials",
  ),
]);

export const PERMISSION_BY_ACTION: ReadonlyMap<PermissionAction, PermissionSpec> = new Map(
  PERMISSIONS.map((p) => [p.action, p]),
);

export const CODECOMMIT_ACTIONS = PERMISSIONS.filter((p) => p.action.startsWith('codecommit:')).map(
  (p) => p.action,
);
export const IAM_ACTIONS = PERMISSIONS.filter((p) => p.action.startsWith('iam:')).map((p) => p.action);

export type ProbeOutcome = 'granted' | 'denied' | 'unverified';

export interface MissingPermission {
  action: PermissionAction;
  tier: 'core' | 'optional';
  disables: CheckId[];
  purpose: string;
}

export interface PermissionAssessment {
  granted: PermissionAction[];
  /** Denied and needed. */
  missingCore: MissingPermission[];
  missingOptional: MissingPermission[];
  /** Denied, but another granted action covers it (or its core alternative is granted). */
  notNeeded: PermissionAction[];
  /** The probe got neither a yes nor a no (throttled, AWS unavailable). */
  unverified: PermissionAction[];
}

/** Applies the tiers, alternatives and coverage rules to raw probe outcomes. */
export function assessPermissions(
  outcomes: ReadonlyMap<PermissionAction, ProbeOutcome>,
): PermissionAssessment {
  const out: PermissionAssessment = {
    granted: [],
    missingCore: [],
    missingOptional: [],
    notNeeded: [],
    unverified: [],
  };
  const isGranted = (a: PermissionAction) => outcomes.get(a) === 'granted';
  for (const p of PERMISSIONS) {
    const outcome = outcomes.get(p.action) ?? 'unverified';
    if (outcome === 'granted') {
      out.granted.push(p.action);
      continue;
    }
    if (outcome === 'unverified') {
      out.unverified.push(p.action);
      continue;
    }
    const alternativeGranted =
      p.anyOf !== undefined &&
      PERMISSIONS.some((q) => q.anyOf === p.anyOf && q.action !== p.action && isGranted(q.action));
    if ((p.coveredBy && isGranted(p.coveredBy)) || alternativeGranted) {
      out.notNeeded.push(p.action);
      continue;
    }
    const missing: MissingPermission = {
      action: p.action,
      tier: p.tier,
      disables: p.disables,
      purpose: p.purpose,
    };
    // An alternative group is reported once per member, all as core: both are missing.
    (p.tier === 'core' ? out.missingCore : out.missingOptional).push(missing);
  }
  return out;
}

/** The catalog entry of an action, or undefined for an action the product does not call. */
export function permissionOf(action: string): PermissionSpec | undefined {
  return PERMISSION_BY_ACTION.get(action as PermissionAction);
}

/** Whether `scope` (an account scope or a per-repository variant of one) is one the action feeds. */
export function feedsScope(spec: PermissionSpec, scope: string): boolean {
  return spec.scopes.some((s) => scope === s || scope.startsWith(`${s}:`));
}

/** A type, not an interface: it stays assignable to the setup kit's `Record<string, unknown>` statements. */
export type PolicyStatement = {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: '*';
};

/**
 * The least-privilege statements the setup kit grants: exactly the catalog's actions, read calls only.
 * Resources are `*`: the account and Region are not known until connect, and ListRepositories,
 * ListApprovalRuleTemplates, GetApprovalRuleTemplate and the IAM account-wide reads support no
 * resource-level permissions.
 */
export function permissionsPolicyStatements(): { codecommit: PolicyStatement; iam: PolicyStatement } {
  return {
    codecommit: {
      Sid: 'CodeCommitEvidenceRepositoryRead',
      Effect: 'Allow',
      Action: [...CODECOMMIT_ACTIONS],
      Resource: '*',
    },
    iam: { Sid: 'CodeCommitEvidenceIamRead', Effect: 'Allow', Action: [...IAM_ACTIONS], Resource: '*' },
  };
}

/** The setup kit's permissions policy document. */
export function permissionsPolicy(): { Version: '2012-10-17'; Statement: PolicyStatement[] } {
  const s = permissionsPolicyStatements();
  return { Version: '2012-10-17', Statement: [s.codecommit, s.iam] };
}
