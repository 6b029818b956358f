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
  | 'finding now unknown, naming the gap'
  | 'finding now unknown, not naming a gap'
  | 'finding judged otherwise'
  | 'finding still fail, naming the gap'
  | 'finding still pass or not applicable, changed'
  | 'finding detail changed'
  | 'finding absent'
  | 'finding added, unknown naming the gap'
  | 'finding added'
  | 'check now unknown'
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
  /** Differences the rule allows (a malformed scope's findings as unknown naming it, its evidence withheld). */
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

/** The scopes (sync steps) a run recorded a gap on: a missing permission or an error. */
export function gapScopes(run: Pick<Snapshot, 'problems'>): Set<string> {
  return new Set(
    run.problems.filter((p) => p.kind === 'error' || p.kind === 'missing_permission').map((p) => p.step),
  );
}

/**
 * Whether a finding's reason names one of the gaps: the domain's missing-data rule says "sync step
 * <scope> failed: …", "missing permission … (sync step <scope>)" or "no data from sync step <scope>"
 * (packages/domain `describeGaps`). The scope must be followed by a character no scope holds, so
 * `iam:users` is not named by `iam:users-x`.
 */
export function namesGap(reason: string, gaps: ReadonlySet<string>): boolean {
  for (const scope of gaps) {
    const at = reason.indexOf(`sync step ${scope}`);
    if (at < 0) continue;
    const next = reason[at + 'sync step '.length + scope.length];
    if (next === undefined || !/[\w:.-]/.test(next)) return true;
  }
  return false;
}

/**
 * Whether a run's row is the baseline's with some members withheld: every member equal, except ones
 * that are null in the run (not collected: a faulted scope's part of a row, such as `ssh_public_keys`).
 */
function withheldMembers(base: string, mine: string): string[] | undefined {
  const a = JSON.parse(base) as Record<string, unknown>;
  const b = JSON.parse(mine) as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const nulled: string[] = [];
  for (const k of keys) {
    if (JSON.stringify(a[k] ?? null) === JSON.stringify(b[k] ?? null)) continue;
    if (b[k] === null || b[k] === undefined) nulled.push(k);
    else return undefined;
  }
  return nulled;
}

/** One member that differs between two JSON values: its path, and its value in each (undefined: absent). */
export interface MemberChange {
  path: string;
  before: unknown;
  after: unknown;
}

/** Where two JSON values differ, member by member (arrays by index), down to the leaves. */
export function jsonChanges(before: unknown, after: unknown, path = ''): MemberChange[] {
  const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object';
  if (isObject(before) && isObject(after) && Array.isArray(before) === Array.isArray(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].flatMap((k) => jsonChanges(before[k], after[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path: path || '(whole)', before, after }];
}

const describeChanges = (changes: MemberChange[]) =>
  changes
    .map(
      (c) =>
        `${c.path}: ${shorten(JSON.stringify(c.before) ?? 'absent', 80)} → ${shorten(JSON.stringify(c.after) ?? 'absent', 80)}`,
    )
    .join('; ');

/**
 * Members a finding's evidence gains when data is missing, saying what is undecided and why: `gaps`
 * (the recorded gaps, by step), `credentialsNotCollected` (which credentials, naming their step) and
 * `principalsUndecided` (principals that may or may not bypass review, moved out of the decided list).
 */
const UNDECIDED_MEMBERS = new Set(['gaps', 'credentialsNotCollected', 'principalsUndecided']);

/**
 * Whether `after` is `before` with parts withheld and nothing else: each member equal, or null or
 * absent (not collected), or itself withheld; a list keeps a subset of its elements (each equal to one
 * of the baseline's, none twice); no value changed, no member added. At the top of a finding's
 * evidence (`top`) the undecided members may be added: `gaps` naming only recorded gap steps,
 * `credentialsNotCollected` each naming one, `principalsUndecided` of principals the baseline listed.
 */
export function isWithheld(
  before: unknown,
  after: unknown,
  top?: { gaps: ReadonlySet<string>; baselineText: string },
): boolean {
  if (after === null || after === undefined) return true;
  if (JSON.stringify(before) === JSON.stringify(after)) return true;
  if (Array.isArray(before) && Array.isArray(after)) {
    const left = before.map((x) => JSON.stringify(x));
    return after.every((x) => {
      const i = left.indexOf(JSON.stringify(x));
      if (i < 0) return false;
      left.splice(i, 1);
      return true;
    });
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    !!v && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(before) || !isObject(after)) return false;
  return Object.keys(after).every((k) => {
    if (Object.hasOwn(before, k)) return isWithheld(before[k], after[k]);
    if (!top || !UNDECIDED_MEMBERS.has(k)) return false;
    const value = after[k];
    if (k === 'gaps') {
      const g = value as { failedSteps?: { step: string }[]; missingPermissions?: { step: string }[] };
      const steps = [...(g.failedSteps ?? []), ...(g.missingPermissions ?? [])].map((x) => x.step);
      return steps.length > 0 && steps.every((step) => top.gaps.has(step));
    }
    if (k === 'credentialsNotCollected')
      return Array.isArray(value) && value.every((x) => typeof x === 'string' && namesGap(x, top.gaps));
    // principalsUndecided: each one listed in the baseline's evidence (moved there, not invented).
    return Array.isArray(value) && value.every((x) => top.baselineText.includes(JSON.stringify(x)));
  });
}

/**
 * The judgement of a chaos run against the baseline.
 *
 * `exact` (crashes, 5xx, throttling): every evidence row and every finding as the baseline's; any
 * difference is a defect.
 *
 * `malformed` (one operation answered invalid): the differences allowed are exactly the malformed
 * scope's:
 * - its evidence withheld: a row absent, or members of a row null (not collected); never a changed
 *   value, an added row or a closed version;
 * - its findings turned `unknown` with a reason that names a scope the run recorded a gap on (an
 *   account-level unknown naming it may be added; a check may turn `unknown`);
 * - a finding that stays `fail` (a fail is never a false pass) ONLY when the failing evidence itself
 *   was collected: its reason names a recorded gap, and its evidence is the baseline's with the gap's
 *   part withheld and nothing rewritten (`isWithheld`: members null or absent, lists kept as subsets,
 *   only the undecided members added — a user still failing on the active access key of the credential
 *   report while the SSH key listing was malformed).
 * Everything else is a defect: a finding absent (missing data never makes a finding vanish), judged
 * otherwise; a `pass` or `not_applicable` whose reason or evidence changed (the change shows it rests on
 * the missing scope, or else it changed without depending on it: both wrong); a `fail` whose reason
 * does not name the gap or whose evidence was rewritten; an `unknown` explained otherwise without naming
 * a gap; a check whose status moved anywhere but to `unknown`. Without a recorded gap nothing is allowed.
 */
export function compare(baseline: Snapshot, run: Snapshot, mode: 'exact' | 'malformed'): Comparison {
  const defects: Difference[] = [];
  const allowed: Difference[] = [];
  const gaps = mode === 'malformed' ? gapScopes(run) : new Set<string>();
  const tolerant = gaps.size > 0;
  let evidenceRowsCompared = 0;
  for (const [table, base] of Object.entries(baseline.evidence)) {
    const mine = run.evidence[table] ?? new Map<string, string>();
    for (const [key, content] of base) {
      evidenceRowsCompared++;
      const other = mine.get(key);
      if (other === undefined) {
        const d = { kind: 'evidence withheld' as const, what: `evidence ${table}`, key, detail: 'missing' };
        (tolerant ? allowed : defects).push(d);
        continue;
      }
      if (other === content) continue;
      const nulled = tolerant ? withheldMembers(content, other) : undefined;
      if (nulled) {
        allowed.push({
          kind: 'evidence withheld',
          what: `evidence ${table}`,
          key,
          detail: `not collected: ${nulled.join(', ')}`,
        });
        continue;
      }
      defects.push({
        kind: 'evidence changed',
        what: `evidence ${table}`,
        key,
        detail: `content differs: ${shorten(content)} vs ${shorten(other)}`,
      });
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
      defects.push({
        kind: 'finding absent',
        what: `finding ${base.check}`,
        key: base.name,
        detail: `missing (was ${base.status})`,
      });
      continue;
    }
    if (mine.status === base.status && mine.reason === base.reason && mine.evidence === base.evidence)
      continue;
    const evidenceChanges = jsonChanges(JSON.parse(base.evidence), JSON.parse(mine.evidence));
    const detail = [
      mine.status !== base.status ? `${base.status} → ${mine.status}: ${shorten(mine.reason)}` : '',
      mine.status === base.status && mine.reason !== base.reason
        ? `reason: ${shorten(base.reason)} → ${shorten(mine.reason)}`
        : '',
      evidenceChanges.length ? `evidence: ${describeChanges(evidenceChanges)}` : '',
    ]
      .filter(Boolean)
      .join(' | ');
    const what = `finding ${base.check}`;
    if (mine.status === 'unknown' && (mine.status !== base.status || mine.reason !== base.reason)) {
      // Turned unknown (or, unknown already, now says which gap): allowed only naming a recorded gap.
      const named = tolerant && namesGap(mine.reason, gaps);
      const kind = named ? 'finding now unknown, naming the gap' : 'finding now unknown, not naming a gap';
      (named ? allowed : defects).push({ kind, what, key: base.name, detail });
      continue;
    }
    if (
      tolerant &&
      base.status === 'fail' &&
      mine.status === 'fail' &&
      namesGap(mine.reason, gaps) &&
      isWithheld(JSON.parse(base.evidence), JSON.parse(mine.evidence), {
        gaps,
        baselineText: base.evidence,
      })
    ) {
      // Still failing on evidence that was collected (a fail is never a false pass); what the gap took
      // is withheld and named in the reason, nothing was rewritten.
      allowed.push({ kind: 'finding still fail, naming the gap', what, key: base.name, detail });
      continue;
    }
    const kind: DifferenceKind =
      mine.status !== base.status
        ? 'finding judged otherwise'
        : mine.status === 'pass' || mine.status === 'not_applicable'
          ? 'finding still pass or not applicable, changed'
          : 'finding detail changed';
    defects.push({ kind, what, key: base.name, detail });
  }
  for (const [key, mine] of run.findings) {
    if (baseline.findings.has(key)) continue;
    const named = tolerant && mine.status === 'unknown' && namesGap(mine.reason, gaps);
    (named ? allowed : defects).push({
      kind: named ? 'finding added, unknown naming the gap' : 'finding added',
      what: `finding ${mine.check}`,
      key: mine.name,
      detail: `extra (${mine.status}): ${shorten(mine.reason)}`,
    });
  }
  for (const [check, status] of baseline.checks) {
    const mine = run.checks.get(check);
    if (mine === status) continue;
    // A check follows its findings: with each difference above judged, only "now unknown" can be right.
    const ok = tolerant && mine === 'unknown';
    (ok ? allowed : defects).push({
      kind: ok ? 'check now unknown' : 'check judged otherwise',
      what: `check ${check}`,
      key: check,
      detail: `${status} → ${mine ?? 'absent'}`,
    });
  }
  return { evidenceRowsCompared, findingsCompared, defects, allowed };
}
