import { describe, expect, it } from 'vitest';
import { compare, type FindingSnapshot, isWithheld, namesGap, type Snapshot } from './compare.js';

const GAP = 'codecommit:pull-requests:web-app';

const finding = (over: Partial<FindingSnapshot> & { resource: string }): FindingSnapshot => ({
  check: 'codecommit-peer-review',
  name: over.resource,
  status: 'pass',
  reason: 'every merged pull request was approved',
  evidence: '{}',
  ...over,
});

/** A snapshot with one evidence table, findings by resource, and the checks' statuses. */
function snap(input: {
  rows?: Record<string, object>;
  findings?: FindingSnapshot[];
  checks?: Record<string, string>;
  gaps?: string[];
  closed?: number;
}): Snapshot {
  return {
    evidence: {
      pull_requests: new Map(Object.entries(input.rows ?? {}).map(([k, v]) => [k, JSON.stringify(v)])),
    },
    closedVersions: { pull_requests: input.closed ?? 0 },
    findings: new Map(
      (input.findings ?? []).map((f) => [`${f.check} | repository | ${f.resource}`, f] as const),
    ),
    checks: new Map(Object.entries(input.checks ?? { 'codecommit-peer-review': 'pass' })),
    problems: (input.gaps ?? []).map((step) => ({
      step,
      kind: 'error',
      code: 'aws_response_invalid',
      action: 'codecommit:GetPullRequestApprovalStates',
      resource: 'web-app',
      message: 'invalid',
    })),
    runStatus: 'succeeded',
    partial: false,
  };
}

const baseline = snap({
  rows: { '1': { id: '1', evaluation: { approved: true } }, '2': { id: '2', evaluation: null } },
  findings: [finding({ resource: 'web-app' }), finding({ resource: 'api', status: 'fail', reason: 'PR 3' })],
});
const unknownNaming = finding({
  resource: 'web-app',
  status: 'unknown',
  reason: `web-app cannot be judged on this run's data: sync step ${GAP} failed: invalid. On the last known evidence it would be a pass: …`,
});

describe('the chaos comparison rule', () => {
  it('exact: the baseline compared with itself has no difference, and any difference is a defect', () => {
    expect(compare(baseline, baseline, 'exact')).toMatchObject({ defects: [], allowed: [] });
    const run = snap({ rows: { '1': { id: '1', evaluation: { approved: true } } } });
    const got = compare(baseline, { ...run, findings: baseline.findings }, 'exact');
    expect(got.defects.map((d) => d.kind)).toEqual(['evidence withheld']);
  });

  it("malformed: the scope's finding turned unknown naming the gap, and its evidence withheld, are allowed", () => {
    const run = snap({
      rows: { '1': { id: '1', evaluation: null } },
      findings: [unknownNaming, finding({ resource: 'api', status: 'fail', reason: 'PR 3' })],
      checks: { 'codecommit-peer-review': 'pass' },
      gaps: [GAP],
    });
    run.checks.set('codecommit-peer-review', 'pass');
    const got = compare(baseline, run, 'malformed');
    expect(got.defects).toEqual([]);
    expect(got.allowed.map((d) => d.kind).sort()).toEqual([
      'evidence withheld',
      'evidence withheld',
      'finding now unknown, naming the gap',
    ]);
  });

  it('malformed: an unknown that names no recorded gap, or another gap, is a defect', () => {
    for (const reason of ['web-app cannot be judged: something', 'sync step iam:ssh-keys failed: x']) {
      const run = snap({
        rows: Object.fromEntries([...baseline.evidence.pull_requests!].map(([k, v]) => [k, JSON.parse(v)])),
        findings: [
          { ...unknownNaming, reason },
          finding({ resource: 'api', status: 'fail', reason: 'PR 3' }),
        ],
        gaps: [GAP],
      });
      expect(
        compare(baseline, run, 'malformed').defects.map((d) => d.kind),
        reason,
      ).toEqual(['finding now unknown, not naming a gap']);
    }
  });

  it('malformed: without a recorded gap nothing is allowed', () => {
    const run = snap({
      rows: {},
      findings: [unknownNaming, finding({ resource: 'api', status: 'fail', reason: 'PR 3' })],
    });
    const kinds = compare(baseline, run, 'malformed').defects.map((d) => d.kind);
    expect(kinds).toContain('evidence withheld');
    expect(kinds).toContain('finding now unknown, not naming a gap');
  });

  it('malformed: a finding absent, judged otherwise or with a changed reason, and a changed or added row, are defects', () => {
    const run = snap({
      rows: {
        '1': { id: '1', evaluation: { approved: false } },
        '2': { id: '2', evaluation: null },
        '9': {},
      },
      findings: [finding({ resource: 'web-app', status: 'fail', reason: `sync step ${GAP} failed` })],
      gaps: [GAP],
      closed: 1,
    });
    const kinds = compare(baseline, run, 'malformed')
      .defects.map((d) => d.kind)
      .sort();
    expect(kinds).toEqual([
      'evidence added',
      'evidence changed',
      'finding absent',
      'finding judged otherwise',
      'versions closed',
    ]);
    const sameStatus = snap({
      rows: Object.fromEntries([...baseline.evidence.pull_requests!].map(([k, v]) => [k, JSON.parse(v)])),
      findings: [
        baseline.findings.values().next().value!,
        finding({ resource: 'api', status: 'fail', reason: 'PR 3 and 4' }),
      ],
      gaps: [GAP],
    });
    expect(compare(baseline, sameStatus, 'malformed').defects.map((d) => d.kind)).toEqual([
      'finding detail changed',
    ]);
  });

  it('malformed: an added finding is allowed only as an unknown naming the gap; a check only to unknown', () => {
    const rows = Object.fromEntries(
      [...baseline.evidence.pull_requests!].map(([k, v]) => [k, JSON.parse(v)]),
    );
    const account = finding({
      check: 'codecommit-branch-protection-admins',
      resource: '111122223333',
      status: 'unknown',
      reason: `The repository inventory of this run may be incomplete: sync step ${GAP} failed: x.`,
    });
    const run = snap({ rows, findings: [...baseline.findings.values(), account], gaps: [GAP] });
    run.checks.set('codecommit-peer-review', 'unknown');
    const got = compare(baseline, run, 'malformed');
    expect(got.defects).toEqual([]);
    expect(got.allowed.map((d) => d.kind).sort()).toEqual([
      'check now unknown',
      'finding added, unknown naming the gap',
    ]);
    run.findings.set('x | repository | y', finding({ resource: 'y', status: 'pass' }));
    run.checks.set('codecommit-peer-review', 'fail');
    expect(
      compare(baseline, run, 'malformed')
        .defects.map((d) => d.kind)
        .sort(),
    ).toEqual(['check judged otherwise', 'finding added']);
  });

  it('a scope is named only as a whole word', () => {
    expect(namesGap('sync step iam:users failed: x', new Set(['iam:users']))).toBe(true);
    expect(namesGap('no data from sync step iam:users', new Set(['iam:users']))).toBe(true);
    expect(namesGap('sync step iam:users-x failed', new Set(['iam:users']))).toBe(false);
    expect(
      namesGap(
        'missing permission a (sync step codecommit:pull-requests:web)',
        new Set(['codecommit:pull-requests:web']),
      ),
    ).toBe(true);
    expect(
      namesGap(
        'sync step codecommit:pull-requests:web-app failed',
        new Set(['codecommit:pull-requests:web']),
      ),
    ).toBe(false);
  });

  describe('a finding that stays fail', () => {
    const SSH = 'iam:ssh-keys';
    const failing = (over: Partial<FindingSnapshot> = {}) =>
      finding({
        check: 'codecommit-offboarded-user-access',
        resource: 'frank',
        status: 'fail',
        reason: 'frank still has CodeCommit access with an active access key 1 and an active SSH key K.',
        evidence: JSON.stringify({
          credentialReportRow: { access_key_1_active: 'true' },
          usableCredentials: ['active access key 1', 'active SSH key K'],
          access: { level: 'write' },
        }),
        ...over,
      });
    const withBaseline = (base: FindingSnapshot, mine: FindingSnapshot, gaps = [SSH]) =>
      compare(snap({ findings: [base] }), snap({ findings: [mine], gaps }), 'malformed');
    const kept = {
      credentialReportRow: { access_key_1_active: 'true' },
      usableCredentials: ['active access key 1'],
      access: { level: 'write' },
      credentialsNotCollected: [`SSH public keys (sync step ${SSH} failed: invalid)`],
      gaps: { failedSteps: [{ step: SSH, reason: 'invalid' }], missingPermissions: [] },
    };
    const namingReason = `frank still has CodeCommit access with an active access key 1; not collected: SSH public keys (sync step ${SSH} failed: invalid).`;

    it('is allowed when the failing evidence was collected: reason names the gap, its part withheld', () => {
      const got = withBaseline(failing(), failing({ reason: namingReason, evidence: JSON.stringify(kept) }));
      expect(got.defects).toEqual([]);
      expect(got.allowed.map((d) => d.kind)).toEqual(['finding still fail, naming the gap']);
    });

    it('is a difference when the reason does not name the gap', () => {
      const got = withBaseline(
        failing(),
        failing({
          reason: 'frank still has CodeCommit access with an active access key 1.',
          evidence: JSON.stringify(kept),
        }),
      );
      expect(got.defects.map((d) => d.kind)).toEqual(['finding detail changed']);
    });

    it('is a difference when its evidence was rewritten, added to, or names a gap not recorded', () => {
      const cases: Record<string, unknown>[] = [
        // a value changed (the access level read from a malformed answer)
        { ...kept, access: { level: 'admin' } },
        // a credential the baseline never had
        { ...kept, usableCredentials: ['active access key 1', 'active access key 2'] },
        // a member that is not an undecided one
        { ...kept, note: 'x' },
        // gaps naming a step the run recorded nothing on
        { ...kept, gaps: { failedSteps: [{ step: 'iam:git-credentials', reason: 'x' }] } },
        // credentials not collected, naming no recorded gap
        { ...kept, credentialsNotCollected: ['SSH public keys'] },
      ];
      for (const evidence of cases) {
        const got = withBaseline(
          failing(),
          failing({ reason: namingReason, evidence: JSON.stringify(evidence) }),
        );
        expect(
          got.defects.map((d) => d.kind),
          JSON.stringify(evidence),
        ).toEqual(['finding detail changed']);
      }
    });

    it('is a difference without a recorded gap', () => {
      const got = withBaseline(
        failing(),
        failing({ reason: namingReason, evidence: JSON.stringify(kept) }),
        [],
      );
      expect(got.defects.map((d) => d.kind)).toEqual(['finding detail changed']);
    });
  });

  it('a pass or not_applicable that changed at all is a difference, even with the gap named', () => {
    for (const status of ['pass', 'not_applicable']) {
      const base = finding({ resource: 'web-app', status, evidence: JSON.stringify({ a: 1, b: [1] }) });
      for (const mine of [
        { ...base, evidence: JSON.stringify({ a: 1, b: [1], gaps: { failedSteps: [{ step: GAP }] } }) },
        { ...base, evidence: JSON.stringify({ a: null, b: [1] }) },
        { ...base, reason: `${base.reason}; sync step ${GAP} failed` },
      ]) {
        const got = compare(snap({ findings: [base] }), snap({ findings: [mine], gaps: [GAP] }), 'malformed');
        expect(
          got.defects.map((d) => d.kind),
          `${status} ${mine.evidence}`,
        ).toEqual(['finding still pass or not applicable, changed']);
      }
    }
  });

  it('withheld: members null or absent, lists as subsets; nothing changed or added', () => {
    const before = { a: 1, list: [{ x: 1 }, { x: 2 }], nested: { y: 'v', z: [1, 2] } };
    expect(isWithheld(before, { a: null, list: [{ x: 2 }], nested: { z: [2] } })).toBe(true);
    expect(isWithheld(before, { ...before, list: [{ x: 2 }, { x: 2 }] })).toBe(false);
    expect(isWithheld(before, { ...before, list: [{ x: 3 }] })).toBe(false);
    expect(isWithheld(before, { ...before, nested: { y: 'w' } })).toBe(false);
    expect(isWithheld(before, { ...before, gaps: { failedSteps: [{ step: GAP }] } })).toBe(false);
    const top = { gaps: new Set([GAP]), baselineText: JSON.stringify(before) };
    expect(isWithheld(before, { ...before, gaps: { failedSteps: [{ step: GAP }] } }, top)).toBe(true);
    expect(isWithheld(before, { ...before, gaps: { failedSteps: [] } }, top)).toBe(false);
    expect(isWithheld(before, { ...before, principalsUndecided: [{ x: 1 }] }, top)).toBe(true);
    expect(isWithheld(before, { ...before, principalsUndecided: [{ x: 9 }] }, top)).toBe(false);
  });
});
