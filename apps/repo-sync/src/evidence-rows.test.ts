import { describe, expect, it } from 'vitest';
import {
  approvalRows,
  hasIndependentApproval,
  mergeDateOf,
  openPullRequestRow,
  pullRequestRow,
  sameOpenRow,
  templateRow,
} from './evidence-rows.js';

describe('evidence rows', () => {
  it('a template: strictest statement, union of pools, no destination references means every branch', () => {
    const row = templateRow({
      approvalRuleTemplateId: 't-1',
      approvalRuleTemplateName: 'two',
      content: {
        Version: '2018-11-08',
        Statements: [
          { Type: 'Approvers', NumberOfApprovalsNeeded: 1, ApprovalPoolMembers: ['arn:b'] },
          { Type: 'Approvers', NumberOfApprovalsNeeded: 2, ApprovalPoolMembers: ['arn:a', 'arn:b'] },
        ],
      },
    });
    expect(row).toMatchObject({
      template_id: 't-1',
      destination_references: [],
      required_approvals: 2,
      approval_pool_members: ['arn:a', 'arn:b'],
    });
    expect(templateRow({ approvalRuleTemplateName: 'x', content: null }).required_approvals).toBe(0);
  });

  it('a merged pull request: merge facts, final revision, parsed rules; merge date unknown unless read', () => {
    const row = pullRequestRow(
      {
        pullRequestId: '7',
        pullRequestStatus: 'CLOSED',
        revisionId: 'rev',
        authorArn: 'arn:author',
        lastActivityDate: new Date('2026-01-02T00:00:00Z'),
        pullRequestTargets: [
          {
            repositoryName: 'r',
            destinationReference: 'refs/heads/main',
            mergeMetadata: { isMerged: true, mergedBy: 'arn:merger' },
          },
        ],
        approvalRules: [
          {
            approvalRuleName: 'rule',
            approvalRuleContent: '{"Version":"2018-11-08"}',
            originApprovalRuleTemplate: { approvalRuleTemplateName: 'tpl' },
          },
        ],
      },
      'fallback',
      {
        approvals: [],
        evaluation: { approved: true, overridden: false, approvalRulesSatisfied: ['b', 'a'] },
        override: { overridden: false, overrider: null },
        approvalEvents: null,
      },
    );
    expect(row).toMatchObject({
      repository_name: 'r',
      is_merged: true,
      merged_by: 'arn:merger',
      merged_at: null,
      revision_id: 'rev',
      approval_rules: [{ name: 'rule', content: { Version: '2018-11-08' }, originTemplate: 'tpl' }],
      evaluation: {
        approved: true,
        overridden: false,
        approvalRulesSatisfied: ['a', 'b'],
        approvalRulesNotSatisfied: [],
      },
    });
    const merge = new Date('2026-01-01T12:00:00Z');
    expect(
      pullRequestRow(
        { pullRequestId: '7', pullRequestTargets: [{ mergeMetadata: { isMerged: true } }] },
        'r',
        null,
        merge,
      ).merged_at,
    ).toEqual(merge);
    // Not collected (open, or denied): null, never an empty evaluation.
    expect(pullRequestRow({ pullRequestId: '8', pullRequestStatus: 'OPEN' }, 'r', null)).toMatchObject({
      status: 'OPEN',
      is_merged: false,
      evaluation: null,
      override_state: null,
    });
  });

  it('an open pull request: identity only, everything that may change while open is null, and recognised as such', () => {
    const full = pullRequestRow(
      {
        pullRequestId: '7',
        title: 'wip',
        authorArn: 'arn:author',
        pullRequestStatus: 'OPEN',
        revisionId: 'rev-2',
        creationDate: new Date('2026-01-01T00:00:00Z'),
        lastActivityDate: new Date('2026-01-03T00:00:00Z'),
        pullRequestTargets: [
          {
            repositoryName: 'r',
            sourceReference: 'refs/heads/feature',
            destinationReference: 'refs/heads/main',
            sourceCommit: 'a'.repeat(40),
            destinationCommit: 'b'.repeat(40),
            mergeMetadata: { isMerged: false },
          },
        ],
        approvalRules: [{ approvalRuleName: 'rule', approvalRuleContent: '{}' }],
      },
      'r',
      null,
    );
    const open = openPullRequestRow(full);
    expect(open).toEqual({
      ...full,
      title: null,
      source_commit: null,
      destination_commit: null,
      merge_base: null,
      revision_id: null,
      last_activity_date: null,
      approval_rules: null,
    });
    expect(open).toMatchObject({ author_arn: 'arn:author', creation_date: new Date('2026-01-01T00:00:00Z') });
    // A new revision, an approval, a comment: the same open row.
    expect(
      openPullRequestRow({ ...full, revision_id: 'rev-3', last_activity_date: new Date(), title: 'renamed' }),
    ).toEqual(open);
    expect(sameOpenRow(open, open)).toBe(true);
    // A row stored before the rule (with a revision) is not yet in the open form: it gets narrowed.
    expect(sameOpenRow(full, open)).toBe(false);
    // Dates stored as strings compare by instant.
    expect(sameOpenRow({ ...open, creation_date: '2026-01-01T00:00:00.000Z' as never }, open)).toBe(true);
  });

  it('the merge date is the merge event, none without one', () => {
    expect(
      mergeDateOf([
        { pullRequestEventType: 'PULL_REQUEST_STATUS_CHANGED', eventDate: new Date('2026-03-02T00:00:00Z') },
        {
          pullRequestEventType: 'PULL_REQUEST_MERGE_STATE_CHANGED',
          eventDate: new Date('2026-03-01T00:00:00Z'),
        },
      ]),
    ).toEqual(new Date('2026-03-01T00:00:00Z'));
    expect(mergeDateOf([])).toBeNull();
    expect(mergeDateOf([{ pullRequestEventType: 'PULL_REQUEST_MERGE_STATE_CHANGED' }])).toBeNull();
  });

  it("an independent final approval: an APPROVE by anyone but the author's exact ARN", () => {
    const author = 'arn:aws:sts::1:assumed-role/Dev/bob';
    expect(hasIndependentApproval([], author)).toBe(false);
    expect(hasIndependentApproval([{ userArn: author, approvalState: 'APPROVE' }], author)).toBe(false);
    expect(hasIndependentApproval([{ userArn: 'arn:x', approvalState: 'REVOKE' }], author)).toBe(false);
    // The author's other session is not judged here: the check explains it without the history.
    expect(
      hasIndependentApproval(
        [{ userArn: 'arn:aws:sts::1:assumed-role/Admin/bob', approvalState: 'APPROVE' }],
        author,
      ),
    ).toBe(true);
  });

  it('approvals: the final revision from its states, earlier ones from events (latest by date), final states win', () => {
    const ev = (
      date: string,
      actorArn: string,
      revisionId: string,
      approvalStatus: 'APPROVE' | 'REVOKE',
    ) => ({
      pullRequestEventType: 'PULL_REQUEST_APPROVAL_STATE_CHANGED' as const,
      eventDate: new Date(date),
      actorArn,
      approvalStateChangedEventMetadata: { revisionId, approvalStatus },
    });
    const rows = approvalRows(
      '2',
      'r2',
      [{ userArn: 'arn:carol', approvalState: 'APPROVE' }],
      [
        // Listed newest first: the order of the answer does not matter, the dates do.
        ev('2026-01-03T00:00:00Z', 'arn:bob', 'r1', 'REVOKE'),
        ev('2026-01-01T00:00:00Z', 'arn:bob', 'r1', 'APPROVE'),
        ev('2026-01-02T00:00:00Z', 'arn:alice', 'r1', 'APPROVE'),
        ev('2026-01-04T00:00:00Z', 'arn:dave', 'r2', 'APPROVE'),
        { pullRequestEventType: 'PULL_REQUEST_CREATED' as const, actorArn: 'arn:x' },
      ],
    );
    expect(rows.map((r) => `${r.revision_id}|${r.user_arn}|${r.approval_state}`).sort()).toEqual([
      'r1|arn:alice|APPROVE',
      'r1|arn:bob|REVOKE',
      'r2|arn:carol|APPROVE',
    ]);
    expect(approvalRows('2', 'r2', [], null)).toEqual([]);
  });

  it('approvals: a revoke on the final revision is kept (AWS drops a revoked approval from its states), unless its states list the user', () => {
    const ev = (date: string, actorArn: string, approvalStatus: 'APPROVE' | 'REVOKE') => ({
      pullRequestEventType: 'PULL_REQUEST_APPROVAL_STATE_CHANGED' as const,
      eventDate: new Date(date),
      actorArn,
      approvalStateChangedEventMetadata: { revisionId: 'r2', approvalStatus },
    });
    const rows = approvalRows(
      '2',
      'r2',
      [{ userArn: 'arn:carol', approvalState: 'APPROVE' }],
      [
        ev('2026-01-01T00:00:00Z', 'arn:bob', 'APPROVE'),
        ev('2026-01-02T00:00:00Z', 'arn:bob', 'REVOKE'),
        // Re-approved after a revoke: the states list carol, and they win.
        ev('2026-01-01T00:00:00Z', 'arn:carol', 'REVOKE'),
        // Approved per the events, absent from the states: the states win, nothing stored.
        ev('2026-01-03T00:00:00Z', 'arn:erin', 'APPROVE'),
      ],
    );
    expect(rows.map((r) => `${r.revision_id}|${r.user_arn}|${r.approval_state}`).sort()).toEqual([
      'r2|arn:bob|REVOKE',
      'r2|arn:carol|APPROVE',
    ]);
  });
});
