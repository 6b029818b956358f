import { describe, expect, it } from 'vitest';
import type { PullRequestEvidence } from './evidence.js';
import { evaluatePeerReview } from './peer-review.js';
import { IdentityResolver } from './principals.js';
import {
  daysAgo,
  evidence,
  pullRequest,
  repository,
  sessionArn,
  template,
  user,
  userArn,
} from './test-support/evidence.js';

function run(pullRequests: PullRequestEvidence[] | null, extra: Parameters<typeof evidence>[0] = {}) {
  return evaluatePeerReview(evidence({ repositories: [repository('app', { pullRequests })], ...extra }));
}

describe('codecommit-peer-review', () => {
  it('passes when every merged pull request was approved on its final revision by someone else', () => {
    const result = run([pullRequest('1'), pullRequest('2')]);
    expect(result.status).toBe('pass');
    expect(result.findings[0]!.reason).toBe(
      'Approval rule template require-review requires 1 approval on refs/heads/main in repository app, and all 2 pull requests merged into it in the last 90 days were approved on their final revision by someone other than their author.',
    );
    expect(result.findings[0]!.evidence['reviewedPullRequests']).toEqual([
      expect.objectContaining({ id: '1', approvedBy: [userArn('bob')] }),
      expect.objectContaining({ id: '2', approvedBy: [userArn('bob')] }),
    ]);
  });

  it('fails a pull request approved only on an earlier revision', () => {
    const result = run([
      pullRequest('7', {
        revisionId: 'rev-2',
        approvals: [{ revisionId: 'rev-1', userArn: userArn('bob'), state: 'APPROVE' }],
      }),
    ]);
    expect(result.status).toBe('fail');
    expect(result.findings[0]!.reason).toBe(
      'In repository app, 1 of 1 pull requests merged into refs/heads/main in the last 90 days were not peer reviewed: pull request 7 (approved only on an earlier revision (rev-1), not on its final revision rev-2).',
    );
    expect(result.findings[0]!.evidence['offendingPullRequests']).toEqual([
      expect.objectContaining({
        id: '7',
        approvals: [{ revisionId: 'rev-1', userArn: userArn('bob'), state: 'APPROVE' }],
      }),
    ]);
  });

  it("fails a pull request approved by the author's other role session", () => {
    const pr = pullRequest('8', {
      authorArn: sessionArn('Dev', 'alice'),
      approvals: [{ revisionId: 'rev-8-2', userArn: sessionArn('Admin', 'alice'), state: 'APPROVE' }],
    });
    const result = run([pr]);
    expect(result.status).toBe('fail');
    expect(result.findings[0]!.reason).toContain(
      `approved on its final revision only by the author (${sessionArn('Admin', 'alice')}, another session of the author)`,
    );
  });

  it('treats an IAM user and a role session with the same name as one person', () => {
    const result = run([
      pullRequest('9', {
        authorArn: userArn('alice'),
        approvals: [{ revisionId: 'rev-9-2', userArn: sessionArn('Admin', 'Alice'), state: 'APPROVE' }],
      }),
    ]);
    expect(result.status).toBe('fail');
  });

  it('treats two IAM users linked to the same person as one person', () => {
    const result = run(
      [
        pullRequest('10', {
          authorArn: userArn('alice'),
          approvals: [{ revisionId: 'rev-10-2', userArn: userArn('alice-admin'), state: 'APPROVE' }],
        }),
      ],
      {
        people: [{ email: 'alice@example.com', name: 'Alice', status: 'active', offboardedAt: null }],
        users: [user('alice', { tags: { email: 'alice@example.com' } }), user('alice-admin')],
        identityLinks: [{ iamUserArn: userArn('alice-admin'), personEmail: 'alice@example.com' }],
      },
    );
    expect(result.status).toBe('fail');
  });

  it('fails a pull request whose approval rules were overridden, naming who overrode them', () => {
    const result = run([
      pullRequest('11', {
        approvals: [],
        evaluation: {
          approved: true,
          overridden: true,
          approvalRulesSatisfied: [],
          approvalRulesNotSatisfied: ['require-review'],
        },
        override: { overridden: true, overrider: sessionArn('Admin', 'carol') },
      }),
    ]);
    expect(result.status).toBe('fail');
    expect(result.findings[0]!.reason).toContain(
      `pull request 11 (no approval by anyone other than its author; its approval rules were overridden by ${sessionArn('Admin', 'carol')})`,
    );
  });

  it('fails an overridden pull request even when it also had a peer approval', () => {
    const result = run([pullRequest('12', { override: { overridden: true, overrider: userArn('carol') } })]);
    expect(result.findings[0]!.reason).toContain(
      `pull request 12 (its approval rules were overridden by ${userArn('carol')})`,
    );
  });

  it('lets a later REVOKE cancel an APPROVE, and a later APPROVE restore it', () => {
    const revoked = run([
      pullRequest('13', {
        revisionId: 'r',
        approvals: [
          { revisionId: 'r', userArn: userArn('bob'), state: 'APPROVE' },
          { revisionId: 'r', userArn: userArn('bob'), state: 'REVOKE' },
        ],
      }),
    ]);
    expect(revoked.status).toBe('fail');
    expect(revoked.findings[0]!.reason).toContain(`its approval was revoked by ${userArn('bob')}`);

    const reapproved = run([
      pullRequest('14', {
        revisionId: 'r',
        approvals: [
          { revisionId: 'r', userArn: userArn('bob'), state: 'REVOKE' },
          { revisionId: 'r', userArn: userArn('bob'), state: 'APPROVE' },
        ],
      }),
    ]);
    expect(reapproved.status).toBe('pass');
  });

  it('ignores pull requests merged outside the audit window, into another branch, or not merged', () => {
    const unapproved = { approvals: [] };
    const result = run([
      pullRequest('old', { ...unapproved, mergedAt: daysAgo(91) }),
      pullRequest('future', { ...unapproved, mergedAt: daysAgo(-1) }),
      pullRequest('dev', { ...unapproved, destinationReference: 'refs/heads/develop' }),
      pullRequest('open', { ...unapproved, status: 'OPEN', isMerged: false, mergedAt: null }),
      pullRequest('closed', { ...unapproved, isMerged: false, mergedAt: null }),
    ]);
    expect(result.status).toBe('pass');
    expect(result.findings[0]!.reason).toContain('no pull request was merged into it in the last 90 days');
    expect(result.findings[0]!.evidence['auditWindow']).toEqual({
      from: daysAgo(90).toISOString(),
      to: daysAgo(0).toISOString(),
      days: 90,
    });
  });

  it('honours the audit window of the connection and falls back to the last activity date', () => {
    const pr = pullRequest('15', { approvals: [], mergedAt: null, lastActivityDate: daysAgo(20) });
    expect(run([pr]).status).toBe('fail');
    expect(run([pr], { run: { auditWindowDays: 14 } }).status).toBe('pass');
  });

  it('fails when review is not enforced even if every merged pull request was reviewed', () => {
    const result = evaluatePeerReview(
      evidence({
        repositories: [
          repository('app', {
            approvalRuleTemplates: [template({ destinationReferences: ['refs/heads/develop'] })],
            pullRequests: [pullRequest('1')],
          }),
        ],
      }),
    );
    expect(result.status).toBe('fail');
    expect(result.findings[0]!.reason).toMatch(
      /^In repository app, review is not enforced: no associated approval rule template/,
    );
  });

  it('is unknown, naming the permission, when pull requests were not collected, and not applicable when empty', () => {
    const result = evaluatePeerReview(
      evidence({
        run: {
          completeness: {
            missingPermissions: [
              { action: 'codecommit:GetPullRequestApprovalStates', step: 'codecommit:pull-requests:app' },
            ],
            failedSteps: [{ step: 'codecommit:pull-requests:other', reason: 'throttled' }],
          },
        },
        repositories: [
          repository('app', { pullRequests: null }),
          repository('empty', { defaultBranch: null, pullRequests: null }),
        ],
      }),
    );
    expect(result.findings.map((f) => f.status)).toEqual(['unknown', 'not_applicable']);
    expect(result.findings[0]!.reason).toBe(
      'Peer review in repository app cannot be decided: its pull requests were not collected (missing permission codecommit:GetPullRequestApprovalStates (sync step codecommit:pull-requests:app)).',
    );
    expect(result.status).toBe('unknown');
  });

  it('a fail whose pull requests were not collected says that part is undecided, naming the gap', () => {
    const result = evaluatePeerReview(
      evidence({
        run: {
          completeness: {
            missingPermissions: [],
            failedSteps: [{ step: 'codecommit:pull-requests:app', reason: 'aws_response_invalid' }],
          },
        },
        repositories: [repository('app', { pullRequests: null, approvalRuleTemplates: [] })],
      }),
    );
    expect(result.findings[0]!.status).toBe('fail');
    expect(result.findings[0]!.reason).toMatch(
      /^In repository app, review is not enforced: .*; its merged pull requests are undecided: its pull requests were not collected \(sync step codecommit:pull-requests:app failed: aws_response_invalid\)\.$/,
    );
  });
});

describe('IdentityResolver', () => {
  const resolver = new IdentityResolver(evidence());
  it.each([
    [sessionArn('Dev', 'alice'), sessionArn('Admin', 'alice'), true],
    [userArn('alice'), sessionArn('Admin', 'alice'), true],
    [`arn:aws:iam::111122223333:user/engineering/alice`, userArn('alice'), true],
    [
      sessionArn('Dev', 'alice@example.com'),
      `arn:aws:sts::111122223333:federated-user/alice@example.com`,
      true,
    ],
    [sessionArn('Dev', 'alice'), sessionArn('Dev', 'bob'), false],
    [userArn('alice'), userArn('bob'), false],
    ['arn:aws:iam::111122223333:root', 'arn:aws:iam::111122223333:root', true],
  ])('%s and %s are one person: %s', (a, b, same) => {
    expect(resolver.samePerson(a, b)).toBe(same);
  });
});
