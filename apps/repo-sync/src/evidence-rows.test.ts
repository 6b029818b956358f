import { describe, expect, it } from 'vitest';
import { pullRequestRow, templateRow } from './evidence-rows.js';

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

  it('a merged pull request: merge facts, final revision, parsed rules; merge date left unknown', () => {
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
    // Not collected (open, or denied): null, never an empty evaluation.
    expect(pullRequestRow({ pullRequestId: '8', pullRequestStatus: 'OPEN' }, 'r', null)).toMatchObject({
      status: 'OPEN',
      is_merged: false,
      evaluation: null,
      override_state: null,
    });
  });
});
