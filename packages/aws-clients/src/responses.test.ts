import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RESPONSE_SCHEMAS } from './responses/index.js';
import { branchName } from './responses/schema.js';

describe('response schemas', () => {
  it('every operation a reader calls has a schema', () => {
    const sources = ['codecommit.ts', 'iam.ts', 'credential-report.ts', 'role.ts'].map((f) =>
      readFileSync(new URL(`./${f}`, import.meta.url), 'utf8'),
    );
    const operations = new Set(
      sources.flatMap((s) => [...s.matchAll(/'((?:codecommit|iam|sts):[A-Z][A-Za-z]+)'/g)].map((m) => m[1]!)),
    );
    expect(operations.size).toBeGreaterThan(25);
    for (const op of operations) expect(RESPONSE_SCHEMAS[op], op).toBeDefined();
  });

  it('branch names as Git allows them', () => {
    for (const ok of ['main', 'feature/x-1', 'release/2026.11', 'a@b', 'ü-branch'])
      expect(branchName.safeParse(ok).success, ok).toBe(true);
    for (const bad of [
      '',
      'a b',
      'a..b',
      'a~1',
      'x^',
      'x:y',
      'x?',
      'x*',
      'x[',
      'x\\y',
      '/x',
      'x/',
      'x//y',
      'x.',
      '.x',
      'x/.y',
      'x.lock',
      'x@{1}',
      '@',
      'a\u0000b',
      'a\tb',
      'x'.repeat(257),
    ])
      expect(branchName.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});
