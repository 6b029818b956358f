import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHECKS, evaluateAllChecks } from './catalog.js';
import { checkEvidenceSchema, parseCheckEvidence } from './evidence.js';
import { aggregateStatus } from './result.js';
import { evidence, pullRequest, repository, user } from './test-support/evidence.js';

describe('aggregateStatus', () => {
  it.each([
    [['pass', 'unknown', 'fail'], 'fail'],
    [['pass', 'unknown', 'not_applicable'], 'unknown'],
    [['pass', 'not_applicable'], 'pass'],
    [['not_applicable'], 'not_applicable'],
    [[], 'not_applicable'],
  ] as const)('%j -> %s', (statuses, expected) => {
    expect(aggregateStatus(statuses.map((status) => ({ status })))).toBe(expected);
  });
});

describe('CHECKS', () => {
  it('lists the four checks in order, each with controls and a how-to-fix', () => {
    expect(CHECKS.map((c) => c.id)).toEqual([
      'codecommit-offboarded-user-access',
      'codecommit-user-mfa',
      'codecommit-branch-protection-admins',
      'codecommit-peer-review',
    ]);
    for (const c of CHECKS) {
      expect(c.controls.soc2.length).toBeGreaterThan(0);
      expect(c.controls.iso27001.length).toBeGreaterThan(0);
      expect(c.howToFix.length).toBeGreaterThan(100);
    }
  });

  it('are documented in CHECKS.md with their how-to-fix texts, word for word', () => {
    const doc = readFileSync(new URL('../../CHECKS.md', import.meta.url), 'utf8');
    for (const c of CHECKS) {
      expect(doc).toContain(`## ${CHECKS.indexOf(c) + 1}. \`${c.id}\``);
      expect(doc).toContain(c.howToFix);
    }
  });

  it('evaluates all checks with consistent counts and JSON-safe evidence', () => {
    const results = evaluateAllChecks(
      evidence({
        users: [user('alice')],
        repositories: [repository('app', { pullRequests: [pullRequest('1')] })],
      }),
    );
    expect(results.map((r) => [r.checkId, r.status])).toEqual([
      ['codecommit-offboarded-user-access', 'unknown'], // alice is not linked to a person
      ['codecommit-user-mfa', 'pass'],
      ['codecommit-branch-protection-admins', 'pass'],
      ['codecommit-peer-review', 'pass'],
    ]);
    for (const r of results) {
      const total = r.counts.pass + r.counts.fail + r.counts.unknown + r.counts.not_applicable;
      expect(total).toBe(r.findings.length);
      expect(JSON.parse(JSON.stringify(r.findings))).toEqual(r.findings);
    }
  });
});

describe('checkEvidenceSchema', () => {
  it('parses JSON evidence (ISO dates) back into evidence that evaluates the same', () => {
    const original = evidence({
      users: [user('alice')],
      repositories: [repository('app', { pullRequests: [pullRequest('1')] })],
    });
    const { auditWindowDays: _omitted, ...runWithoutWindow } = original.run;
    const parsed = parseCheckEvidence(JSON.parse(JSON.stringify({ ...original, run: runWithoutWindow })));
    expect(parsed.run.evaluatedAt).toEqual(original.run.evaluatedAt);
    expect(parsed.run.auditWindowDays).toBe(90);
    expect(evaluateAllChecks(parsed)).toEqual(evaluateAllChecks(original));
  });

  it('rejects malformed evidence', () => {
    expect(checkEvidenceSchema.safeParse({ run: {} }).success).toBe(false);
  });
});
