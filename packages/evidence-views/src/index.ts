/**
 * Views over the evidence store that need the domain: the checks' evidence of one sync run (used by the
 * checks-evaluator) and the access review of principals (used by the API), assembled the same way.
 */
export * from './access-analysis.js';
export * from './access-review.js';
export * from './check-evidence.js';
export * from './completeness.js';
export * from './credentials.js';
export * from './people.js';
export * from './principal-policies.js';
export * from './repositories.js';
