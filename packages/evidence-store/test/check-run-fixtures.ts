/** What the check-run tests of the store share: a connection with one finished sync run, and a check run of it. */
import type { Kysely } from 'kysely';
import type { CheckRunInput } from '../src/check-runs.js';
import { createConnection } from '../src/connections.js';
import type { Database } from '../src/schema.js';
import { createOrGetActiveSyncRun, finishSyncRun } from '../src/sync-runs.js';
import { createTenant } from '../src/tenants.js';

export async function connectionWithFinishedRun(
  db: Kysely<Database>,
): Promise<{ connectionId: string; syncRunId: number }> {
  const { tenant } = await createTenant(db, 'acme');
  const c = await createConnection(db, { tenantId: tenant.id, name: 'prod' });
  const { run } = await createOrGetActiveSyncRun(db, c.id, 'api');
  await finishSyncRun(db, run.id, 'succeeded');
  return { connectionId: c.id, syncRunId: run.id };
}

/** A check run of that sync run, evaluated (and its roster read) at `at` ms since the epoch. */
export function checkRunAt(
  of: { connectionId: string; syncRunId: number },
  at: number,
  results: CheckRunInput['results'],
  trigger: CheckRunInput['trigger'] = 'on_demand',
): CheckRunInput {
  return {
    ...of,
    trigger,
    rosterAsOf: new Date(at),
    evaluatedAt: new Date(at),
    partial: false,
    notes: [],
    results,
  };
}
