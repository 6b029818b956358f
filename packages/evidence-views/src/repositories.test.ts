import { describe, expect, it } from 'vitest';
import { associatedTemplates, pullRequestEvidence, repositoryRef } from './repositories.js';
import {
  approvalRow,
  associationRow,
  pullRequestRow,
  repositoryRow,
  templateRow,
  userArn,
} from './test-support/rows.js';

describe('associatedTemplates', () => {
  it('joins a repository’s associations to templates by name and leaves out templates the run lacks', () => {
    const templates = new Map(
      [
        templateRow('all-branches', { destination_references: [], required_approvals: 2 }),
        templateRow('main-only'),
      ].map((t) => [t.template_name, { ...t }]),
    );
    const associations = [
      associationRow('app', 'main-only'),
      associationRow('app', 'all-branches'),
      associationRow('app', 'deleted-meanwhile'),
      associationRow('infra', 'main-only'),
    ];
    expect(associatedTemplates('id-app', associations, templates)).toEqual([
      {
        name: 'all-branches',
        id: 'tpl-all-branches',
        destinationReferences: [],
        requiredApprovals: 2,
        approvalPoolMembers: [],
      },
      {
        name: 'main-only',
        id: 'tpl-main-only',
        destinationReferences: ['refs/heads/main'],
        requiredApprovals: 1,
        approvalPoolMembers: [],
      },
    ]);
    expect(associatedTemplates('id-none', associations, templates)).toEqual([]);
  });
});

describe('pullRequestEvidence', () => {
  it('carries its own approvals and fills what AWS left empty', () => {
    const created = new Date('2026-11-01T00:00:00.000Z');
    const pr = pullRequestRow('7', 'app', {
      title: null,
      creation_date: created,
      last_activity_date: null,
      merged_at: null,
      evaluation: {
        approved: true,
        overridden: false,
        approvalRulesSatisfied: ['r'],
        approvalRulesNotSatisfied: [],
      },
    });
    const evidence = pullRequestEvidence(pr, [
      approvalRow('7', 'rev-7-1', userArn('carol')),
      approvalRow('8', 'x', userArn('dan')),
    ]);
    expect(evidence).toMatchObject({
      id: '7',
      title: '',
      creationDate: created,
      lastActivityDate: created,
      mergedAt: null,
      approvals: [{ revisionId: 'rev-7-1', userArn: userArn('carol'), state: 'APPROVE' }],
      evaluation: { approved: true },
      override: { overridden: false, overrider: null },
    });
  });
});

describe('repositoryRef', () => {
  it('leaves tags unset (not collected), so conditions on them stay undecided', () => {
    expect(repositoryRef(repositoryRow('app'))).toEqual({
      name: 'app',
      arn: expect.stringContaining(':app'),
      defaultBranch: 'main',
    });
  });
});
