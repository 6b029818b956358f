import { analyzeCodeCommitAccess } from '@codecommit-evidence/domain';
import { describe, expect, it } from 'vitest';
import {
  asPolicyDocument,
  indexPolicies,
  NOT_COLLECTED_OPERATOR,
  rolePrincipalPolicies,
  userPrincipalPolicies,
} from './principal-policies.js';
import {
  ALLOW_ALL_CODECOMMIT,
  groupRow,
  managedPolicyRow,
  policyArn,
  repoArn,
  roleRow,
  userRow,
} from './test-support/rows.js';

const READ_ONLY = {
  Version: '2012-10-17',
  Statement: { Effect: 'Allow', Action: ['codecommit:GitPull', 'codecommit:Get*'], Resource: '*' },
};
const repos = [{ name: 'app', arn: repoArn('app'), defaultBranch: 'main' }];

describe('userPrincipalPolicies', () => {
  it('collects own inline and managed policies, each group’s, and the boundary, naming where each came from', () => {
    const index = indexPolicies(
      [
        groupRow('Developers', {
          attached_policy_arns: [policyArn('dev')],
          inline_policies: [{ name: 'dev-inline', document: READ_ONLY }],
        }),
      ],
      [
        managedPolicyRow(policyArn('dev'), ALLOW_ALL_CODECOMMIT),
        managedPolicyRow(policyArn('own'), READ_ONLY),
        managedPolicyRow(policyArn('boundary'), READ_ONLY),
      ],
    );
    const { principal, unresolved } = userPrincipalPolicies(
      userRow('alice', {
        inline_policies: [{ name: 'mine', document: READ_ONLY }],
        attached_policy_arns: [policyArn('own')],
        group_names: ['Developers'],
        permissions_boundary_arn: policyArn('boundary'),
        tags: { team: 'core' },
      }),
      index,
    );
    expect(unresolved).toEqual([]);
    expect(principal).toMatchObject({
      arn: expect.stringContaining(':user/alice'),
      type: 'user',
      name: 'alice',
      userId: 'AIDAALICE',
      tags: { team: 'core' },
    });
    expect(principal.policies.map((p) => p.source)).toEqual([
      { kind: 'inline', ownerArn: expect.stringContaining(':user/alice'), policyName: 'mine' },
      { kind: 'managed', policyArn: policyArn('own'), versionId: 'v1' },
      {
        kind: 'inline',
        ownerArn: expect.stringContaining(':group/Developers'),
        policyName: 'dev-inline',
        viaGroup: 'Developers',
      },
      { kind: 'managed', policyArn: policyArn('dev'), versionId: 'v1', viaGroup: 'Developers' },
    ]);
    expect(principal.permissionsBoundary?.source).toEqual({
      kind: 'boundary',
      policyArn: policyArn('boundary'),
    });
    // The read-only boundary caps the group's codecommit:* at read.
    expect(analyzeCodeCommitAccess(principal, repos).level).toBe('read');
  });

  it('reports access as unknown, not none, when an attached policy’s document was not collected', () => {
    const index = indexPolicies([], [managedPolicyRow(policyArn('lost'), null)]);
    const { principal, unresolved } = userPrincipalPolicies(
      userRow('dave', {
        attached_policy_arns: [policyArn('lost'), policyArn('never-seen')],
        group_names: ['Ghosts'],
      }),
      index,
    );
    expect(unresolved.map((u) => [u.kind, u.ref])).toEqual([
      ['managed_policy', policyArn('lost')],
      ['managed_policy', policyArn('never-seen')],
      ['group', 'Ghosts'],
    ]);
    const access = analyzeCodeCommitAccess(principal, repos);
    expect(access.hasAccess).toBe('unknown');
    expect(access.repositories[0]?.grants[0]?.reason).toContain(NOT_COLLECTED_OPERATOR);
  });

  it('still grants what collected policies allow when another one is missing', () => {
    const index = indexPolicies([], [managedPolicyRow(policyArn('ok'), ALLOW_ALL_CODECOMMIT)]);
    const { principal } = userPrincipalPolicies(
      userRow('erin', { attached_policy_arns: [policyArn('ok'), policyArn('lost')] }),
      index,
    );
    expect(analyzeCodeCommitAccess(principal, repos)).toMatchObject({ hasAccess: true, level: 'admin' });
  });
});

describe('rolePrincipalPolicies', () => {
  it('builds a role without aws:username or a user id', () => {
    const index = indexPolicies([], [managedPolicyRow(policyArn('admin'), ALLOW_ALL_CODECOMMIT)]);
    const { principal } = rolePrincipalPolicies(
      roleRow('Admin', { attached_policy_arns: [policyArn('admin')] }),
      index,
    );
    expect(principal).toMatchObject({ type: 'role', name: 'Admin' });
    expect(principal.userId).toBeUndefined();
    expect(
      analyzeCodeCommitAccess(principal, repos).repositories[0]?.defaultBranchBypass.length,
    ).toBeGreaterThan(0);
  });
});

describe('asPolicyDocument', () => {
  it('accepts parsed JSON and IAM’s URL-encoded form, and nothing without statements', () => {
    const encoded = encodeURIComponent(JSON.stringify(READ_ONLY));
    expect(asPolicyDocument(encoded)).toEqual(READ_ONLY);
    expect(asPolicyDocument(JSON.stringify(READ_ONLY))).toEqual(READ_ONLY);
    expect(asPolicyDocument(READ_ONLY)).toBe(READ_ONLY);
    expect(asPolicyDocument({ Version: '2012-10-17' })).toBeNull();
    expect(asPolicyDocument('%7Bnot json')).toBeNull();
    expect(asPolicyDocument(null)).toBeNull();
  });
});
