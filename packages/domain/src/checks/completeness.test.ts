import { describe, expect, it } from 'vitest';
import { unlessScopeMissing } from './completeness.js';
import type { SyncRunEvidence } from './evidence.js';
import type { Finding } from './result.js';

const run = (missing: { action: string; step: string }[] = []): SyncRunEvidence => ({
  syncRunId: 'run-1',
  accountId: '111122223333',
  region: 'us-east-1',
  evaluatedAt: new Date(0),
  completeness: { missingPermissions: missing, failedSteps: [] },
});

const finding = (status: Finding['status'], reason: string): Finding => ({
  resourceType: 'repository',
  resourceId: 'web-app',
  resourceName: 'web-app',
  status,
  reason,
  evidence: { syncRunId: 'run-1' },
});

const denied = run([{ action: 'iam:GetPolicyVersion', step: 'iam:users' }]);

describe('unlessScopeMissing', () => {
  it('leaves every finding as it is when the run has no gap in its scope', () => {
    for (const status of ['pass', 'fail', 'unknown', 'not_applicable'] as const) {
      const f = finding(status, 'Some reason.');
      expect(unlessScopeMissing(f, run(), ['iam:users'])).toBe(f);
      expect(unlessScopeMissing(f, denied, ['codecommit:repositories'])).toBe(f);
    }
  });

  it('turns a pass into unknown naming the gap and what the last evidence showed', () => {
    const out = unlessScopeMissing(finding('pass', 'Nobody may bypass review.'), denied, ['iam:users']);
    expect(out.status).toBe('unknown');
    expect(out.reason).toContain('missing permission iam:GetPolicyVersion (sync step iam:users)');
    expect(out.reason).toContain('would be a pass: Nobody may bypass review.');
    expect(out.evidence.statusOnLastKnownEvidence).toBe('pass');
  });

  it('keeps a fail as it is', () => {
    const f = finding('fail', 'Alice may push.');
    expect(unlessScopeMissing(f, denied, ['iam:users'])).toBe(f);
  });

  it('keeps an unknown unknown, and makes its reason name the gap, once', () => {
    const f = finding('unknown', 'Branch protection cannot be decided: some principals may bypass review.');
    const out = unlessScopeMissing(f, denied, ['iam:users']);
    expect(out.status).toBe('unknown');
    expect(out.reason).toBe(
      "Branch protection cannot be decided: some principals may bypass review. This run's data is incomplete: missing permission iam:GetPolicyVersion (sync step iam:users).",
    );
    expect(out.evidence.gaps).toEqual({
      missingPermissions: denied.completeness.missingPermissions,
      failedSteps: [],
    });
    expect(unlessScopeMissing(out, denied, ['iam:users'])).toBe(out);
  });
});
