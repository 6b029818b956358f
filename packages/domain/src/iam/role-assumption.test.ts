import { describe, expect, it } from 'vitest';
import { analyzeCodeCommitAccess, type CodeCommitScope } from './codecommit-access.js';
import { createAccessAnalysis, type RoleWithTrust } from './role-assumption.js';
import type {
  CodeCommitAccessSummary,
  NamedPolicy,
  PolicyDocument,
  PolicyStatement,
  PrincipalPolicies,
  RepositoryRef,
} from './types.js';

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const SCOPE: CodeCommitScope = {
  accountId: ACCOUNT,
  partition: 'aws',
  regions: ['us-east-1', 'us-west-2', 'eu-west-1'],
};
const REPOSITORIES: RepositoryRef[] = [
  { name: 'app', arn: `arn:aws:codecommit:eu-west-1:${ACCOUNT}:app`, defaultBranch: 'main' },
];
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;

function managed(name: string, statements: PolicyStatement[]): NamedPolicy {
  const policyArn = name.startsWith('arn:') ? name : `arn:aws:iam::${ACCOUNT}:policy/${name}`;
  return {
    source: { kind: 'managed', policyArn },
    document: { Version: '2012-10-17', Statement: statements },
  };
}

const POWER_USER = managed('arn:aws:iam::aws:policy/AWSCodeCommitPowerUser', [
  { Effect: 'Allow', Action: ['codecommit:GitPull', 'codecommit:GitPush', 'codecommit:Get*'], Resource: '*' },
]);
const assume = (resource: string | string[] = '*') =>
  managed(`assume-${JSON.stringify(resource).length}`, [
    { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: resource },
  ]);

function trust(principal: unknown, condition?: PolicyStatement['Condition']): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: principal,
        Action: 'sts:AssumeRole',
        ...(condition ? { Condition: condition } : {}),
      },
    ],
  };
}
const TRUST_ACCOUNT = trust({ AWS: `arn:aws:iam::${ACCOUNT}:root` });

function user(name: string, policies: NamedPolicy[]): PrincipalPolicies {
  return { arn: userArn(name), type: 'user', name, policies };
}
function role(
  name: string,
  policies: NamedPolicy[],
  trustPolicy: PolicyDocument | null = TRUST_ACCOUNT,
): RoleWithTrust {
  return { principal: { arn: roleArn(name), type: 'role', name, policies }, trustPolicy };
}
function analyze(principal: PrincipalPolicies, roles: RoleWithTrust[] | null): CodeCommitAccessSummary {
  return createAccessAnalysis({ repositories: REPOSITORIES, scope: SCOPE, roles }).analyze(principal);
}

describe('access through role assumption', () => {
  it('finds CodeCommit access through a role the account trusts and the user may assume', () => {
    const access = analyze(user('alice', [assume(roleArn('Dev'))]), [role('Dev', [POWER_USER])]);
    expect(access).toMatchObject({ hasAccess: true, ownAccess: false, level: 'write' });
    expect(access.viaRoles).toHaveLength(1);
    const path = access.viaRoles![0]!;
    expect(path).toMatchObject({
      decision: 'allow',
      role: { name: 'Dev', access: true, grantedBy: [POWER_USER.source] },
      steps: [{ roleName: 'Dev', decision: 'allow', admittedBy: 'account' }],
    });
    expect(path.steps[0]!.allowedBy[0]!.statement.Action).toBe('sts:AssumeRole');
    expect(path.steps[0]!.trustedBy[0]!.source).toEqual({ kind: 'trust', roleArn: roleArn('Dev') });
  });

  it('a trust policy that names the user admits it without an identity policy; one that trusts the account does not', () => {
    const byArn = analyze(user('alice', []), [role('Dev', [POWER_USER], trust({ AWS: userArn('alice') }))]);
    expect(byArn.hasAccess).toBe(true);
    expect(byArn.viaRoles![0]!.steps[0]).toMatchObject({ admittedBy: 'principal_arn', allowedBy: [] });

    const byAccount = analyze(user('alice', []), [role('Dev', [POWER_USER])]);
    expect(byAccount).toMatchObject({ hasAccess: false, viaRoles: [] });
    expect(byAccount.considered).toEqual({ repositories: 1, regions: 3, roles: 1 });
  });

  it('an explicit Deny of sts:AssumeRole, or a trust policy naming someone else, closes the path', () => {
    const denied = managed('deny-assume', [{ Effect: 'Deny', Action: 'sts:*', Resource: '*' }]);
    expect(analyze(user('alice', [assume(), denied]), [role('Dev', [POWER_USER])]).hasAccess).toBe(false);
    const other = role('Dev', [POWER_USER], trust({ AWS: userArn('bob') }));
    expect(analyze(user('alice', []), [other]).hasAccess).toBe(false);
    const service = role('Dev', [POWER_USER], trust({ Service: 'codebuild.amazonaws.com' }));
    expect(analyze(user('alice', [assume()]), [service]).hasAccess).toBe(false);
  });

  it('follows a chain of two assumptions, and stops at cycles', () => {
    const roles = [
      role('Jump', [assume(roleArn('Dev'))]),
      role('Dev', [POWER_USER], trust({ AWS: roleArn('Jump') })),
    ];
    const access = analyze(user('alice', [assume(roleArn('Jump'))]), roles);
    expect(access.hasAccess).toBe(true);
    expect(access.viaRoles!.map((p) => p.steps.map((s) => s.roleName))).toEqual([['Jump', 'Dev']]);
    // The first role is reachable too, but has no CodeCommit access of its own: only Dev is a target.
    expect(access.viaRoles!.map((p) => p.role.name)).toEqual(['Dev']);

    const cycle = [role('A', [assume(roleArn('B'))]), role('B', [assume(roleArn('A'))])];
    expect(analyze(user('alice', [assume()]), cycle)).toMatchObject({ hasAccess: false, viaRoles: [] });
  });

  it('a trust policy that requires MFA leaves the path unknown, naming aws:MultiFactorAuthPresent', () => {
    const mfa = role(
      'Admin',
      [POWER_USER],
      trust({ AWS: `arn:aws:iam::${ACCOUNT}:root` }, { Bool: { 'aws:MultiFactorAuthPresent': 'true' } }),
    );
    const access = analyze(user('alice', [assume()]), [mfa]);
    expect(access.hasAccess).toBe('unknown');
    expect(access.viaRoles![0]).toMatchObject({
      decision: 'unknown',
      conditionKeys: ['aws:MultiFactorAuthPresent'],
      steps: [
        { decision: 'unknown', reason: 'depends on aws:MultiFactorAuthPresent, which varies per request' },
      ],
    });
  });

  it('an External ID condition leaves it unknown too; a condition that cannot hold closes it', () => {
    const external = role(
      'Vendor',
      [POWER_USER],
      trust({ AWS: `arn:aws:iam::${ACCOUNT}:root` }, { StringEquals: { 'sts:ExternalId': 'x' } }),
    );
    expect(analyze(user('alice', [assume()]), [external]).viaRoles![0]!.conditionKeys).toEqual([
      'sts:ExternalId',
    ]);
    const onlyBob = role(
      'Dev',
      [POWER_USER],
      trust({ AWS: `arn:aws:iam::${ACCOUNT}:root` }, { StringEquals: { 'aws:username': 'bob' } }),
    );
    expect(analyze(user('alice', [assume()]), [onlyBob]).hasAccess).toBe(false);
    expect(analyze(user('bob', [assume()]), [onlyBob]).hasAccess).toBe(true);
  });

  it('a role of another account is unknown: this connection cannot see it', () => {
    const pattern = `arn:aws:iam::${OTHER_ACCOUNT}:role/Deploy`;
    const access = analyze(user('alice', [assume(pattern)]), []);
    expect(access.hasAccess).toBe('unknown');
    expect(access.otherAccountRoles).toMatchObject([{ why: 'other_account', resourcePattern: pattern }]);
  });

  it('roles not collected: a user that may assume roles of the account is unknown, one that may not is not', () => {
    expect(analyze(user('alice', [assume()]), null)).toMatchObject({
      hasAccess: 'unknown',
      otherAccountRoles: [{ why: 'roles_not_collected', resourcePattern: '*' }],
    });
    expect(analyze(user('alice', []), null).hasAccess).toBe(false);
  });

  it('users of one policy set share paths only where no trust policy singles one out', () => {
    const policy = assume();
    const roles = [
      role('Dev', [POWER_USER]),
      role('Special', [POWER_USER], trust({ AWS: userArn('alice') })),
      role(
        'OnlyBob',
        [POWER_USER],
        trust({ AWS: `arn:aws:iam::${ACCOUNT}:root` }, { StringEquals: { 'aws:username': 'bob' } }),
      ),
    ];
    const analysis = createAccessAnalysis({ repositories: REPOSITORIES, scope: SCOPE, roles });
    const names = (name: string) =>
      analysis
        .analyze(user(name, [policy]))
        .viaRoles!.map((p) => p.role.name)
        .sort();
    expect(names('carol')).toEqual(['Dev']);
    expect(names('alice')).toEqual(['Dev', 'Special']);
    expect(names('bob')).toEqual(['Dev', 'OnlyBob']);
    expect(names('dan')).toEqual(['Dev']);
    // Without a trust that reads principal keys, carol's and dan's paths are shared; alice's are hers.
    const shared = createAccessAnalysis({
      repositories: REPOSITORIES,
      scope: SCOPE,
      roles: roles.slice(0, 2),
    });
    const carol = shared.analyze(user('carol', [policy])).viaRoles;
    expect(shared.analyze(user('dan', [policy])).viaRoles![0]).toBe(carol![0]);
    expect(shared.analyze(user('alice', [policy])).viaRoles!.map((p) => p.role.name)).toEqual([
      'Dev',
      'Special',
    ]);
    expect(carol!.map((p) => p.role.name)).toEqual(['Dev']);
  });

  it("a role's own access includes the roles it may assume", () => {
    const roles = [
      role('Jump', [assume(roleArn('Dev'))]),
      role('Dev', [POWER_USER], trust({ AWS: roleArn('Jump') })),
    ];
    const analysis = createAccessAnalysis({ repositories: REPOSITORIES, scope: SCOPE, roles });
    expect(analysis.analyze(roles[0]!.principal)).toMatchObject({ hasAccess: true, ownAccess: false });
  });

  it("analyses each role's own access once, however many principals reach it", () => {
    let calls = 0;
    const roles = [role('Dev', [POWER_USER])];
    const analysis = createAccessAnalysis({
      repositories: REPOSITORIES,
      scope: SCOPE,
      roles,
      ownAccess: (p) => {
        calls += 1;
        return analyzeCodeCommitAccess(p, REPOSITORIES, SCOPE);
      },
    });
    const policy = assume();
    for (let i = 0; i < 50; i++) expect(analysis.analyze(user(`u${i}`, [policy])).hasAccess).toBe(true);
    expect(calls).toBe(51);
  });
});

describe('access in every Region', () => {
  const west = managed('west', [
    { Effect: 'Allow', Action: 'codecommit:*', Resource: `arn:aws:codecommit:us-west-2:${ACCOUNT}:*` },
  ]);

  it('a grant scoped to a Region that is not synced is access, and the evidence names the Region', () => {
    const access = analyzeCodeCommitAccess(user('alice', [west]), REPOSITORIES, SCOPE);
    expect(access.hasAccess).toBe(true);
    expect(access.repositories[0]!.grants).toEqual([]);
    expect(access.regions!.map((r) => [r.region, r.level])).toEqual([['us-west-2', 'admin']]);
    expect(access.regions![0]!.resourcePattern).toBe(`arn:aws:codecommit:us-west-2:${ACCOUNT}:*`);
    // Without the scope, only the synced repositories are looked at.
    expect(analyzeCodeCommitAccess(user('alice', [west]), REPOSITORIES).hasAccess).toBe(false);
  });

  it('patterns that name a repository or a prefix count in their Region; a Deny on the Region wins', () => {
    const named = managed('named', [
      {
        Effect: 'Allow',
        Action: 'codecommit:GitPull',
        Resource: `arn:aws:codecommit:us-east-1:${ACCOUNT}:team-*`,
      },
    ]);
    const access = analyzeCodeCommitAccess(user('alice', [named]), REPOSITORIES, SCOPE);
    expect(access.regions!.map((r) => [r.region, r.level])).toEqual([['us-east-1', 'read']]);
    const deny = managed('deny', [
      { Effect: 'Deny', Action: 'codecommit:*', Resource: `arn:aws:codecommit:us-west-2:${ACCOUNT}:*` },
    ]);
    expect(analyzeCodeCommitAccess(user('alice', [west, deny]), REPOSITORIES, SCOPE).hasAccess).toBe(false);
    const otherAccount = managed('other', [
      {
        Effect: 'Allow',
        Action: 'codecommit:*',
        Resource: `arn:aws:codecommit:us-west-2:${OTHER_ACCOUNT}:*`,
      },
    ]);
    expect(analyzeCodeCommitAccess(user('alice', [otherAccount]), REPOSITORIES, SCOPE).hasAccess).toBe(false);
  });

  it('a grant conditioned on aws:RequestedRegion is judged per Region', () => {
    const onlyWest = managed('only-west', [
      {
        Effect: 'Allow',
        Action: 'codecommit:GitPull',
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': 'us-west-2' } },
      },
    ]);
    const access = analyzeCodeCommitAccess(user('alice', [onlyWest]), REPOSITORIES, SCOPE);
    expect(access.regions!.map((r) => r.region)).toEqual(['us-west-2']);
    expect(access.repositories[0]!.grants).toEqual([]);
  });
});
