import { describe, expect, it } from 'vitest';
import { createAccessAnalysis, type RoleWithTrust } from '../iam/role-assumption.js';
import type { NamedPolicy, PolicyDocument, PolicyStatement, PrincipalPolicies } from '../iam/types.js';
import type { IamUserEvidence } from './evidence.js';
import { evaluateOffboardedUserAccess } from './offboarded-user-access.js';
import {
  ACCOUNT,
  daysAgo,
  evidence,
  REGION,
  repoArn,
  roleArn,
  user,
  userArn,
} from './test-support/evidence.js';
import { evaluateUserMfa } from './user-mfa.js';

const managed = (name: string, statements: PolicyStatement[]): NamedPolicy => ({
  source: {
    kind: 'managed',
    policyArn: name.startsWith('arn:') ? name : `arn:aws:iam::${ACCOUNT}:policy/${name}`,
  },
  document: { Version: '2012-10-17', Statement: statements },
});
const POWER_USER = managed('arn:aws:iam::aws:policy/AWSCodeCommitPowerUser', [
  { Effect: 'Allow', Action: ['codecommit:GitPull', 'codecommit:GitPush'], Resource: '*' },
]);
const assume = (resource: string) =>
  managed(`assume-${resource.split(/[:/]/).pop()}`, [
    { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: resource },
  ]);
const trust = (condition?: PolicyStatement['Condition']): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'sts:AssumeRole',
      ...(condition ? { Condition: condition } : {}),
    },
  ],
});
const role = (name: string, trustPolicy: PolicyDocument): RoleWithTrust => ({
  principal: { arn: roleArn(name), type: 'role', name, policies: [POWER_USER] },
  trustPolicy,
});
const ROLES = [
  role('Dev', trust()),
  role('Admin', trust({ Bool: { 'aws:MultiFactorAuthPresent': 'true' } })),
];

/** A user whose access comes from the real analysis of `policies` (no CodeCommit policy of its own). */
function userWith(
  name: string,
  policies: NamedPolicy[],
  credentials: Partial<IamUserEvidence['credentials']>,
) {
  const base = user(name, { tags: { email: `${name}@example.com` }, credentials });
  const principal: PrincipalPolicies = { arn: userArn(name), type: 'user', name, policies };
  const analysis = createAccessAnalysis({
    repositories: [{ name: 'app', arn: repoArn('app'), defaultBranch: 'main' }],
    scope: { accountId: ACCOUNT, partition: 'aws', regions: [REGION, 'us-west-2'] },
    roles: ROLES,
  });
  return { ...base, access: analysis.analyze(principal) };
}

const roster = (name: string, status: 'active' | 'offboarded') => ({
  people: [
    { email: `${name}@example.com`, name, status, offboardedAt: status === 'offboarded' ? daysAgo(5) : null },
  ],
});
const KEY = {
  passwordEnabled: false,
  mfaActive: false,
  accessKeys: [{ id: 'AKIA1', active: true, lastUsed: null }],
};

describe('checks on effective access', () => {
  it('offboarded, reaching CodeCommit only through a role: fail, naming the path', () => {
    const u = userWith('olivia', [assume(roleArn('Dev'))], KEY);
    const finding = evaluateOffboardedUserAccess(evidence({ users: [u], ...roster('olivia', 'offboarded') }))
      .findings[0]!;
    expect(finding.status).toBe('fail');
    expect(finding.reason).toContain(
      'via sts:AssumeRole into role Dev (managed policy AWSCodeCommitPowerUser)',
    );
    expect(finding.evidence).toMatchObject({
      access: { hasAccess: true, ownAccess: false, viaRoles: [{ decision: 'allow' }] },
    });
  });

  it('a role whose trust requires MFA: the MFA device decides the offboarded check', () => {
    const judge = (mfaActive: boolean | null) =>
      evaluateOffboardedUserAccess(
        evidence({
          users: [userWith('mia', [assume(roleArn('Admin'))], { ...KEY, passwordEnabled: true, mfaActive })],
          ...roster('mia', 'offboarded'),
        }),
      ).findings[0]!;
    expect(judge(true).status).toBe('fail');
    expect(judge(true).reason).toContain(
      'via sts:AssumeRole into role Admin (managed policy AWSCodeCommitPowerUser) with MFA',
    );
    expect(judge(false).status).toBe('pass');
    expect(judge(false).reason).toContain('whose trust policy requires MFA, and it has no MFA device');
    expect(judge(null).status).toBe('unknown');
    expect(judge(null).reason).toContain('depends on aws:MultiFactorAuthPresent, which varies per request');
  });

  it('an active console user whose only path is a role: judged by the MFA check', () => {
    const adam = userWith('adam', [assume(roleArn('Dev'))], { passwordEnabled: true, mfaActive: false });
    const mia = userWith('mia', [assume(roleArn('Admin'))], { passwordEnabled: true, mfaActive: true });
    const result = evaluateUserMfa(evidence({ users: [adam, mia] }));
    const byName = Object.fromEntries(result.findings.map((f) => [f.resourceName, f]));
    expect(byName.adam!.status).toBe('fail');
    expect(byName.adam!.reason).toContain('via sts:AssumeRole into role Dev');
    expect(byName.mia!.status).toBe('pass');
    expect(byName.mia!.reason).toContain('whose trust policy requires MFA (aws:MultiFactorAuthPresent)');
  });

  it('a role of another account is unknown, and the reason says why', () => {
    const other = 'arn:aws:iam::444455556666:role/Deploy';
    const u = userWith('otto', [assume(other)], KEY);
    const finding = evaluateOffboardedUserAccess(evidence({ users: [u], ...roster('otto', 'offboarded') }))
      .findings[0]!;
    expect(finding.status).toBe('unknown');
    expect(finding.reason).toContain(
      `it may assume ${other} in another account, which this connection cannot see`,
    );
  });

  it('no path at all: "access removed", naming what was considered', () => {
    const u = userWith('zoe', [], KEY);
    const finding = evaluateOffboardedUserAccess(evidence({ users: [u], ...roster('zoe', 'offboarded') }))
      .findings[0]!;
    expect(finding.status).toBe('pass');
    expect(finding.reason).toContain(
      'no IAM policy allows it any CodeCommit action on the 1 synced repositories or in any of the 2 CodeCommit Regions, and it may assume none of the 2 roles',
    );
  });
});
