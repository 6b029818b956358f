import { createHash } from 'node:crypto';
import { type Kysely, type Selectable, type SelectQueryBuilder, sql, type Transaction } from 'kysely';
import { json } from './db.js';
import { type Database, EVIDENCE_KEYS, type EvidenceTable, type VersionColumns } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Columns stored as jsonb, per table: serialised on write. */
const JSON_COLUMNS: Record<EvidenceTable, readonly string[]> = {
  repositories: [],
  branches: [],
  approval_rule_templates: ['content', 'destination_references', 'approval_pool_members'],
  repository_template_associations: [],
  pull_requests: ['approval_rules', 'evaluation', 'override_state'],
  pull_request_approvals: [],
  pull_request_events: ['details'],
  iam_users: [
    'tags',
    'group_names',
    'attached_policy_arns',
    'inline_policies',
    'ssh_public_keys',
    'service_specific_credentials',
  ],
  iam_groups: ['attached_policy_arns', 'inline_policies'],
  iam_roles: ['assume_role_policy', 'tags', 'attached_policy_arns', 'inline_policies'],
  iam_managed_policies: ['document'],
  iam_credential_report_rows: ['raw'],
};

/** One evidence row as a writer supplies it: its content, jsonb columns as plain values, dates as Date. */
export type EvidenceInput<T extends EvidenceTable> = Omit<Selectable<Database[T]>, keyof VersionColumns>;

export interface WriteStats {
  /** New versions opened (first sight of a resource, or a changed one). */
  inserted: number;
  /** Versions closed because their resource changed. */
  superseded: number;
  /** Versions opened earlier in this same run and rewritten (a retried job seeing newer data). */
  rewritten: number;
  unchanged: number;
}

const CHUNK = 500;

/**
 * Records the state of resources seen by sync run `runId`. Per natural key: the same content as the
 * open version writes nothing; different content closes the open version at this run and opens a new
 * one (or rewrites it in place if it was opened by this same run, so a retried job converges on the
 * same rows). Rows not mentioned are left alone: see `retireMissing` for deletions.
 */
export async function writeEvidence<T extends EvidenceTable>(
  db: Db,
  table: T,
  target: { connectionId: string; runId: number },
  rows: EvidenceInput<T>[],
): Promise<WriteStats> {
  const stats: WriteStats = { inserted: 0, superseded: 0, rewritten: 0, unchanged: 0 };
  if (rows.length === 0) return stats;
  const keys = EVIDENCE_KEYS[table] as readonly string[];
  const deduped = new Map<string, Record<string, unknown>>();
  for (const row of rows)
    deduped.set(keyOf(row as Record<string, unknown>, keys), row as Record<string, unknown>);
  const all = [...deduped.values()];
  const run = async (trx: Db) => {
    for (let i = 0; i < all.length; i += CHUNK) {
      const chunk = all.slice(i, i + CHUNK);
      const current = await sql<{ id: number; content_hash: string; valid_from_run: number; k: string }>`
        select id, content_hash, valid_from_run, ${keyExpression(keys)} as k
        from ${sql.table(table)}
        where connection_id = ${target.connectionId} and valid_to_run is null
          and (${sql.join(keys.map((k) => sql.ref(k)))}) in (${sql.join(
            chunk.map((r) => sql`(${sql.join(keys.map((k) => r[k]))})`),
          )})
        for update`.execute(trx);
      const byKey = new Map(current.rows.map((r) => [r.k, r]));
      const inserts: Record<string, unknown>[] = [];
      const supersede: number[] = [];
      for (const row of chunk) {
        const hash = contentHash(row);
        const open = byKey.get(keyOf(row, keys));
        if (open && open.content_hash === hash) {
          stats.unchanged++;
          continue;
        }
        const stored = serialise(table, row);
        if (open && Number(open.valid_from_run) === target.runId) {
          await trx
            .updateTable(table as EvidenceTable)
            // biome-ignore lint/suspicious/noExplicitAny: generic over evidence tables
            .set({ ...stored, content_hash: hash } as any)
            .where('id', '=', open.id)
            .execute();
          stats.rewritten++;
          continue;
        }
        if (open) supersede.push(open.id);
        inserts.push({
          ...stored,
          connection_id: target.connectionId,
          valid_from_run: target.runId,
          content_hash: hash,
        });
      }
      if (supersede.length > 0) {
        await trx
          .updateTable(table as EvidenceTable)
          .set({ valid_to_run: target.runId })
          .where('id', 'in', supersede)
          .execute();
        stats.superseded += supersede.length;
      }
      if (inserts.length > 0) {
        await trx
          .insertInto(table as EvidenceTable)
          // biome-ignore lint/suspicious/noExplicitAny: generic over evidence tables
          .values(inserts as any)
          .execute();
        stats.inserted += inserts.length;
      }
    }
  };
  if (db.isTransaction) await run(db);
  else await db.transaction().execute(run);
  return stats;
}

/**
 * Marks as removed, as of run `runId`, every open version in `scope` whose key is not in `present`:
 * the resource is gone from AWS. History is kept: the version's validity ends at this run. A version
 * opened by this same run (a retried job that saw it before it vanished) is dropped instead, since no
 * run ever saw it. Returns how many resources were retired.
 */
export async function retireMissing<T extends EvidenceTable>(
  db: Db,
  table: T,
  target: { connectionId: string; runId: number },
  scope: Partial<Record<string, string>>,
  present: Iterable<Record<string, unknown>>,
): Promise<number> {
  const keys = EVIDENCE_KEYS[table] as readonly string[];
  const keep = new Set<string>();
  for (const p of present) keep.add(keyOf(p, keys));
  let q = sql<{ id: number; valid_from_run: number; k: string }>`
    select id, valid_from_run, ${keyExpression(keys)} as k from ${sql.table(table)}
    where connection_id = ${target.connectionId} and valid_to_run is null`;
  for (const [column, value] of Object.entries(scope)) q = sql`${q} and ${sql.ref(column)} = ${value}`;
  const open = await q.execute(db);
  const gone = open.rows.filter((r) => !keep.has(r.k));
  const close = gone.filter((r) => Number(r.valid_from_run) !== target.runId).map((r) => r.id);
  const drop = gone.filter((r) => Number(r.valid_from_run) === target.runId).map((r) => r.id);
  for (let i = 0; i < close.length; i += CHUNK) {
    await db
      .updateTable(table as EvidenceTable)
      .set({ valid_to_run: target.runId })
      .where('id', 'in', close.slice(i, i + CHUNK))
      .execute();
  }
  for (let i = 0; i < drop.length; i += CHUNK) {
    await db
      .deleteFrom(table as EvidenceTable)
      .where('id', 'in', drop.slice(i, i + CHUNK))
      .execute();
  }
  return gone.length;
}

/**
 * The rows of `table` as they were at sync run `runId`: each resource's version valid at that run.
 * Extend the returned query with filters and ordering.
 */
export function selectAsOf<T extends EvidenceTable>(
  db: Db,
  table: T,
  connectionId: string,
  runId: number,
): SelectQueryBuilder<Database, T, object> {
  // biome-ignore lint/suspicious/noExplicitAny: generic over evidence tables
  const q = (db as Kysely<any>)
    .selectFrom(table as string)
    .where('connection_id', '=', connectionId)
    .where('valid_from_run', '<=', runId)
    // biome-ignore lint/suspicious/noExplicitAny: generic over evidence tables
    .where((eb: any) => eb.or([eb('valid_to_run', 'is', null), eb('valid_to_run', '>', runId)]));
  return q as unknown as SelectQueryBuilder<Database, T, object>;
}

/** The open (current) versions of `table` for a connection: the latest known state. */
export function selectCurrent<T extends EvidenceTable>(
  db: Db,
  table: T,
  connectionId: string,
): SelectQueryBuilder<Database, T, object> {
  // biome-ignore lint/suspicious/noExplicitAny: generic over evidence tables
  const q = (db as Kysely<any>)
    .selectFrom(table as string)
    .where('connection_id', '=', connectionId)
    .where('valid_to_run', 'is', null);
  return q as unknown as SelectQueryBuilder<Database, T, object>;
}

/**
 * The current evidence of a connection in one table as natural key -> content hash: two connections of
 * the same account hold identical evidence exactly when these maps are equal (the re-sync bench and
 * tests compare an incremental re-sync with a full sync this way).
 */
export async function currentContentByKey(
  db: Db,
  table: EvidenceTable,
  connectionId: string,
): Promise<Map<string, string>> {
  const rows = await sql<{ k: string; content_hash: string }>`
    select ${keyExpression(EVIDENCE_KEYS[table])} as k, content_hash from ${sql.table(table)}
    where connection_id = ${connectionId} and valid_to_run is null`.execute(db);
  return new Map(rows.rows.map((r) => [r.k, r.content_hash]));
}

export interface EvidenceDifference {
  /** Natural keys current in `a` only, in `b` only, and in both with different content (at most 20 each). */
  onlyA: string[];
  onlyB: string[];
  differ: string[];
  /** How many keys differ in all, and how many rows each side holds. */
  count: number;
  rowsA: number;
  rowsB: number;
}

/** Per table, how the current evidence of connections `a` and `b` differs (natural key and content). */
export async function diffCurrentEvidence(
  db: Db,
  tables: readonly EvidenceTable[],
  a: string,
  b: string,
): Promise<Record<string, EvidenceDifference>> {
  const out: Record<string, EvidenceDifference> = {};
  for (const table of tables) {
    const [x, y] = await Promise.all([currentContentByKey(db, table, a), currentContentByKey(db, table, b)]);
    const onlyA = [...x.keys()].filter((k) => !y.has(k));
    const onlyB = [...y.keys()].filter((k) => !x.has(k));
    const differ = [...x.keys()].filter((k) => y.has(k) && y.get(k) !== x.get(k));
    out[table] = {
      onlyA: onlyA.slice(0, 20),
      onlyB: onlyB.slice(0, 20),
      differ: differ.slice(0, 20),
      count: onlyA.length + onlyB.length + differ.length,
      rowsA: x.size,
      rowsB: y.size,
    };
  }
  return out;
}

function serialise(table: EvidenceTable, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...row };
  for (const c of JSON_COLUMNS[table]) {
    if (c in out) out[c] = out[c] === null || out[c] === undefined ? null : json(out[c]);
  }
  return out;
}

function keyExpression(keys: readonly string[]) {
  // The natural key as one text value, with a separator that cannot occur in AWS names or ids.
  return sql`concat_ws(${'\u001f'}, ${sql.join(keys.map((k) => sql.ref(k)))})`;
}

function keyOf(row: Record<string, unknown>, keys: readonly string[]): string {
  return keys.map((k) => String(row[k])).join('\u001f');
}

/** A hash of a row's content that does not depend on key order or on Date vs ISO string. */
export function contentHash(row: Record<string, unknown>): string {
  return createHash('sha256').update(stableStringify(row)).digest('hex');
}

function stableStringify(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
