/** Evidence store: the Postgres schema, its migrations and typed queries per aggregate. */

export * from './check-run-changes.js';
export * from './check-run-history.js';
export * from './check-runs.js';
export * from './connections.js';
export { assertDatabaseReachable, type CreateDbOptions, createDb, json } from './db.js';
export { DatabaseEnv } from './env.js';
export * from './evidence-blobs.js';
export { containsPattern } from './finding-search.js';
export { type MigrationOutcome, migrateToLatest } from './migrate.js';
export * from './people.js';
export * from './pull-requests.js';
export * from './repositories.js';
export * from './run-access.js';
export type * from './schema.js';
export { EVIDENCE_KEYS } from './schema.js';
export * from './sync-runs.js';
export * from './tenants.js';
export * from './versioned.js';
