import { describe, expect, it } from 'vitest';
import { compare, type FindingSnapshot, namesGap, type Snapshot } from './compare.js';

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
});
