/**
 * What the sync workers (repo-sync, iam-sync) share: the per-job sync context (connection, run, role
 * credentials, counted and rate-limited AWS clients), the AWS failure policy, the worker dependencies
 * and the AWS part of their environment.
 */
export {
  type CallOptions,
  createCallPolicy,
  isMissing,
  Missing,
  type MissingReason,
  type SyncCall,
} from './call.js';
export {
  openSyncContext,
  runSyncJob,
  type SyncConnection,
  type SyncContext,
  type SyncJobContext,
  type SyncJobDefinition,
  type SyncProblemInput,
  type SyncTarget,
  syncJobHandler,
  type WithSyncContextOptions,
  withSyncContext,
} from './context.js';
export {
  type CreateSyncWorkerDepsInput,
  createSyncWorkerDeps,
  type SyncAwsLimits,
  type SyncWorkerDeps,
} from './deps.js';
export { syncAwsOptionsFromEnv } from './env.js';
export { isSyncError, SyncError, type SyncErrorCode } from './errors.js';
export {
  bullmqJobHandle,
  inMemoryJobHandle,
  type JobChildren,
  type JobProgress,
  readJobProgress,
  type SyncJobHandle,
} from './job.js';
export { mapConcurrent } from './map-concurrent.js';
