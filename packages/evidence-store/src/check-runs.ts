import { createHash } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { json } from './db.js';
import { EvidenceCompactor, resolveEvidenceRefs } from './evidence-blobs.js';
import { subjectContains } from './finding-search.js';
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
 * SHA-256 of a check's findings as stored (compacted evidence: equal references mean equal content), in
 * order: equal digests, equal findings.
 */
function findingsDigest(
  findings: readonly {
    resourceType: string;
    resourceId: string;
    resourceName: string;
    status: string;
    reason: string;
    evidenceJson: string;
  }[],
): string {
  const hash = createHash('sha256');
  for (const f of findings) {
    hash.update(JSON.stringify([f.resourceType, f.resourceId, f.resourceName, f.status, f.reason]));
    hash.update(f.evidenceJson);
    hash.update('\n');
  }
  return `sha256:${hash.digest('hex')}`;
}

/** A finding as it is written: its evidence compacted to JSON (the evidence object is not kept). */
export type CompactedFinding = Omit<CheckRunInput['results'][number]['findings'][number], 'evidence'> & {
  evidenceJson: string;
};

/** A check run ready to be written: every finding compacted, and the blobs they reference. */
export interface CompactedCheckRun extends Omit<CheckRunInput, 'results'> {
  results: (Omit<CheckRunInput['results'][number], 'findings'> & { findings: CompactedFinding[] })[];
  /** digest -> JSON text of each part stored once. */
  blobs: ReadonlyMap<string, string>;
}

/**
 * Writes one check run with its results and findings, all or nothing. Check runs are append-only.
 * Each finding's evidence is compacted (`EvidenceCompactor`): what findings share is written once per
 * connection, and again only when it changed; statements are bounded in bytes.
 */
export async function insertCheckRun(db: Kysely<Database>, input: CheckRunInput): Promise<CheckRun> {
  return writeCheckRun(db, await compactCheckRun(input));
}

/**
 * The first half of `insertCheckRun`: every finding's evidence compacted. A caller that drops the
 * findings' objects once this returns (the evaluator) holds only their JSON while the run is written.
 */
export async function compactCheckRun(input: CheckRunInput): Promise<CompactedCheckRun> {
  const compactor = new EvidenceCompactor();
  // CPU-bound for thousands of findings: pause every few milliseconds so timers (a job lock) run.
  let sliceStart = performance.now();
  const pauseIfDue = async () => {
    if (performance.now() - sliceStart < 20) return;
    await new Promise((resolve) => setImmediate(resolve));
    sliceStart = performance.now();
  };
  // First what findings share (the same object in several), then each finding compacted.
  const results: CompactedCheckRun['results'] = [];
  for (const r of input.results)
    for (const f of r.findings) {
      compactor.noteShared(f.evidence);
      await pauseIfDue();
    }
  for (const r of input.results) {
    const findings: CompactedFinding[] = [];
    for (const f of r.findings) {
      findings.push({
        resourceType: f.resourceType,
        resourceId: f.resourceId,
        resourceName: f.resourceName,
        status: f.status,
        reason: f.reason,
        evidenceJson: compactor.compactFinding(f.evidence),
      });
      await pauseIfDue();
    }
    results.push({ checkId: r.checkId, status: r.status, counts: r.counts, findings });
  }
  const { results: _, ...header } = input;
  return { ...header, results, blobs: compactor.blobs };
}

/** The second half of `insertCheckRun`: one transaction, statements bounded in bytes. */
export async function writeCheckRun(db: Kysely<Database>, input: CompactedCheckRun): Promise<CheckRun> {
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
    const blobs = [...input.blobs];
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
    for (const r of input.results) {
      // Findings unchanged since an earlier check run of the connection are not written again: the
      // result points at the check run whose rows hold them (storage grows with change).
      const digest = findingsDigest(r.findings);
      const earlier =
        r.findings.length === 0
          ? undefined
          : await trx
              .selectFrom('check_results as cr')
              .innerJoin('check_runs as r', 'r.id', 'cr.check_run_id')
              .select((eb) => eb.fn.coalesce('cr.findings_check_run_id', 'cr.check_run_id').as('owner'))
              .where('r.connection_id', '=', input.connectionId)
              .where('cr.check_id', '=', r.checkId)
              .where('cr.findings_digest', '=', digest)
              .orderBy('cr.id', 'desc')
              .limit(1)
              .executeTakeFirst();
      await trx
        .insertInto('check_results')
        .values({
          check_run_id: run.id,
          check_id: r.checkId,
          status: r.status,
          counts: json(r.counts),
          findings_digest: digest,
          findings_check_run_id: earlier?.owner ?? null,
        })
        .execute();
      if (earlier) continue;
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

/**
 * The check run already written for this evaluation, if any (a retried job finds its own): a sync run is
 * evaluated once as part of its flow; on-demand evaluations are one per roster instant.
 */
export async function findCheckRunOf(
  db: Kysely<Database>,
  of: { connectionId: string; syncRunId: number; trigger: CheckRunInput['trigger']; rosterAsOf: Date },
): Promise<CheckRun | undefined> {
  let q = db
    .selectFrom('check_runs')
    .selectAll()
    .where('connection_id', '=', of.connectionId)
    .where('sync_run_id', '=', of.syncRunId)
    .where('trigger', '=', of.trigger);
  if (of.trigger === 'on_demand') q = q.where('roster_as_of', '=', of.rosterAsOf);
  return q.orderBy('id').limit(1).executeTakeFirst();
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
 * Findings of a check run in id order (keyset: `afterId`); a check whose findings were unchanged since
 * an earlier check run reads that run's rows (`check_results.findings_check_run_id`). Their evidence holds references to the
 * parts that findings share; `resolve` replaces them by what they stand for, that many levels deep
 * (default 0: as stored, bounded in size; `Infinity`: the whole evidence, as the checks produced it).
 */
/**
 * For each check of a check run (or one check), the run whose rows hold its findings: a result may
 * hold no rows of its own, its findings being those of an earlier check run (unchanged).
 */
export async function findingsOwners(
  db: Kysely<Database>,
  checkRunId: number,
  checkId?: string,
): Promise<{ check_id: string; owner: number }[]> {
  let q = db
    .selectFrom('check_results')
    .select((eb) => ['check_id', eb.fn.coalesce('findings_check_run_id', 'check_run_id').as('owner')])
    .where('check_run_id', '=', checkRunId);
  if (checkId) q = q.where('check_id', '=', checkId);
  return (await q.execute()).map((r) => ({ check_id: r.check_id, owner: Number(r.owner) }));
}

export async function listFindings(
  db: Kysely<Database>,
  checkRunId: number,
  filter: {
    checkId?: string;
    status?: FindingStatus;
    limit?: number;
    afterId?: number;
    resolve?: number;
    /** Only findings whose subject (resource name) holds this text, case-insensitively. */
    search?: string;
  } = {},
): Promise<FindingRow[]> {
  const sources = await findingsOwners(db, checkRunId, filter.checkId);
  if (sources.length === 0) return [];
  let q = db
    .selectFrom('findings')
    .selectAll()
    .where((eb) =>
      eb.or(sources.map((o) => eb.and([eb('check_run_id', '=', o.owner), eb('check_id', '=', o.check_id)]))),
    );
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.afterId) q = q.where('id', '>', filter.afterId);
  if (filter.search) q = q.where(subjectContains(filter.search));
  const found = await q
    .orderBy('id')
    .limit(filter.limit ?? 1000)
    .execute();
  // They are findings of this check run, whichever run's rows hold them.
  const rows = found.map((r) => (r.check_run_id === checkRunId ? r : { ...r, check_run_id: checkRunId }));
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
