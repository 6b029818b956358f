import { branchProtectionAdminsCheck } from './branch-protection-admins.js';
import type { CheckEvidence } from './evidence.js';
import { offboardedUserAccessCheck } from './offboarded-user-access.js';
import { peerReviewCheck } from './peer-review.js';
import type { CheckDefinition, CheckResult } from './result.js';
import { userMfaCheck } from './user-mfa.js';

/** The four checks, in their stable order. */
export const CHECKS: readonly CheckDefinition[] = [
  offboardedUserAccessCheck,
  userMfaCheck,
  branchProtectionAdminsCheck,
  peerReviewCheck,
];

/** Runs every check on the evidence of one sync run, in the order of {@link CHECKS}. */
export function evaluateAllChecks(evidence: CheckEvidence): CheckResult[] {
  return CHECKS.map((check) => check.evaluate(evidence));
}
