import {
  analyzeCodeCommitAccess,
  type NamedPolicy,
  type PrincipalPolicies,
  type RepositoryRef,
} from '@codecommit-evidence/domain';
import { describe, expect, it } from 'vitest';
import { accessAnalysisKey, createAccessAnalyzer } from './access-analysis.js';
import { codeCommitScope } from './check-evidence.js';

const SCOPE = codeCommitScope({ accountId: '111122223333', region: 'us-east-1' });

const ACCOUNT = '111122223333';
const repo = (name: string): RepositoryRef => ({
  name,
  arn: `arn:aws:codecommit:us-east-1:${ACCOUNT}:${name}`,
  defaultBranch: 'main',
  tags: {},
});
const repos = [repo('alice-tools'), repo('bob-tools'), repo('shared')];

const groupPolicy = (statement: Record<string, unknown>): NamedPolicy => ({
  source: { kind: 'managed', policyArn: `arn:aws:iam::${ACCOUNT}:policy/team`, viaGroup: 'Team' },
  document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...statement }] },
});

const user = (
  name: string,
  policies: NamedPolicy[],
  extra: Partial<PrincipalPolicies> = {},
): PrincipalPolicies => ({
  arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
  type: 'user',
  name,
  userId: `AIDA${name.toUpperCase()}`,
  tags: {},
  policies,
  permissionsBoundary: null,
  ...extra,
});

describe('createAccessAnalyzer', () => {
  it('analyses principals with the same policy set once, and answers each with its own ARN', () => {
    const team = groupPolicy({ Action: 'codecommit:GitPull', Resource: '*' });
    const analyzer = createAccessAnalyzer(repos, SCOPE);
    const alice = analyzer.analyze(user('alice', [team]));
    const bob = analyzer.analyze(user('bob', [team]));
    expect(analyzer.distinct).toBe(1);
    expect(bob.principalArn).toBe(`arn:aws:iam::${ACCOUNT}:user/bob`);
    expect(bob).toEqual(analyzeCodeCommitAccess(user('bob', [team]), repos, SCOPE));
    expect(alice.repositories).toBe(bob.repositories);
  });

  it('keeps principals apart when a boundary differs', () => {
    const team = groupPolicy({ Action: 'codecommit:*', Resource: '*' });
    const boundary: NamedPolicy = {
      source: { kind: 'boundary', policyArn: `arn:aws:iam::${ACCOUNT}:policy/read-only` },
      document: { Statement: [{ Effect: 'Allow', Action: 'codecommit:Get*', Resource: '*' }] },
    };
    const analyzer = createAccessAnalyzer(repos, SCOPE);
    const free = analyzer.analyze(user('alice', [team]));
    const bounded = analyzer.analyze(user('bob', [team], { permissionsBoundary: boundary }));
    expect(analyzer.distinct).toBe(2);
    expect(free.level).toBe('admin');
    expect(bounded.level).toBe('read');
  });

  it('tells principals apart when a policy depends on who asks (policy variables, aws:username, tags)', () => {
    const own = groupPolicy({
      Action: 'codecommit:GitPush',
      Resource: `arn:aws:codecommit:us-east-1:${ACCOUNT}:\${aws:username}-*`,
    });
    const tagged = groupPolicy({
      Action: 'codecommit:GitPush',
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalTag/team': 'tools' } },
    });
    for (const policy of [own, tagged]) {
      const analyzer = createAccessAnalyzer(repos, SCOPE);
      const principals = [
        user('alice', [policy], { tags: { team: 'tools' } }),
        user('bob', [policy], { tags: {} }),
      ];
      for (const p of principals)
        expect(analyzer.analyze(p)).toEqual(analyzeCodeCommitAccess(p, repos, SCOPE));
      expect(analyzer.distinct).toBe(2);
      expect(accessAnalysisKey(principals[0]!)).not.toBe(accessAnalysisKey(principals[1]!));
    }
  });

  it('shares the analysis when only statements of other services name the principal (AWS managed policies do)', () => {
    const power: NamedPolicy = {
      source: {
        kind: 'managed',
        policyArn: 'arn:aws:iam::aws:policy/AWSCodeCommitPowerUser',
        viaGroup: 'Developers',
      },
      document: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['codecommit:*'], Resource: '*' },
          {
            Effect: 'Allow',
            Action: ['iam:UploadSSHPublicKey', 'iam:ListSSHPublicKeys'],
            Resource: 'arn:aws:iam::*:user/${aws:username}',
          },
        ],
      },
    };
    const analyzer = createAccessAnalyzer(repos, SCOPE);
    const principals = [user('alice', [power]), user('bob', [power])];
    for (const p of principals) expect(analyzer.analyze(p)).toEqual(analyzeCodeCommitAccess(p, repos, SCOPE));
    expect(analyzer.distinct).toBe(1);
    // NotAction may match CodeCommit: then the principal's own keys count.
    const not: NamedPolicy = {
      ...power,
      document: {
        Statement: [
          { Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:codecommit:*:*:${aws:username}-*' },
        ],
      },
    };
    const other = createAccessAnalyzer(repos, SCOPE);
    for (const p of [user('alice', [not]), user('bob', [not])])
      expect(other.analyze(p)).toEqual(analyzeCodeCommitAccess(p, repos, SCOPE));
    expect(other.distinct).toBe(2);
  });
});
