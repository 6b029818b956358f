/**
 * What changed in one check between two check runs of a connection: the findings failing in the later
 * run that did not fail in the earlier one (new failures), and those failing in the earlier run that no
 * longer fail (fixed). One keyset page at a time in SQL, so comparing two runs of a large account never
 * reads every failing finding of both (the console's Compare used to).
 */

import { type Kysely, sql } from 'kysely';
import { type FindingRow, findingsOwners } from './check-runs.js';
import type { Database } from './schema.js';

export type FindingChange = 'new_failures' | 'fixed';

/** The run whose rows hold a check's findings in a check run; null when the run has no such result. */
async function findingsOwner(
  db: Kysely<Database>,
  checkRunId: number,
  checkId: string,
): Promise<number | null> {
  return (await findingsOwners(db, checkRunId, checkId))[0]?.owner ?? null;
}

/**
 * One page of a change, by finding id: `new_failures` are rows of `toRunId` (with their reason there),
 * `fixed` are rows of `fromRunId` (as they failed then). A finding is the same across runs when its
 * resource (type and id) is. Each row is labelled with the run it is read for.
 */
export async function listFindingChanges(
  db: Kysely<Database>,
  runs: { fromRunId: number; toRunId: number },
  checkId: string,
  change: FindingChange,
  page: { afterId?: number; limit: number },
): Promise<FindingRow[]> {
  const [fromOwner, toOwner] = await Promise.all([
    findingsOwner(db, runs.fromRunId, checkId),
    findingsOwner(db, runs.toRunId, checkId),
  ]);
  const [readRun, readOwner, otherOwner] =
    change === 'new_failures' ? [runs.toRunId, toOwner, fromOwner] : [runs.fromRunId, fromOwner, toOwner];
  // No result of that check in the run read: nothing to list. The same rows on both sides: no change.
  if (readOwner === null || readOwner === otherOwner) return [];
  let q = db
    .selectFrom('findings as f')
    .selectAll('f')
    .where('f.check_run_id', '=', readOwner)
    .where('f.check_id', '=', checkId)
    .where('f.status', '=', 'fail');
  if (otherOwner !== null) {
    // findings_once (check_run_id, check_id, resource_type, resource_id) answers each probe.
    q = q.where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('findings as g')
            .select(sql`1`.as('one'))
            .where('g.check_run_id', '=', otherOwner)
            .where('g.check_id', '=', checkId)
            .where('g.status', '=', 'fail')
            .whereRef('g.resource_type', '=', 'f.resource_type')
            .whereRef('g.resource_id', '=', 'f.resource_id'),
        ),
      ),
    );
  }
  if (page.afterId !== undefined) q = q.where('f.id', '>', page.afterId);
  const rows = await q.orderBy('f.id').limit(page.limit).execute();
  return rows.map((r) => (r.check_run_id === readRun ? r : { ...r, check_run_id: readRun }));
}
