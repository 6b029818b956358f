/**
 * IAM policy evaluation, the project's own (DESIGN: "The evaluator is the project's own"):
 * - `evaluatePolicies` / `evaluatePrincipal`: decisions for one request, with the statements that decided;
 *   `explainDecision` adds a sentence for findings.
 * - `analyzeCodeCommitAccess`: what a principal may do in each repository, built on the same evaluator
 *   with `buildCodeCommitRequest`, so a check can re-ask one request and get the same answer.
 * A statement the evaluator cannot decide (an operator it does not know, a key an analysis cannot know)
 * makes the decision `unknown` when it could change the outcome; it is never a silent allow or deny.
 */

export {
  analyzeCodeCommitAccess,
  buildCodeCommitRequest,
  type CodeCommitScope,
  grantOf,
  regionRepositoryPattern,
} from './codecommit-access.js';
export {
  CODECOMMIT_ACTIONS,
  codeCommitActionInfo,
  DEFAULT_BRANCH_BYPASS_ACTIONS,
  OVERRIDE_APPROVAL_RULES_ACTION,
} from './codecommit-actions.js';
export { isSupportedOperator } from './conditions.js';
export {
  createPrincipalEvaluator,
  describeStatementRef,
  evaluatePolicies,
  evaluatePrincipal,
  explainDecision,
  type PrincipalEvaluator,
  principalRequestContext,
} from './evaluate.js';
export {
  type AccessAnalysis,
  type AccessAnalysisInput,
  createAccessAnalysis,
  MAX_ROLE_PATHS,
  type RoleWithTrust,
} from './role-assumption.js';
export type * from './types.js';
export { describeUnknownKey, variesPerRequest } from './unknown-keys.js';
