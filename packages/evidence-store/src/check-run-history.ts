/**
 * The history of a connection's check runs, newest first, each with every check's status and its
 * findings counted by status. The counts are those each check result stored when it was written
 * (`check_results.counts`), so a page of history reads one row per check per run and never a finding.
 */

import type { Kysely } from 'kysely';
import type { CheckRun } from './check-runs.js';
import type { Database, FindingStatus } from './schema.js';

export interface CheckRunHistoryEntry {
  run: CheckRun;
  /** By check id. */
  results: Record<string, { status: FindingStatus; counts: Record<FindingStatus, number> }>;
}

/** One page of history, keyset on id descending: pass the last entry's `run.id` as `beforeId`. */
export async function listCheckRunHistory(
  db: Kysely<Database>,
  connectionId: string,
  page: { beforeId?: number; limit: number },
): Promise<CheckRunHistoryEntry[]> {
  let q = db.selectFrom('check_runs').selectAll().where('connection_id', '=', connectionId);
  if (page.beforeId !== undefined) q = q.where('id', '<', page.beforeId);
  const runs = await q.orderBy('id', 'desc').limit(page.limit).execute();
  if (runs.length === 0) return [];
  const rows = await db
    .selectFrom('check_results')
    .select(['check_run_id', 'check_id', 'status', 'counts'])
    .where(
      'check_run_id',
      'in',
      runs.map((r) => r.id),
    )
    .orderBy('check_run_id')
    .orderBy('check_id')
    .execute();
  const byRun = new Map<number, CheckRunHistoryEntry['results']>();
  for (const r of rows) {
    const results = byRun.get(r.check_run_id) ?? {};
    results[r.check_id] = { status: r.status, counts: r.counts };
    byRun.set(r.check_run_id, results);
  }
  return runs.map((run) => ({ run, results: byRun.get(run.id) ?? {} }));
}
