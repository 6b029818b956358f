/**
 * Evidence scopes: what a sync collects, named once for the workers that record gaps on them, the
 * evaluator and checks that read those gaps, and the API that shows them. A denied or faulted call is
 * recorded on its scope; a gap recorded on an account-level scope (`codecommit:pull-requests`) also
 * covers its per-repository scopes (`codecommit:pull-requests:<repository>`).
 *
 * These strings are stored in `sync_run_problems.step` and `sync_runs.steps`: renaming one strands the
 * gaps of past runs.
 */
export const SCOPES = {
  /** GetAccountAuthorizationDetails: users, groups, roles, policies in a few pages. */
  authorizationDetails: 'iam:authorization-details',
  /** The per-user fallback: ListUsers, ListGroupsForUser, …, GetPolicy. */
  users: 'iam:users',
  roles: 'iam:roles',
  credentialReport: 'iam:credential-report',
  sshKeys: 'iam:ssh-keys',
  /** HTTPS Git credentials (ListServiceSpecificCredentials for codecommit). */
  gitCredentials: 'iam:git-credentials',
  repositories: 'codecommit:repositories',
  pullRequests: 'codecommit:pull-requests',
  approvalRuleTemplates: 'codecommit:approval-rule-templates',
  branches: 'codecommit:branches',
  /** A repository's job as a whole (its deletion mid-run, its failure). */
  repository: 'codecommit:repository',
  /** A merged pull request's approval and merge history (explanations, merge dates). */
  pullRequestHistory: 'codecommit:pull-request-history',
} as const;

export type AccountScope = (typeof SCOPES)[keyof typeof SCOPES];
/** An account-level scope or one of its per-repository variants. */
export type EvidenceScope = AccountScope | `${AccountScope}:${string}`;

const perRepository =
  <S extends AccountScope>(scope: S) =>
  (repository: string): `${S}:${string}` =>
    `${scope}:${repository}`;

/** Typed scopes: `scopes.pullRequests(repo)`, `scopes.gitCredentials`, … */
export const scopes = {
  authorizationDetails: SCOPES.authorizationDetails,
  users: SCOPES.users,
  roles: SCOPES.roles,
  credentialReport: SCOPES.credentialReport,
  sshKeys: SCOPES.sshKeys,
  gitCredentials: SCOPES.gitCredentials,
  repositories: SCOPES.repositories,
  /** The account's approval rule templates (their content, read once per run). */
  approvalRuleTemplates: SCOPES.approvalRuleTemplates,
  pullRequests: perRepository(SCOPES.pullRequests),
  templatesOf: perRepository(SCOPES.approvalRuleTemplates),
  branches: perRepository(SCOPES.branches),
  repository: perRepository(SCOPES.repository),
  pullRequestHistory: perRepository(SCOPES.pullRequestHistory),
} as const;

/**
 * The scopes a sync job collects: when the job fails for good, all of them are missing from the run
 * (the evaluator records that; the checks read it).
 */
export const SCOPES_OF_SYNC_JOB = {
  'sync-repositories': [SCOPES.repositories, SCOPES.pullRequests, SCOPES.approvalRuleTemplates],
  'sync-iam': [SCOPES.authorizationDetails, SCOPES.credentialReport, SCOPES.sshKeys, SCOPES.gitCredentials],
} as const;
