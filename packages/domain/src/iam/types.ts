/**
 * The contract of IAM policy evaluation in this project: what goes in (policies of a principal, a
 * request) and what comes out (a decision with the statements that decided it). Pure data, no I/O.
 */

/** A policy document as IAM stores it (after URL-decoding). Single values may be strings or arrays. */
export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  /** `{ Operator: { key: value | value[] } }`, e.g. `{ StringEquals: { 'aws:username': 'alice' } }`. */
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
  NotPrincipal?: unknown;
}

/** Where a policy came from, so that a finding can name it. */
export type PolicySource =
  | { kind: 'inline'; ownerArn: string; policyName: string; viaGroup?: string }
  | { kind: 'managed'; policyArn: string; versionId?: string; viaGroup?: string }
  | { kind: 'boundary'; policyArn: string }
  /** A role's trust policy (its AssumeRolePolicyDocument). */
  | { kind: 'trust'; roleArn: string };

export interface NamedPolicy {
  source: PolicySource;
  document: PolicyDocument;
}

/** Identifies one statement of one policy: the evidence a finding carries. */
export interface StatementRef {
  source: PolicySource;
  /** Position of the statement in the policy's Statement list. */
  index: number;
  sid?: string;
  statement: PolicyStatement;
}

/** A value of a condition key in the request context. Multi-valued keys are arrays. */
export type ContextValue = string | boolean | number | Date | string[];

export interface RequestContext {
  /** `service:Action`, e.g. `codecommit:GitPush`. Matched case-insensitively, as AWS does. */
  action: string;
  /** The resource ARN. Matched case-sensitively, as AWS does. */
  resource: string;
  /** Condition keys (`aws:username`, `codecommit:References`, …). Key names are case-insensitive. */
  context?: Record<string, ContextValue | undefined>;
  /**
   * How to read a condition key that `context` does not hold. `'absent'` (the default): the request does
   * not carry it, as AWS evaluates a real request. `'unknown'`: the request might carry it with any value
   * (an analysis of what a principal could do), so a condition on such a key, or a policy variable naming
   * it, is undecided, unless `knownAbsentKeys` lists the key.
   */
  missingKeys?: 'absent' | 'unknown';
  /**
   * With `missingKeys: 'unknown'`: keys known not to be in the request (case-insensitive). An entry ending
   * in `*` covers every key with that prefix, e.g. `aws:PrincipalTag/*` when all the principal's tags are known.
   */
  knownAbsentKeys?: string[];
}

export type Decision = 'allow' | 'explicit_deny' | 'implicit_deny' | 'unknown';

export interface EvaluationResult {
  decision: Decision;
  /** Allow statements that matched the request (all of them, in policy order). */
  allowedBy: StatementRef[];
  /** Deny statements that matched the request. */
  deniedBy: StatementRef[];
  /** Statements whose outcome could not be decided (unknown operator, unsupported key), with why. */
  undecided: { ref: StatementRef; reason: string; keys?: string[] }[];
  /**
   * Set by `evaluatePrincipal` when a permissions boundary applies: the boundary's own decision, so an
   * explanation can say whether the identity policies or the boundary decided.
   */
  permissionsBoundaryDecision?: Decision;
}

/** An `EvaluationResult` with the request as evaluated (defaults filled in) and a one-line explanation. */
export interface DecisionExplanation extends EvaluationResult {
  request: RequestContext;
  summary: string;
}

/** The policies that apply to a principal's own requests. */
export interface PrincipalPolicies {
  arn: string;
  type: 'user' | 'role';
  name: string;
  /** Identity-based policies: own inline and attached managed policies, and (for users) each group's. */
  policies: NamedPolicy[];
  /** Permissions boundary, if one is set: the effective permission is the intersection. */
  permissionsBoundary?: NamedPolicy | null;
  /** The unique id (`AIDA…` for users; `AROA…:session` for role sessions), if known: `aws:userid`. */
  userId?: string;
  /** The principal's tags, if known: `aws:PrincipalTag/<key>`. When given, a tag not listed is known absent. */
  tags?: Record<string, string>;
}

/** A repository as the access analysis needs it. */
export interface RepositoryRef {
  name: string;
  arn: string;
  defaultBranch: string | null;
  /** The repository's tags, if known: `aws:ResourceTag/<key>`. When given, a tag not listed is known absent. */
  tags?: Record<string, string>;
}

export type AccessLevel = 'none' | 'read' | 'write' | 'admin';

/** One action a principal may (or may, depending on unknowns) take, with the statements that grant it. */
export interface ActionGrant {
  action: string;
  decision: 'allow' | 'unknown';
  statements: StatementRef[];
  reason?: string;
  /** For `unknown`: the condition keys (or policy variables) the decision depends on. */
  conditionKeys?: string[];
}

export interface RepositoryAccess {
  repositoryName: string;
  repositoryArn: string;
  level: AccessLevel;
  /** Every catalogued CodeCommit action allowed (or undecided) on this repository. */
  grants: ActionGrant[];
  /**
   * Actions that change the default branch without a pull request, allowed when the request carries
   * `codecommit:References = refs/heads/<default>` (GitPush, PutFile, DeleteFile, CreateCommit,
   * DeleteBranch, MergeBranchesBy*). Empty when the repository has no default branch.
   */
  defaultBranchBypass: ActionGrant[];
  /** `codecommit:OverridePullRequestApprovalRules`, when allowed or undecided. */
  overrideApprovalRules: ActionGrant | null;
}

/** What a principal's own policies allow on the account's CodeCommit in one Region, repositories or not. */
export interface RegionAccess {
  region: string;
  /** `arn:aws:codecommit:<region>:<account>:*`. */
  resourcePattern: string;
  level: AccessLevel;
  grants: ActionGrant[];
}

/** One `sts:AssumeRole` a principal (a user, or a role's session) may call into a role of the account. */
export interface RoleAssumptionStep {
  roleArn: string;
  roleName: string;
  decision: 'allow' | 'unknown';
  /**
   * How the trust policy admits the caller: by its own ARN (no identity policy needed, as IAM does in
   * the same account), by the account (the caller's identity policies decide), or anyone (`*`).
   */
  admittedBy: 'principal_arn' | 'account' | 'anyone' | 'not_collected';
  /** The caller's statements that allow `sts:AssumeRole` on the role (empty when its ARN is trusted). */
  allowedBy: StatementRef[];
  /** The trust policy's statements that admit (or may admit) the caller. */
  trustedBy: StatementRef[];
  /** For `unknown`: why, and the condition keys it depends on. */
  reason?: string;
  conditionKeys?: string[];
}

/** A chain of role assumptions that ends in a role with CodeCommit access of its own. */
export interface RoleAccessPath {
  /** From the principal on: the first role it assumes, …, the role with CodeCommit access. */
  steps: RoleAssumptionStep[];
  decision: 'allow' | 'unknown';
  /** The last role's own access. */
  role: {
    arn: string;
    name: string;
    access: boolean | 'unknown';
    level: AccessLevel;
    /** The policies that grant it CodeCommit actions. */
    grantedBy: PolicySource[];
  };
  /** Every condition key that leaves the path undecided (trust conditions, the role's own). */
  conditionKeys: string[];
}

/**
 * A role the principal's policies let it assume that the analysis cannot see: one of another account,
 * or (when the run did not collect roles) one of this account.
 */
export interface OtherAccountRole {
  why: 'other_account' | 'roles_not_collected';
  /** The Resource pattern, e.g. `arn:aws:iam::444455556666:role/Deploy`. */
  resourcePattern: string;
  statements: StatementRef[];
}

export interface CodeCommitAccessSummary {
  principalArn: string;
  principalType: 'user' | 'role';
  /**
   * Every path: true when some codecommit action is allowed on some repository or Region, or through a
   * role the principal may assume; 'unknown' when some path is only undecided.
   */
  hasAccess: boolean | 'unknown';
  /** Through its own policies alone (repositories and Regions). */
  ownAccess?: boolean | 'unknown';
  /** The highest level over all repositories and Regions, and roles it may assume. */
  level: AccessLevel;
  repositories: RepositoryAccess[];
  /** Regions where its own policies allow (or may allow) CodeCommit actions, whatever is synced. */
  regions?: RegionAccess[];
  /** Roles through which it reaches CodeCommit, best path per role (at most 20 listed). */
  viaRoles?: RoleAccessPath[];
  /** How many roles it reaches CodeCommit through, when more than are listed. */
  viaRoleCount?: number;
  /** Roles of other accounts it may assume: access through them cannot be decided. */
  otherAccountRoles?: OtherAccountRole[];
  /** What the analysis looked at, so that "no access" can say so. */
  considered?: { repositories: number; regions: number; roles: number };
}

/** How much a CodeCommit action lets a principal do to a repository. */
export type CodeCommitActionCategory = 'read' | 'write' | 'admin';

export interface CodeCommitActionInfo {
  /** `codecommit:GitPush`. */
  action: string;
  category: CodeCommitActionCategory;
  /** `'repository'` when the action is authorized against a repository ARN; `'none'` when only `*` applies. */
  resourceType: 'repository' | 'none';
  /** The action accepts the `codecommit:References` condition key (it touches a branch). */
  supportsReferences: boolean;
}
