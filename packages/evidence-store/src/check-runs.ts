import type { Kysely, Selectable } from 'kysely';
import { json } from './db.js';
import { EvidenceCompactor, resolveEvidenceRefs } from './evidence-blobs.js';
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

/** Rows and bytes per insert statement: far below Postgres's 1 GB message limit, whatever the account. */
export const INSERT_BATCH = { maxRows: 1000, maxBytes: 4 * 1024 * 1024 } as const;

/** Splits rows into batches of at most `maxRows` rows and (except for a single larger row) `maxBytes`. */
export function batchesByBytes<T>(
  rows: readonly T[],
  sizeOf: (row: T) => number,
  limits: { maxRows: number; maxBytes: number } = INSERT_BATCH,
): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = sizeOf(row);
    if (batch.length > 0 && (batch.length >= limits.maxRows || bytes + size > limits.maxBytes)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(row);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * Writes one check run with its results and findings, all or nothing. Check runs are append-only.
 * Each finding's evidence is compacted (`EvidenceCompactor`): what findings share is written once per
 * connection, and again only when it changed; statements are bounded in bytes.
 */
export async function insertCheckRun(db: Kysely<Database>, input: CheckRunInput): Promise<CheckRun> {
  const compactor = new EvidenceCompactor();
  // CPU-bound for thousands of findings: pause every few milliseconds so timers (a job lock) run.
  let sliceStart = performance.now();
  type Compacted = CheckRunInput['results'][number]['findings'][number] & { evidenceJson: string };
  const results: (Omit<CheckRunInput['results'][number], 'findings'> & { findings: Compacted[] })[] = [];
  for (const r of input.results) {
    const findings: Compacted[] = [];
    for (const f of r.findings) {
      findings.push({ ...f, evidenceJson: compactor.compactFinding(f.evidence) });
      if (performance.now() - sliceStart >= 20) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
    results.push({ ...r, findings });
  }
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
    const blobs = [...compactor.blobs];
    for (const chunk of batchesByBytes(blobs, ([digest, body]) => digest.length + body.length)) {
      await trx
        .insertInto('check_evidence_blobs')
        .values(
          chunk.map(([digest, body]) => ({
            connection_id: input.connectionId,
            digest,
            body,
            first_check_run_id: run.id,
          })),
        )
        .onConflict((oc) => oc.columns(['connection_id', 'digest']).doNothing())
        .execute();
    }
    for (const r of results) {
      await trx
        .insertInto('check_results')
        .values({ check_run_id: run.id, check_id: r.checkId, status: r.status, counts: json(r.counts) })
        .execute();
      const sizeOf = (f: (typeof r.findings)[number]) =>
        f.evidenceJson.length + f.reason.length + f.resourceId.length + f.resourceName.length + 64;
      for (const chunk of batchesByBytes(r.findings, sizeOf)) {
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
              evidence: f.evidenceJson,
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

/** The latest evaluation of one sync run. */
export async function getLatestCheckRunOfSyncRun(
  db: Kysely<Database>,
  connectionId: string,
  syncRunId: number,
): Promise<CheckRun | undefined> {
  return db
    .selectFrom('check_runs')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .where('sync_run_id', '=', syncRunId)
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

/**
 * Findings of a check run in id order (keyset: `afterId`). Their evidence holds references to the
 * parts that findings share; `resolve` replaces them by what they stand for, that many levels deep
 * (default 0: as stored, bounded in size; `Infinity`: the whole evidence, as the checks produced it).
 */
export async function listFindings(
  db: Kysely<Database>,
  checkRunId: number,
  filter: {
    checkId?: string;
    status?: FindingStatus;
    limit?: number;
    afterId?: number;
    resolve?: number;
  } = {},
): Promise<FindingRow[]> {
  let q = db.selectFrom('findings').selectAll().where('check_run_id', '=', checkRunId);
  if (filter.checkId) q = q.where('check_id', '=', filter.checkId);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.afterId) q = q.where('id', '>', filter.afterId);
  const rows = await q
    .orderBy('id')
    .limit(filter.limit ?? 1000)
    .execute();
  if (!filter.resolve || rows.length === 0) return rows;
  const run = await db
    .selectFrom('check_runs')
    .select('connection_id')
    .where('id', '=', checkRunId)
    .executeTakeFirstOrThrow();
  const evidence = await resolveEvidenceRefs(
    db,
    run.connection_id,
    rows.map((r) => r.evidence),
    filter.resolve,
  );
  return rows.map((r, i) => ({ ...r, evidence: evidence[i] }));
}
