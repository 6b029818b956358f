/** The CodeCommit checks: definitions and pure evaluation over the evidence of one sync run. */
export {
  APPROVAL_RULE_TEMPLATE_EXAMPLE,
  type BranchProtectionOptions,
  branchProtectionAdminsCheck,
  DENY_DEFAULT_BRANCH_CHANGES_STATEMENT,
  DENY_OVERRIDE_STATEMENT,
  evaluateBranchProtectionAdmins,
} from './branch-protection-admins.js';
export { CHECKS, evaluateAllChecks } from './catalog.js';
export type {
  AccessKeyEvidence,
  ApprovalRuleTemplateEvidence,
  CheckEvidence,
  FailedStep,
  IamRoleEvidence,
  IamUserEvidence,
  IdentityLinkEvidence,
  MissingPermission,
  PersonEvidence,
  PullRequestApprovalEvidence,
  PullRequestEvidence,
  RepositoryEvidence,
  RootEvidence,
  SyncRunEvidence,
  UserCredentialsEvidence,
} from './evidence.js';
export {
  checkEvidenceSchema,
  DEFAULT_AUDIT_WINDOW_DAYS,
  parseCheckEvidence,
  SYNC_STEPS,
} from './evidence.js';
export { evaluateOffboardedUserAccess, offboardedUserAccessCheck } from './offboarded-user-access.js';
export { evaluatePeerReview, peerReviewCheck } from './peer-review.js';
export type { LinkMethod, PersonLink } from './principals.js';
export {
  describeAccessPaths,
  describePolicySource,
  describeRolePath,
  linkUserToPerson,
  type RosterEvidence,
  summaryMemo,
  type UserAccess,
  userAccess,
} from './principals.js';
export type {
  CheckDefinition,
  CheckId,
  CheckResult,
  CheckSteps,
  Finding,
  FindingStatus,
  RepositoryJudgement,
  RepositoryJudgementSteps,
  ResourceType,
} from './result.js';
export { aggregateStatus, buildCheckResult, runSteps } from './result.js';
export {
  type AccountScope,
  type EvidenceScope,
  SCOPES,
  SCOPES_OF_SYNC_JOB,
  scopes,
} from './scopes.js';
export { evaluateUserMfa, userMfaCheck } from './user-mfa.js';
