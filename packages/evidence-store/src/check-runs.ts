import type { Kysely, Selectable } from 'kysely';
import { json } from './db.js';
import type { CheckResultsTable, CheckRunsTable, Database, FindingStatus, FindingsTable } from './schema.js';

export type CheckRun = Selectable<CheckRunsTable>;
export type CheckResultRow = Selectable<CheckResultsTable>;
export type FindingRow = Selectable<FindingsTable>;

export interface CheckRunInput {
  connectionId: string;
  syncRunId: number;
  trigger: 'sync' | 'on_demand';
  rosterAsOf: Date;
  /** When the check run is written, by the evaluator's clock (`getCheckRunAt` reads by it). */
  evaluatedAt: Date;
  partial: boolean;
  notes: unknown[];
  results: {
    checkId: string;
    status: FindingStatus;
    counts: Record<FindingStatus, number>;
    findings: {
      resourceType: string;
      resourceId: string;
      resourceName: string;
      status: FindingStatus;
      reason: string;
      evidence: unknown;
    }[];
  }[];
}

/** Writes one check run with its results and findings, all or nothing. Check runs are append-only. */
export async function insertCheckRun(db: Kysely<Database>, input: CheckRunInput): Promise<CheckRun> {
  return db.transaction().execute(async (trx) => {
    const run = await trx
      .insertInto('check_runs')
      .values({
        connection_id: input.connectionId,
        sync_run_id: input.syncRunId,
        trigger: input.trigger,
        roster_as_of: input.rosterAsOf,
        evaluated_at: input.evaluatedAt,
        partial: input.partial,
        notes: json(input.notes),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    for (const r of input.results) {
      await trx
        .insertInto('check_results')
        .values({ check_run_id: run.id, check_id: r.checkId, status: r.status, counts: json(r.counts) })
        .execute();
      for (let i = 0; i < r.findings.length; i += 500) {
        const chunk = r.findings.slice(i, i + 500);
        await trx
          .insertInto('findings')
          .values(
            chunk.map((f) => ({
              check_run_id: run.id,
              check_id: r.checkId,
              resource_type: f.resourceType,
              resource_id: f.resourceId,
              resource_name: f.resourceName,
              status: f.status,
              reason: f.reason,
              evidence: json(f.evidence),
            })),
          )
          .execute();
      }
    }
    return run;
  });
}

/**
 * The check run that speaks for the connection now: the latest evaluation of the newest sync run
 * evaluated. (An on-demand re-evaluation of an older sync run can finish after the newer run's own
 * evaluation; it must not take over as "latest".)
 */
export async function getLatestCheckRun(
  db: Kysely<Database>,
  connectionId: string,
): Promise<CheckRun | undefined> {
  return db
    .selectFrom('check_runs')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .orderBy('sync_run_id', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The last check run evaluated at or before `at`: "what did the checks say on that date". */
export async function getCheckRunAt(
  db: Kysely<Database>,
  connectionId: string,
  at: Date,
): Promise<CheckRun | undefined> {
  return db
    .selectFrom('check_runs')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .where('evaluated_at', '<=', at)
    .orderBy('sync_run_id', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function getCheckRun(
  db: Kysely<Database>,
  connectionId: string,
  id: number,
): Promise<CheckRun | undefined> {
  return db
    .selectFrom('check_runs')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function listCheckRuns(
  db: Kysely<Database>,
  connectionId: string,
  limit = 50,
): Promise<CheckRun[]> {
  return db
    .selectFrom('check_runs')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export async function listCheckResults(db: Kysely<Database>, checkRunId: number): Promise<CheckResultRow[]> {
  return db
    .selectFrom('check_results')
    .selectAll()
    .where('check_run_id', '=', checkRunId)
    .orderBy('id')
    .execute();
}

export async function listFindings(
  db: Kysely<Database>,
  checkRunId: number,
  filter: { checkId?: string; status?: FindingStatus; limit?: number; afterId?: number } = {},
): Promise<FindingRow[]> {
  let q = db.selectFrom('findings').selectAll().where('check_run_id', '=', checkRunId);
  if (filter.checkId) q = q.where('check_id', '=', filter.checkId);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.afterId) q = q.where('id', '>', filter.afterId);
  return q
    .orderBy('id')
    .limit(filter.limit ?? 1000)
    .execute();
}
