/**
 * What a chaos run is judged on: the evidence a sync left (every evidence table's current rows, by
 * natural key and content, and the per-run access rows) and the findings of its check run, one by one,
 * compared with the clean baseline's. Reads go through `@codecommit-evidence/evidence-store`
 * (`selectCurrent`, `listFindings`, …); the only query of its own counts closed versions, which a
 * single sync from an empty store should never leave.
 */
import {
  type Database,
  EVIDENCE_KEYS,
  type EvidenceTable,
  listCheckResults,
  listFindings,
  listSyncProblems,
  selectCurrent,
} from '@codecommit-evidence/evidence-store';
import { type Kysely, sql } from 'kysely';

const VERSION_COLUMNS = new Set(['id', 'connection_id', 'valid_from_run', 'valid_to_run']);

/**
 * A JSON text that does not depend on key order or on Date vs string. A finding's audit window is
 * measured back from the moment of evaluation, which differs between runs by construction: its bounds
 * are left out (its length stays).
 */
export function canonical(value: unknown): string {
  const walk = (v: unknown, key?: string): unknown => {
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .filter((k) => !(key === 'auditWindow' && (k === 'from' || k === 'to')))
          .sort()
          .map((k) => [k, walk((v as Record<string, unknown>)[k], k)]),
      );
    }
    return v;
  };
  return JSON.stringify(walk(value));
}

export interface FindingSnapshot {
  check: string;
  resource: string;
  name: string;
  status: string;
  reason: string;
  /** The finding's evidence, resolved, as canonical JSON with this run's ids replaced. */
  evidence: string;
}

export interface Snapshot {
  /** table → natural key → canonical content. */
  evidence: Record<string, Map<string, string>>;
  /** table → versions closed (valid_to_run set). */
  closedVersions: Record<string, number>;
  findings: Map<string, FindingSnapshot>;
  /** check id → status. */
  checks: Map<string, string>;
  problems: { step: string; kind: string; code: string; action: string; resource: string; message: string }[];
  runStatus: string;
  partial: boolean;
}

export async function snapshot(
  db: Kysely<Database>,
  ids: { connectionId: string; tenantId: string; runId: number; checkRunId: number },
): Promise<Snapshot> {
  // Ids that differ between runs by construction: replaced before comparing.
  const anonymise = (text: string) =>
    text.replaceAll(ids.connectionId, '<connection>').replaceAll(ids.tenantId, '<tenant>');
  const evidence: Snapshot['evidence'] = {};
  const closedVersions: Snapshot['closedVersions'] = {};
  for (const table of Object.keys(EVIDENCE_KEYS) as EvidenceTable[]) {
    const keys = EVIDENCE_KEYS[table] as readonly string[];
    const rows = (await selectCurrent(db, table, ids.connectionId).selectAll().execute()) as Record<
      string,
      unknown
    >[];
    const map = new Map<string, string>();
    for (const row of rows) {
      const content = Object.fromEntries(Object.entries(row).filter(([k]) => !VERSION_COLUMNS.has(k)));
      map.set(keys.map((k) => String(row[k])).join(' | '), anonymise(canonical(content)));
    }
    evidence[table] = map;
    const closed = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}
      where connection_id = ${ids.connectionId} and valid_to_run is not null`.execute(db);
    closedVersions[table] = closed.rows[0]?.n ?? 0;
  }

  const findings = new Map<string, FindingSnapshot>();
  let afterId: number | undefined;
  for (;;) {
    const page = await listFindings(db, ids.checkRunId, { afterId, limit: 1000, resolve: Infinity });
    for (const f of page) {
      const key = `${f.check_id} | ${f.resource_type} | ${f.resource_id}`;
      findings.set(key, {
        check: f.check_id,
        resource: `${f.resource_type}:${f.resource_id}`,
        name: f.resource_name,
        status: f.status,
        reason: anonymise(f.reason),
        evidence: anonymise(canonical(f.evidence)),
      });
    }
    if (page.length < 1000) break;
    afterId = page.at(-1)?.id;
  }
  const checks = new Map((await listCheckResults(db, ids.checkRunId)).map((r) => [r.check_id, r.status]));
  const problems = (await listSyncProblems(db, ids.runId)).map((p) => ({
    step: p.step,
    kind: p.kind,
    code: p.code,
    action: p.action,
    resource: p.resource,
    message: p.message,
  }));
  const run = await db
    .selectFrom('sync_runs')
    .select('status')
    .where('id', '=', ids.runId)
    .executeTakeFirstOrThrow();
  const checkRun = await db
    .selectFrom('check_runs')
    .select('partial')
    .where('id', '=', ids.checkRunId)
    .executeTakeFirstOrThrow();
  return {
    evidence,
    closedVersions,
    findings,
    checks,
    problems,
    runStatus: run.status,
    partial: checkRun.partial,
  };
}

export type DifferenceKind =
  | 'evidence withheld'
  | 'evidence changed'
  | 'evidence added'
  | 'versions closed'
  | 'finding now unknown'
  | 'finding judged otherwise'
  | 'finding detail changed'
  | 'finding absent, resource withheld'
  | 'finding absent'
  | 'finding added, unknown'
  | 'finding added'
  | 'check now unknown or fail'
  | 'check judged otherwise';

export interface Difference {
  kind: DifferenceKind;
  what: string;
  key: string;
  detail: string;
}

export interface Comparison {
  evidenceRowsCompared: number;
  findingsCompared: number;
  /** Differences that break the rule of the run. */
  defects: Difference[];
  /** Differences the rule allows (a malformed scope's findings as unknown, its evidence withheld). */
  allowed: Difference[];
}

let fullDiffs = false;
/** The script's `--full`: differences are kept whole. */
export function keepDifferencesWhole(): void {
  fullDiffs = true;
}
export const differencesWhole = () => fullDiffs;
const shorten = (text: string, max = 160) =>
  fullDiffs || text.length <= max ? text : `${text.slice(0, max)}…`;

/**
 * `exact`: a run that must leave what the baseline left (crashes, 5xx, throttling).
 * `malformed`: a run with one operation answered invalid: evidence may be withheld (never added or
 * changed), a finding that differs must be `unknown`, a finding may be absent only if its resource is
 * absent from the run's evidence, and no check may pass (or be not applicable) where the baseline's
 * did not.
 */
export function compare(baseline: Snapshot, run: Snapshot, mode: 'exact' | 'malformed'): Comparison {
  const defects: Difference[] = [];
  const allowed: Difference[] = [];
  let evidenceRowsCompared = 0;
  const present = new Set<string>();
  for (const rows of Object.values(run.evidence)) {
    for (const [key, content] of rows) {
      present.add(key);
      for (const part of key.split(' | ')) present.add(part);
      for (const m of content.matchAll(/"(?:arn|repository_name|user_name)":"([^"]+)"/g)) present.add(m[1]!);
    }
  }
  for (const [table, base] of Object.entries(baseline.evidence)) {
    const mine = run.evidence[table] ?? new Map<string, string>();
    for (const [key, content] of base) {
      evidenceRowsCompared++;
      const other = mine.get(key);
      if (other === undefined) {
        const d = { kind: 'evidence withheld' as const, what: `evidence ${table}`, key, detail: 'missing' };
        (mode === 'malformed' ? allowed : defects).push(d);
      } else if (other !== content) {
        defects.push({
          kind: 'evidence changed',
          what: `evidence ${table}`,
          key,
          detail: `content differs: ${shorten(content)} vs ${shorten(other)}`,
        });
      }
    }
    for (const key of mine.keys()) {
      if (!base.has(key))
        defects.push({ kind: 'evidence added', what: `evidence ${table}`, key, detail: 'extra row' });
    }
  }
  for (const [table, closed] of Object.entries(run.closedVersions)) {
    if (closed > (baseline.closedVersions[table] ?? 0)) {
      defects.push({
        kind: 'versions closed',
        what: `evidence ${table}`,
        key: '(closed versions)',
        detail: `${closed} closed`,
      });
    }
  }

  let findingsCompared = 0;
  for (const [key, base] of baseline.findings) {
    findingsCompared++;
    const mine = run.findings.get(key);
    if (!mine) {
      const [, , resourceId = ''] = key.split(' | ');
      const withheld =
        mode === 'malformed' &&
        !present.has(resourceId) &&
        [...run.findings.values()].some((f) => f.check === base.check && f.status === 'unknown');
      const checkUnknown = mode === 'malformed' && run.checks.get(base.check) === 'unknown';
      (withheld || checkUnknown ? allowed : defects).push({
        kind: withheld || checkUnknown ? 'finding absent, resource withheld' : 'finding absent',
        what: `finding ${base.check}`,
        key: base.name,
        detail: `missing (was ${base.status})`,
      });
      continue;
    }
    if (mine.status === base.status && mine.reason === base.reason && mine.evidence === base.evidence)
      continue;
    const detail =
      mine.status !== base.status
        ? `${base.status} → ${mine.status}: ${shorten(mine.reason)}`
        : mine.reason !== base.reason
          ? `reason: ${shorten(base.reason)} → ${shorten(mine.reason)}`
          : `evidence: ${shorten(base.evidence)} → ${shorten(mine.evidence)}`;
    const kind: DifferenceKind =
      mine.status === base.status
        ? 'finding detail changed'
        : mine.status === 'unknown'
          ? 'finding now unknown'
          : 'finding judged otherwise';
    const d = { kind, what: `finding ${base.check}`, key: base.name, detail };
    (mode === 'malformed' && kind === 'finding now unknown' ? allowed : defects).push(d);
  }
  for (const [key, mine] of run.findings) {
    if (baseline.findings.has(key)) continue;
    const unknown = mine.status === 'unknown';
    const d: Difference = {
      kind: unknown ? 'finding added, unknown' : 'finding added',
      what: `finding ${mine.check}`,
      key: mine.name,
      detail: `extra (${mine.status}): ${shorten(mine.reason)}`,
    };
    (mode === 'malformed' && unknown ? allowed : defects).push(d);
  }
  for (const [check, status] of baseline.checks) {
    const mine = run.checks.get(check);
    if (mine === status) continue;
    const tolerated = mode === 'malformed' && (mine === 'unknown' || mine === 'fail');
    const d = {
      kind: tolerated ? ('check now unknown or fail' as const) : ('check judged otherwise' as const),
      what: `check ${check}`,
      key: check,
      detail: `${status} → ${mine ?? 'absent'}`,
    };
    (tolerated ? allowed : defects).push(d);
  }
  return { evidenceRowsCompared, findingsCompared, defects, allowed };
}
