/**
 * AWS access for CodeCommit Evidence: role assumption with External ID, SDK v3 client factory with
 * call counting and per-account rate limits, paginated CodeCommit and IAM readers, error
 * classification, credential report, and role ARN / Region validation.
 */

export * from './call-counter.js';
export * from './clients.js';
export * from './codecommit.js';
export * from './credential-report.js';
export * from './env.js';
export * from './errors.js';
export * from './iam.js';
export { callAws, collect, paginateItems, paginatePages } from './paginate.js';
export * from './permissions.js';
export * from './rate-limit.js';
export { type RedisLease, tryTakeLease } from './redis-lease.js';
export * from './regions.js';
export * from './role.js';
export * from './role-arn.js';
