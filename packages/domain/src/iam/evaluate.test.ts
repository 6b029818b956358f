// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables such as ${aws:username} are literal policy text here.
import { describe, expect, it } from 'vitest';
import {
  describeStatementRef,
  evaluatePolicies,
  evaluatePrincipal,
  explainDecision,
  principalRequestContext,
} from './evaluate.js';
import type { NamedPolicy, PolicyStatement, PrincipalPolicies, RequestContext } from './types.js';

const ACCOUNT = '111111111111';
const REPO = `arn:aws:codecommit:us-east-1:${ACCOUNT}:MyRepo`;

function managed(name: string, statements: PolicyStatement[], viaGroup?: string): NamedPolicy {
  return {
    source: {
      kind: 'managed',
      policyArn: `arn:aws:iam::${ACCOUNT}:policy/${name}`,
      ...(viaGroup ? { viaGroup } : {}),
    },
    document: { Version: '2012-10-17', Statement: statements },
  };
}

const push: RequestContext = { action: 'codecommit:GitPush', resource: REPO };
const allowAll: PolicyStatement = { Effect: 'Allow', Action: 'codecommit:*', Resource: '*' };

describe('evaluatePolicies', () => {
  it('denies by default', () => {
    expect(evaluatePolicies([], push).decision).toBe('implicit_deny');
    expect(
      evaluatePolicies(
        [managed('p', [{ Effect: 'Allow', Action: 'codecommit:GitPull', Resource: '*' }])],
        push,
      ).decision,
    ).toBe('implicit_deny');
  });

  it('allows when a statement matches, and names every matching Allow in policy order', () => {
    const result = evaluatePolicies(
      [
        managed('a', [allowAll]),
        managed('b', [{ Sid: 'Push', Effect: 'Allow', Action: 'codecommit:GitPush', Resource: REPO }]),
      ],
      push,
    );
    expect(result.decision).toBe('allow');
    expect(
      result.allowedBy.map((ref) => [ref.index, ref.sid, (ref.source as { policyArn: string }).policyArn]),
    ).toEqual([
      [0, undefined, `arn:aws:iam::${ACCOUNT}:policy/a`],
      [0, 'Push', `arn:aws:iam::${ACCOUNT}:policy/b`],
    ]);
    expect(result.allowedBy[1]!.statement.Action).toBe('codecommit:GitPush');
  });

  it('an explicit Deny wins over any Allow, in any policy', () => {
    const result = evaluatePolicies(
      [
        managed('a', [allowAll]),
        managed('b', [{ Sid: 'NoPush', Effect: 'Deny', Action: 'codecommit:GitPush', Resource: '*' }]),
      ],
      push,
    );
    expect(result.decision).toBe('explicit_deny');
    expect(result.deniedBy.map((ref) => ref.sid)).toEqual(['NoPush']);
    expect(result.allowedBy).toHaveLength(1);
  });

  it('accepts a single statement object and string or list elements', () => {
    const policy: NamedPolicy = {
      source: { kind: 'inline', ownerArn: `arn:aws:iam::${ACCOUNT}:user/alice`, policyName: 'own' },
      document: { Statement: { Effect: 'Allow', Action: ['codecommit:Git*'], Resource: [REPO] } },
    };
    expect(evaluatePolicies([policy], push).decision).toBe('allow');
  });

  it('NotAction allows everything but the listed actions', () => {
    const policies = [
      managed('p', [{ Effect: 'Allow', NotAction: ['codecommit:Delete*', 'iam:*'], Resource: '*' }]),
    ];
    expect(evaluatePolicies(policies, push).decision).toBe('allow');
    expect(
      evaluatePolicies(policies, { action: 'codecommit:DeleteRepository', resource: REPO }).decision,
    ).toBe('implicit_deny');
  });

  it('NotResource with Deny protects everything but the listed resources', () => {
    const policies = [
      managed('p', [
        allowAll,
        { Effect: 'Deny', Action: 'codecommit:*', NotResource: `arn:aws:codecommit:*:${ACCOUNT}:sandbox-*` },
      ]),
    ];
    expect(evaluatePolicies(policies, push).decision).toBe('explicit_deny');
    expect(
      evaluatePolicies(policies, { ...push, resource: `arn:aws:codecommit:us-east-1:${ACCOUNT}:sandbox-1` })
        .decision,
    ).toBe('allow');
  });

  it('a Resource with ${aws:username} gives each user their own repository', () => {
    const policies = [
      managed('p', [
        {
          Effect: 'Allow',
          Action: 'codecommit:*',
          Resource: `arn:aws:codecommit:*:${ACCOUNT}:\${aws:username}`,
        },
      ]),
    ];
    const own = { action: 'codecommit:GitPush', resource: `arn:aws:codecommit:us-east-1:${ACCOUNT}:alice` };
    expect(evaluatePolicies(policies, { ...own, context: { 'aws:username': 'alice' } }).decision).toBe(
      'allow',
    );
    expect(evaluatePolicies(policies, { ...own, context: { 'aws:username': 'bob' } }).decision).toBe(
      'implicit_deny',
    );
    // No aws:username (a role): the statement does not match.
    expect(evaluatePolicies(policies, own).decision).toBe('implicit_deny');
  });

  describe('undecided statements', () => {
    const fancyAllow: PolicyStatement = {
      Sid: 'FromOffice',
      Effect: 'Allow',
      Action: 'codecommit:*',
      Resource: '*',
      Condition: { BinaryEquals: { 'aws:x': 'QmluYXJ5' } },
    };
    const fancyDeny: PolicyStatement = {
      ...fancyAllow,
      Sid: 'NotFromOffice',
      Effect: 'Deny',
      Condition: { BinaryEquals: { 'aws:y': 'QmluYXJ5' } },
    };

    it('an undecided Allow alone gives unknown, with the statement and why', () => {
      const result = evaluatePolicies([managed('p', [fancyAllow])], push);
      expect(result.decision).toBe('unknown');
      expect(result.undecided).toEqual([
        {
          ref: expect.objectContaining({ sid: 'FromOffice', index: 0 }),
          reason: 'unsupported condition operator BinaryEquals',
        },
      ]);
    });

    it('an undecided Allow does not matter when another Allow matches', () => {
      expect(evaluatePolicies([managed('p', [fancyAllow, allowAll])], push).decision).toBe('allow');
    });

    it('an undecided Deny makes an Allow unknown', () => {
      expect(evaluatePolicies([managed('p', [allowAll, fancyDeny])], push).decision).toBe('unknown');
    });

    it('a matching Deny decides whatever is undecided', () => {
      const deny: PolicyStatement = { Effect: 'Deny', Action: 'codecommit:GitPush', Resource: '*' };
      expect(evaluatePolicies([managed('p', [fancyAllow, fancyDeny, deny])], push).decision).toBe(
        'explicit_deny',
      );
    });

    it('an unknown operator in a statement that does not apply changes nothing', () => {
      const other: PolicyStatement = { ...fancyDeny, Action: 'codecommit:DeleteRepository' };
      expect(evaluatePolicies([managed('p', [allowAll, other])], push).decision).toBe('allow');
      const failing: PolicyStatement = {
        ...fancyDeny,
        Condition: { ...fancyDeny.Condition, StringEquals: { 'aws:username': 'bob' } },
      };
      expect(
        evaluatePolicies([managed('p', [allowAll, failing])], {
          ...push,
          context: { 'aws:username': 'alice' },
        }).decision,
      ).toBe('allow');
    });

    it('a malformed statement is undecided, not ignored', () => {
      const malformed = { Effect: 'Allow', Resource: '*' } as PolicyStatement;
      expect(evaluatePolicies([managed('p', [malformed])], push).undecided[0]!.reason).toMatch(/Action/);
      const lowercaseEffect = { Effect: 'allow', Action: '*', Resource: '*' } as unknown as PolicyStatement;
      expect(evaluatePolicies([managed('p', [lowercaseEffect])], push).decision).toBe('unknown');
      const notAnObject = null as unknown as PolicyStatement;
      expect(evaluatePolicies([managed('p', [notAnObject])], push).undecided[0]!.reason).toBe(
        'statement is not an object',
      );
    });
  });
});

const alice: PrincipalPolicies = {
  arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  type: 'user',
  name: 'alice',
  policies: [managed('developers', [allowAll], 'developers')],
};

describe('evaluatePrincipal', () => {
  it('fills aws:username, aws:PrincipalArn, aws:PrincipalType and aws:PrincipalAccount for a user', () => {
    const context = principalRequestContext(alice, push).context;
    expect(context).toEqual({
      'aws:PrincipalArn': alice.arn,
      'aws:PrincipalType': 'User',
      'aws:PrincipalAccount': ACCOUNT,
      'aws:username': 'alice',
    });
  });

  it('sets aws:userid and principal tags only when known; a role has no aws:username', () => {
    const role: PrincipalPolicies = {
      arn: `arn:aws:iam::${ACCOUNT}:role/deploy`,
      type: 'role',
      name: 'deploy',
      policies: [],
      userId: 'AROAEXAMPLE:session',
      tags: { team: 'platform' },
    };
    const effective = principalRequestContext(role, {
      ...push,
      context: { 'aws:PrincipalType': 'AssumedRole' },
    });
    expect(effective.context).toEqual({
      'aws:PrincipalArn': role.arn,
      'aws:PrincipalAccount': ACCOUNT,
      'aws:userid': 'AROAEXAMPLE:session',
      'aws:PrincipalTag/team': 'platform',
      'aws:PrincipalType': 'AssumedRole',
    });
    expect(effective.knownAbsentKeys).toEqual(['aws:username', 'aws:PrincipalTag/*']);
  });

  it('resolves ${aws:userid} only when the principal’s id is known', () => {
    const own = managed('own', [
      {
        Effect: 'Allow',
        Action: 'codecommit:*',
        Resource: `arn:aws:codecommit:*:${ACCOUNT}:home-\${aws:userid}`,
      },
    ]);
    const request = {
      action: 'codecommit:GitPush',
      resource: `arn:aws:codecommit:us-east-1:${ACCOUNT}:home-AIDAEXAMPLE`,
    };
    expect(evaluatePrincipal({ ...alice, policies: [own], userId: 'AIDAEXAMPLE' }, request).decision).toBe(
      'allow',
    );
    expect(evaluatePrincipal({ ...alice, policies: [own] }, request).decision).toBe('implicit_deny');
    // In an analysis, an id that is not known might be the right one.
    expect(
      evaluatePrincipal({ ...alice, policies: [own] }, { ...request, missingKeys: 'unknown' }).decision,
    ).toBe('unknown');
  });

  it('lets the caller override a default, whatever the key case', () => {
    const context = principalRequestContext(alice, { ...push, context: { 'AWS:USERNAME': 'mallory' } })
      .context!;
    expect(context['aws:username']).toBeUndefined();
    expect(context['AWS:USERNAME']).toBe('mallory');
  });

  it('uses the filled-in keys in conditions', () => {
    const policy = managed('own', [
      {
        Effect: 'Allow',
        Action: 'codecommit:*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:username': 'alice' } },
      },
    ]);
    expect(evaluatePrincipal({ ...alice, policies: [policy] }, push).decision).toBe('allow');
    expect(evaluatePrincipal({ ...alice, name: 'bob', policies: [policy] }, push).decision).toBe(
      'implicit_deny',
    );
  });

  it('evaluates group policies with the user’s, and keeps the group in the evidence', () => {
    const denyGroup = managed(
      'no-push',
      [{ Effect: 'Deny', Action: 'codecommit:GitPush', Resource: '*' }],
      'contractors',
    );
    const result = evaluatePrincipal({ ...alice, policies: [...alice.policies, denyGroup] }, push);
    expect(result.decision).toBe('explicit_deny');
    expect(result.deniedBy[0]!.source).toMatchObject({ kind: 'managed', viaGroup: 'contractors' });
    expect(describeStatementRef(result.deniedBy[0]!)).toBe(
      `managed policy arn:aws:iam::${ACCOUNT}:policy/no-push via group contractors, statement 0`,
    );
  });

  describe('permissions boundary', () => {
    const boundary = (statements: PolicyStatement[]): NamedPolicy => ({
      source: { kind: 'boundary', policyArn: `arn:aws:iam::${ACCOUNT}:policy/boundary` },
      document: { Statement: statements },
    });

    it('allows only what both the identity policies and the boundary allow', () => {
      const readOnly = boundary([
        { Effect: 'Allow', Action: ['codecommit:Get*', 'codecommit:GitPull'], Resource: '*' },
      ]);
      const bounded = { ...alice, permissionsBoundary: readOnly };
      const pushResult = evaluatePrincipal(bounded, push);
      expect(pushResult.decision).toBe('implicit_deny');
      expect(pushResult.permissionsBoundaryDecision).toBe('implicit_deny');
      const pull = evaluatePrincipal(bounded, { action: 'codecommit:GitPull', resource: REPO });
      expect(pull.decision).toBe('allow');
      expect(pull.allowedBy.map((ref) => ref.source.kind)).toEqual(['managed', 'boundary']);
    });

    it('a boundary never grants what identity policies do not', () => {
      const everything = boundary([{ Effect: 'Allow', Action: '*', Resource: '*' }]);
      expect(
        evaluatePrincipal({ ...alice, policies: [], permissionsBoundary: everything }, push).decision,
      ).toBe('implicit_deny');
    });

    it('a Deny in the boundary denies', () => {
      const denying = boundary([allowAll, { Effect: 'Deny', Action: 'codecommit:GitPush', Resource: '*' }]);
      expect(evaluatePrincipal({ ...alice, permissionsBoundary: denying }, push).decision).toBe(
        'explicit_deny',
      );
    });

    it('an undecided boundary Allow leaves an identity Allow unknown', () => {
      const fancy = boundary([
        {
          Effect: 'Allow',
          Action: '*',
          Resource: '*',
          Condition: { BinaryEquals: { 'aws:x': 'QmluYXJ5' } },
        },
      ]);
      expect(evaluatePrincipal({ ...alice, permissionsBoundary: fancy }, push).decision).toBe('unknown');
    });

    it('null means no boundary', () => {
      expect(evaluatePrincipal({ ...alice, permissionsBoundary: null }, push).decision).toBe('allow');
    });
  });
});

describe('explainDecision', () => {
  it('says what decided, naming policies and statements', () => {
    const explained = explainDecision(alice, push);
    expect(explained.decision).toBe('allow');
    expect(explained.summary).toBe(
      `codecommit:GitPush on ${REPO} by ${alice.arn} is allowed by managed policy arn:aws:iam::${ACCOUNT}:policy/developers via group developers, statement 0`,
    );
    expect(explained.request.context?.['aws:username']).toBe('alice');
  });

  it('explains an implicit deny and a boundary that blocks', () => {
    expect(explainDecision({ ...alice, policies: [] }, push).summary).toMatch(/not allowed by any statement/);
    const boundary: NamedPolicy = {
      source: { kind: 'boundary', policyArn: 'arn:aws:iam::1:policy/b' },
      document: { Statement: [] },
    };
    expect(explainDecision({ ...alice, permissionsBoundary: boundary }, push).summary).toMatch(
      /not by the permissions boundary/,
    );
  });

  it('explains an undecided result with the reason', () => {
    const fancy = managed('fancy', [
      {
        Sid: 'Office',
        Effect: 'Allow',
        Action: '*',
        Resource: '*',
        Condition: { BinaryEquals: { 'aws:x': 'QmluYXJ5' } },
      },
    ]);
    expect(explainDecision({ ...alice, policies: [fancy] }, push).summary).toMatch(
      /cannot be decided: .*statement 0 \(Sid "Office"\): unsupported condition operator BinaryEquals/,
    );
  });
});
