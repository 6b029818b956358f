import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Findings of bounded size. Evidence that many findings share (a group's grants, the statements of a
 * policy, the list of principals that may bypass review on a class of repositories) would otherwise be
 * copied into every finding: repositories × principals. `EvidenceCompactor` stores every part of a
 * finding's evidence whose JSON is larger than `REFERENCE_BYTES` once, under the SHA-256 of that JSON,
 * and leaves `{"$ref": "sha256:…"}` in its place (bottom-up, so a shared part inside a large part is
 * itself a reference). A smaller part, from `SHARED_REFERENCE_BYTES`, is stored so too when more
 * than one finding of the check run holds it (the same object: a user's credential-report row is in
 * both of the user's user checks, ~800 bytes twice per IAM user). The finding keeps its own top
 * level, so its shape stays what CHECKS.md says, and it never exceeds `MAX_FINDING_EVIDENCE_BYTES`.
 */
export const REFERENCE_BYTES = 1024;
/**
 * A shared part smaller than this stays inline: a blob row (digest, key, index entry) costs about
 * 200 bytes, and each reference to it about 80.
 */
export const SHARED_REFERENCE_BYTES = 512;
export const MAX_FINDING_EVIDENCE_BYTES = 16 * 1024;
const REF_KEY = '$ref';
const PREFIX = 'sha256:';

export type EvidenceRef = { $ref: string };

export function isEvidenceRef(value: unknown): value is EvidenceRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const ref = (value as Record<string, unknown>)[REF_KEY];
  return typeof ref === 'string' && ref.startsWith(PREFIX) && Object.keys(value).length === 1;
}

interface Compacted {
  /** The JSON text of the compacted value (as JSON.stringify writes it). */
  json: string;
  /** When the value was stored as a blob: the reference that stands for it. */
  ref?: string;
}

const digestOf = (json: string) => `${PREFIX}${createHash('sha256').update(json).digest('hex')}`;
const refJson = (ref: string) => `{"${REF_KEY}":${JSON.stringify(ref)}}`;

export class EvidenceCompactor {
  /** Blobs collected so far: digest -> JSON text. */
  readonly blobs = new Map<string, string>();
  // Shared objects (the evaluator hands the same grant evidence to thousands of findings) are
  // serialised and hashed once.
  private readonly seen = new WeakMap<object, Compacted>();
  // How many times each object is reached from the findings `noteShared` was given (an object is
  // looked into the first time only: what it holds is stored with it).
  private readonly holders = new WeakMap<object, number>();

  /**
   * Notes the objects in one finding's evidence, so that `compactFinding` can tell the parts that
   * several findings share. Give it every finding of the check run before compacting any.
   */
  noteShared(evidence: unknown): void {
    if (evidence === null || typeof evidence !== 'object') return;
    for (const v of Object.values(evidence)) this.note(v);
  }

  private note(value: unknown): void {
    if (value === null || typeof value !== 'object') return;
    const n = this.holders.get(value) ?? 0;
    this.holders.set(value, n + 1);
    if (n > 0 || typeof (value as { toJSON?: unknown }).toJSON === 'function') return;
    for (const v of Object.values(value)) this.note(v);
  }

  /** The compacted JSON text of one finding's evidence. */
  compactFinding(evidence: unknown): string {
    const top = this.toJson(evidence, true);
    if (top.json.length <= MAX_FINDING_EVIDENCE_BYTES) return top.json;
    // Many small parts can still add up: store the top level itself; the finding holds its reference.
    return refJson(this.store(top.json));
  }

  private store(json: string): string {
    const ref = digestOf(json);
    if (!this.blobs.has(ref)) this.blobs.set(ref, json);
    return ref;
  }

  private part(value: unknown): string {
    const c = this.toJson(value, false);
    return c.ref ? refJson(c.ref) : c.json;
  }

  private toJson(value: unknown, top: boolean): Compacted {
    if (value === null || typeof value !== 'object') return { json: JSON.stringify(value) ?? 'null' };
    const known = top ? undefined : this.seen.get(value);
    if (known) return known;
    const withToJson = value as { toJSON?: () => unknown };
    let json: string;
    if (typeof withToJson.toJSON === 'function') {
      json = JSON.stringify(withToJson.toJSON()) ?? 'null';
    } else if (Array.isArray(value)) {
      json = `[${value.map((v) => (v === undefined || typeof v === 'function' ? 'null' : this.part(v))).join(',')}]`;
    } else {
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined || typeof v === 'function') continue;
        parts.push(`${JSON.stringify(k)}:${this.part(v)}`);
      }
      json = `{${parts.join(',')}}`;
    }
    const shared = json.length > SHARED_REFERENCE_BYTES && (this.holders.get(value) ?? 0) > 1;
    const result: Compacted =
      !top && (json.length > REFERENCE_BYTES || shared) ? { json, ref: this.store(json) } : { json };
    // Only an object that several findings hold is reached again: keeping every part's JSON would hold
    // each finding's evidence once per level of nesting until the check run is written (at 10x, most
    // of the evaluator's memory while it writes).
    if (!top && (this.holders.get(value) ?? 0) > 1) this.seen.set(value, result);
    return result;
  }
}

function collectRefs(value: unknown, into: Set<string>): void {
  if (value === null || typeof value !== 'object') return;
  if (isEvidenceRef(value)) {
    into.add(value.$ref);
    return;
  }
  for (const v of Array.isArray(value) ? value : Object.values(value)) collectRefs(v, into);
}

function substitute(value: unknown, bodies: Map<string, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (isEvidenceRef(value)) return bodies.has(value.$ref) ? bodies.get(value.$ref) : value;
  if (Array.isArray(value)) return value.map((v) => substitute(v, bodies));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, bodies)]));
}

/** The bodies of some blobs of a connection, by digest. */
export async function getEvidenceBlobs(
  db: Kysely<Database>,
  connectionId: string,
  digests: readonly string[],
): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for (let i = 0; i < digests.length; i += 500) {
    const rows = await db
      .selectFrom('check_evidence_blobs')
      .select(['digest', 'body'])
      .where('connection_id', '=', connectionId)
      .where('digest', 'in', digests.slice(i, i + 500))
      .execute();
    for (const r of rows) out.set(r.digest, r.body);
  }
  return out;
}

/**
 * Replaces references in `values` by what they stand for, `depth` levels deep (Infinity: all of it).
 * A reference whose blob is missing is left as it is.
 */
export async function resolveEvidenceRefs<T>(
  db: Kysely<Database>,
  connectionId: string,
  values: T[],
  depth: number,
): Promise<T[]> {
  let current: unknown[] = values;
  for (let level = 0; level < depth; level++) {
    const refs = new Set<string>();
    for (const v of current) collectRefs(v, refs);
    if (refs.size === 0) break;
    const bodies = await getEvidenceBlobs(db, connectionId, [...refs]);
    if (bodies.size === 0) break;
    current = current.map((v) => substitute(v, bodies));
  }
  return current as T[];
}

/** The digests referenced anywhere in `values` (one level: what they hold directly). */
export function referencedDigests(values: readonly unknown[]): string[] {
  const refs = new Set<string>();
  for (const v of values) collectRefs(v, refs);
  return [...refs];
}
