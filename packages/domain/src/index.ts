/** Pure domain of CodeCommit Evidence: IAM policy evaluation and the checks. No I/O. */
export * from './checks/index.js';
export * from './iam/index.js';
