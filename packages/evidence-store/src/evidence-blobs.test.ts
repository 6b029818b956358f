import { describe, expect, it } from 'vitest';
import {
  EvidenceCompactor,
  isEvidenceRef,
  MAX_FINDING_EVIDENCE_BYTES,
  REFERENCE_BYTES,
  referencedDigests,
  SHARED_REFERENCE_BYTES,
} from './evidence-blobs.js';

/** Resolves references from the compactor's own blobs (the store does the same from Postgres). */
function expand(value: unknown, blobs: Map<string, string>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (isEvidenceRef(value)) return expand(JSON.parse(blobs.get(value.$ref)!), blobs);
  if (Array.isArray(value)) return value.map((v) => expand(v, blobs));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v, blobs)]));
}

const statement = (i: number) => ({
  policy: `managed policy arn:aws:iam::111122223333:policy/p${i}`,
  source: { kind: 'managed', policyArn: `arn:aws:iam::111122223333:policy/p${i}` },
  index: 0,
  statement: {
    Effect: 'Allow',
    Action: ['codecommit:*'],
    Resource: '*',
    Condition: { Bool: { x: 'y'.repeat(200) } },
  },
});

describe('EvidenceCompactor', () => {
  it('stores a part that many findings share once, and each finding refers to it', () => {
    const grants = {
      actions: [{ action: 'codecommit:GitPush', decision: 'allow' }],
      statements: [0, 1, 2, 3].map(statement),
    };
    const principals = Array.from({ length: 500 }, (_, i) => ({
      arn: `arn:aws:iam::111122223333:user/user-${i}`,
      type: 'user',
      name: `user-${i}`,
      ...grants,
    }));
    const c = new EvidenceCompactor();
    const findings = Array.from({ length: 5 }, (_, i) => ({
      repositoryArn: `arn:aws:codecommit:us-east-1:111122223333:repo-${i}`,
      defaultBranch: 'main',
      principalsThatMayBypass: principals,
      principalsUndecided: [],
      at: new Date(0),
      skipped: undefined,
    }));
    const stored = findings.map((f) => c.compactFinding(f));
    for (const json of stored) expect(json.length).toBeLessThanOrEqual(MAX_FINDING_EVIDENCE_BYTES);
    // One blob for the statements, one for the principal list; principal entries are small enough
    // to stay inline in it.
    expect(c.blobs.size).toBe(2);
    for (const body of c.blobs.values()) expect(body.length).toBeGreaterThan(REFERENCE_BYTES);
    const first = JSON.parse(stored[0]!) as Record<string, unknown>;
    expect(first['defaultBranch']).toBe('main');
    expect(isEvidenceRef(first['principalsThatMayBypass'])).toBe(true);
    expect(referencedDigests([first])).toHaveLength(1);
    // Nothing is lost: expanding the references gives the evidence as JSON.stringify writes it.
    stored.forEach((json, i) => {
      expect(expand(JSON.parse(json), c.blobs)).toEqual(JSON.parse(JSON.stringify(findings[i])));
    });
  });

  it('keeps small evidence as it is, and digests follow content, not identity', () => {
    const c = new EvidenceCompactor();
    expect(c.compactFinding({ a: 1, b: [1, 2], c: null })).toBe(JSON.stringify({ a: 1, b: [1, 2], c: null }));
    const big = () => ({ list: Array.from({ length: 200 }, (_, i) => `item-${i}`) });
    c.compactFinding({ x: big() });
    c.compactFinding({ y: big() });
    expect(c.blobs.size).toBe(1);
  });

  it('bounds a finding made of many parts each below the reference size', () => {
    const c = new EvidenceCompactor();
    const evidence = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`k${i}`, { text: 'z'.repeat(REFERENCE_BYTES - 40), i }]),
    );
    const json = c.compactFinding(evidence);
    expect(json.length).toBeLessThanOrEqual(MAX_FINDING_EVIDENCE_BYTES);
    expect(expand(JSON.parse(json), c.blobs)).toEqual(evidence);
  });

  it('stores once a smaller part that several findings hold, and keeps inline one that a single finding holds', () => {
    // A user's credential-report row is in both of the user's user checks: the same object.
    const row = (i: number) =>
      Object.fromEntries(
        Array.from({ length: 20 }, (_, k) => [`field_${k}`, `value-${i}-${k}`.padEnd(30, '.')]),
      );
    const rows = [0, 1, 2].map(row);
    for (const r of rows) {
      expect(JSON.stringify(r).length).toBeGreaterThan(SHARED_REFERENCE_BYTES);
      expect(JSON.stringify(r).length).toBeLessThan(REFERENCE_BYTES);
    }
    const mfa = rows.map((r, i) => ({ mfaActive: i % 2 === 0, credentialReportRow: r }));
    const offboarded = rows.slice(0, 2).map((r) => ({ link: null, credentialReportRow: r }));
    const c = new EvidenceCompactor();
    for (const e of [...mfa, ...offboarded]) c.noteShared(e);
    const stored = [...mfa, ...offboarded].map(
      (e) => JSON.parse(c.compactFinding(e)) as Record<string, unknown>,
    );
    // Rows 0 and 1 are held by two findings each: one blob each, referenced by both; row 2 by one.
    expect(c.blobs.size).toBe(2);
    expect(stored[0]!['credentialReportRow']).toEqual(stored[3]!['credentialReportRow']);
    expect(isEvidenceRef(stored[1]!['credentialReportRow'])).toBe(true);
    expect(stored[2]!['credentialReportRow']).toEqual(rows[2]);
    stored.forEach((json, i) => {
      expect(expand(json, c.blobs)).toEqual([...mfa, ...offboarded][i]);
    });
  });
});
