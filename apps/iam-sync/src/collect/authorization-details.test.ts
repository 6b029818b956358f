import type { DecodedAuthorizationDetails } from '@codecommit-evidence/aws-clients';
import { describe, expect, it } from 'vitest';
import { mapAuthorizationDetails } from './authorization-details.js';

const allow = (action: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }],
});
const A = 'arn:aws:iam::111122223333';

function details(): DecodedAuthorizationDetails {
  return {
    users: [
      {
        UserName: 'bob',
        UserId: 'AIDABOB',
        Arn: `${A}:user/bob`,
        Path: '/',
        CreateDate: new Date('2024-01-01T00:00:00Z'),
        GroupList: ['devs', 'admins', 'devs'],
        AttachedManagedPolicies: [{ PolicyArn: `${A}:policy/B` }, { PolicyArn: 'arn:aws:iam::aws:policy/A' }],
        UserPolicyList: [
          { PolicyName: 'z', PolicyDocument: allow('s3:Get*') },
          { PolicyName: 'a', PolicyDocument: allow('codecommit:*') },
        ],
        PermissionsBoundary: {
          PermissionsBoundaryArn: `${A}:policy/Boundary`,
          PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
        },
        Tags: [
          { Key: 'team', Value: 'x' },
          { Key: 'email', Value: 'bob@example.com' },
        ],
      },
    ],
    groups: [
      {
        GroupName: 'devs',
        Arn: `${A}:group/devs`,
        GroupId: 'AGPA1',
        Path: '/',
        GroupPolicyList: [],
        AttachedManagedPolicies: [],
      },
      {
        GroupName: 'admins',
        Arn: `${A}:group/admins`,
        GroupId: 'AGPA2',
        Path: '/',
        GroupPolicyList: [],
        AttachedManagedPolicies: [{ PolicyArn: `${A}:policy/G` }],
      },
      {
        GroupName: 'empty',
        Arn: `${A}:group/empty`,
        GroupId: 'AGPA3',
        Path: '/',
        GroupPolicyList: [],
        AttachedManagedPolicies: [{ PolicyArn: `${A}:policy/OnlyEmpty` }],
      },
    ],
    roles: [
      {
        RoleName: 'r',
        Arn: `${A}:role/r`,
        RoleId: 'AROA1',
        Path: '/',
        CreateDate: new Date('2024-02-01T00:00:00Z'),
        AssumeRolePolicyDocument: allow('sts:AssumeRole'),
        RolePolicyList: [],
        AttachedManagedPolicies: [],
        Tags: [],
      },
    ],
    policies: ['B', 'G', 'OnlyEmpty', 'NotUsed'].map((n) => ({
      PolicyName: n,
      Arn: `${A}:policy/${n}`,
      PolicyId: `ANPA${n}`,
      Path: '/',
      DefaultVersionId: 'v2',
      PolicyVersionList: [
        { VersionId: 'v1', IsDefaultVersion: false, Document: allow('old:*') },
        { VersionId: 'v2', IsDefaultVersion: true, Document: allow(`${n}:*`) },
      ],
    })),
  };
}

describe('mapAuthorizationDetails', () => {
  it('maps users, groups, roles and the default version of each policy in use, sorted and de-duplicated', () => {
    const { identities, missingPolicyArns } = mapAuthorizationDetails(details());
    const [bob] = identities.users;
    expect(bob).toEqual({
      arn: `${A}:user/bob`,
      user_name: 'bob',
      user_id: 'AIDABOB',
      path: '/',
      create_date: new Date('2024-01-01T00:00:00Z'),
      permissions_boundary_arn: `${A}:policy/Boundary`,
      tags: { email: 'bob@example.com', team: 'x' },
      group_names: ['admins', 'devs'],
      attached_policy_arns: [`${A}:policy/B`, 'arn:aws:iam::aws:policy/A'],
      inline_policies: [
        { name: 'a', document: allow('codecommit:*') },
        { name: 'z', document: allow('s3:Get*') },
      ],
    });
    // A group nobody belongs to grants nothing and is invisible to the per-user path: left out.
    expect(identities.groups.map((g) => g.group_name)).toEqual(['admins', 'devs']);
    expect(identities.roles[0]?.assume_role_policy).toEqual(allow('sts:AssumeRole'));
    expect(identities.policies.map((p) => [p.policy_name, p.default_version_id, p.document])).toEqual([
      ['B', 'v2', allow('B:*')],
      ['G', 'v2', allow('G:*')],
    ]);
    expect(identities.policies.every((p) => p.is_aws_managed === false)).toBe(true);
    // In use but absent from the listing (the AWS one here, the boundary): fetched one by one.
    expect(missingPolicyArns).toEqual([`${A}:policy/Boundary`, 'arn:aws:iam::aws:policy/A']);
  });

  it('refuses an entity without an ARN rather than store a row with no key', () => {
    const d = details();
    delete d.users[0]!.Arn;
    expect(() => mapAuthorizationDetails(d)).toThrow(/without user Arn/);
  });
});
