/**
 * The demo account synced through the workers: one set-up for the tests that compare a clean sync
 * with a faulted, denied or fallback one (fault-in-one-scope, missing-data, permission-catalog,
 * iam-fallback). Each "side" has its own database and Redis prefix; `startDemoFake` starts fake-aws on
 * `scenarios/demo.json` with its dates shifted to today, and `syncDemo` syncs it as `acme-prod`
 * with the demo roster shifted by the same amount.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Database, listFindings } from '@codecommit-evidence/evidence-store';
import { type FakeAws, type Scenario, shiftCalendarDates, startFakeAws } from '@codecommit-evidence/fake-aws';
import {
  type TestDatabase,
  type TestRedis,
  useTestDatabase,
  useTestRedis,
} from '@codecommit-evidence/testing';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import {
  type SyncedScenario,
  type SyncThroughWorkersInput,
  syncThroughWorkers,
} from './sync-through-workers.js';

const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
export const DEMO_SCENARIO = root('scenarios/demo.json');
const demoReference = (JSON.parse(readFileSync(DEMO_SCENARIO, 'utf8')) as { referenceDate: string })
  .referenceDate;
const roster = JSON.parse(readFileSync(root('scenarios/demo.roster.json'), 'utf8')) as {
  people: SyncThroughWorkersInput['people'];
};
export const testLog = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export const CHECK_IDS = [
  'codecommit-offboarded-user-access',
  'codecommit-user-mfa',
  'codecommit-branch-protection-admins',
  'codecommit-peer-review',
] as const;

/** A database and a Redis prefix of the test file's own (register inside `describe`). */
export interface TestSide {
  t: { readonly current: TestDatabase };
  r: { readonly current: TestRedis };
}

export function useTestSide(): TestSide {
  return { t: useTestDatabase(), r: useTestRedis() };
}

/** fake-aws on the demo scenario, dates shifted to today, the credential report ready at once. */
export async function startDemoFake(edit?: (draft: Scenario) => void): Promise<FakeAws> {
  const fake = await startFakeAws({ scenario: DEMO_SCENARIO, shiftDates: true, credentialReportDelayMs: 0 });
  if (edit) fake.updateScenario(edit);
  return fake;
}

/** Connects the demo account on `side` and syncs it once through the workers (see sync-through-workers). */
export function syncDemo(
  side: TestSide,
  fake: FakeAws,
  options: Pick<SyncThroughWorkersInput, 'productRole'> = {},
): Promise<SyncedScenario> {
  return syncThroughWorkers({
    db: side.t.current.db,
    databaseUrl: side.t.current.url,
    redis: side.r.current,
    fake,
    accountId: '111122223333',
    region: 'us-east-1',
    tenantName: 'Acme Corp',
    connectionName: 'acme-prod',
    people: shiftCalendarDates(roster, Date.parse(fake.scenario().referenceDate!) - Date.parse(demoReference))
      .people,
    log: testLog,
    ...options,
  });
}

export interface Finding {
  key: string;
  check: string;
  /** The resource's name (`root` for the root account's MFA finding). */
  name: string;
  status: string;
  reason: string;
}

/** A check run's findings by `check resource-type name`, to compare runs of different connections. */
export async function findingsOf(db: Kysely<Database>, checkRunId: number): Promise<Map<string, Finding>> {
  const rows = await listFindings(db, checkRunId, { limit: 10_000 });
  const out = new Map<string, Finding>();
  for (const f of rows) {
    const name = f.resource_type === 'root' ? 'root' : f.resource_name;
    const key = `${f.check_id} ${f.resource_type} ${name}`;
    out.set(key, { key, check: f.check_id, name, status: f.status, reason: f.reason });
  }
  return out;
}

/**
 * Each baseline finding against the same finding of a later run: a finding that disappeared is an
 * issue; `judge` says what else is one (it sees only findings present in both).
 */
export function compareWithBaseline(
  baseline: ReadonlyMap<string, Finding>,
  after: ReadonlyMap<string, Finding>,
  judge: (before: Finding, now: Finding) => string[],
): string[] {
  const issues: string[] = [];
  for (const before of baseline.values()) {
    const now = after.get(before.key);
    if (now) issues.push(...judge(before, now));
    else issues.push(`${before.key}: disappeared (was ${before.status})`);
  }
  return issues;
}
