/** IAM policy evaluation: the project's own evaluator and the CodeCommit access analysis built on it. */

export { analyzeCodeCommitAccess, buildCodeCommitRequest, grantOf } from './codecommit-access.js';
export {
  CODECOMMIT_ACTIONS,
  codeCommitActionInfo,
  DEFAULT_BRANCH_BYPASS_ACTIONS,
  OVERRIDE_APPROVAL_RULES_ACTION,
} from './codecommit-actions.js';
export {
  createPrincipalEvaluator,
  describeStatementRef,
  evaluatePolicies,
  evaluatePrincipal,
  explainDecision,
  type PrincipalEvaluator,
  principalRequestContext,
} from './evaluate.js';
export type * from './types.js';
