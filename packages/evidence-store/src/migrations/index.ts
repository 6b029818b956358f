import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './2026-11-26T1400_initial.js';
import * as syncRunTarget from './2026-11-26T1600_sync-run-target.js';
import * as applicationClock from './2026-12-01T2200_application-clock.js';
import * as checkEvidenceBlobs from './2026-12-01T2200_check-evidence-blobs.js';
import * as derivedAccess from './2026-12-02T0100_derived-access-and-shared-findings.js';
import * as apiKeyExpiry from './2026-12-02T0200_api-key-expiry.js';
import * as openPullRequestRows from './2026-12-02T0430_open-pull-request-rows.js';
import * as findingSearch from './2026-12-02T0500_finding-search.js';

/**
 * Every migration, in order. Listed statically (not read from disk) so the same code runs from the
 * TypeScript sources in tests and from dist/ in production. Names sort by their date prefix.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-26T1400_initial': initial,
  '2026-11-26T1600_sync-run-target': syncRunTarget,
  '2026-12-01T2200_application-clock': applicationClock,
  '2026-12-01T2200_check-evidence-blobs': checkEvidenceBlobs,
  '2026-12-02T0100_derived-access-and-shared-findings': derivedAccess,
  '2026-12-02T0200_api-key-expiry': apiKeyExpiry,
  '2026-12-02T0430_open-pull-request-rows': openPullRequestRows,
  '2026-12-02T0500_finding-search': findingSearch,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
