import { describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../scenario/schema.js';
import { evaluatePolicies, wildcardMatch } from './evaluate.js';

// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template literal
const SELF_USER = 'arn:aws:iam::*:user/${aws:username}';

const doc = (...Statement: PolicyDocument['Statement'][]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: Statement.flat(),
});

describe('evaluatePolicies', () => {
  it('matches actions case-insensitively with wildcards, resources case-sensitively', () => {
    const d = doc({ Effect: 'Allow', Action: 'CodeCommit:List*', Resource: 'arn:aws:codecommit:*:*:web-*' });
    expect(
      evaluatePolicies([d], {
        action: 'codecommit:ListBranches',
        resource: 'arn:aws:codecommit:us-east-1:1:web-app',
      }),
    ).toBe('allow');
    expect(
      evaluatePolicies([d], {
        action: 'codecommit:GetBranch',
        resource: 'arn:aws:codecommit:us-east-1:1:web-app',
      }),
    ).toBe('implicit-deny');
    expect(
      evaluatePolicies([d], {
        action: 'codecommit:ListBranches',
        resource: 'arn:aws:codecommit:us-east-1:1:Web-app',
      }),
    ).toBe('implicit-deny');
    expect(wildcardMatch('a?c', 'abc')).toBe(true);
  });

  it('lets an explicit Deny win, and honours NotAction and NotResource', () => {
    const d = doc(
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', NotAction: ['iam:Get*', 'iam:List*'], NotResource: 'arn:aws:s3:::open/*' },
    );
    expect(evaluatePolicies([d], { action: 'iam:ListUsers', resource: '*' })).toBe('allow');
    expect(evaluatePolicies([d], { action: 'iam:CreateRole', resource: '*' })).toBe('explicit-deny');
    expect(evaluatePolicies([d], { action: 's3:PutObject', resource: 'arn:aws:s3:::open/x' })).toBe('allow');
  });

  it('evaluates conditions: missing keys, IfExists, Null, negation', () => {
    const d = doc({
      Effect: 'Deny',
      Action: 'codecommit:GitPush',
      Resource: '*',
      Condition: {
        StringEqualsIfExists: { 'codecommit:References': ['refs/heads/main'] },
        Null: { 'codecommit:References': 'false' },
      },
    });
    const push = (ref?: string) =>
      evaluatePolicies([d], {
        action: 'codecommit:GitPush',
        resource: '*',
        keys: ref ? { 'codecommit:References': ref } : {},
      });
    expect(push('refs/heads/main')).toBe('explicit-deny');
    expect(push('refs/heads/dev')).toBe('implicit-deny');
    expect(push()).toBe('implicit-deny');
    const trust = doc({
      Effect: 'Allow',
      Principal: { AWS: '444455556666' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': 'x' } },
    });
    const principal = { arn: 'arn:aws:iam::444455556666:user/p', accountId: '444455556666' };
    expect(
      evaluatePolicies([trust], {
        action: 'sts:AssumeRole',
        resource: '*',
        principal,
        keys: { 'sts:ExternalId': 'x' },
      }),
    ).toBe('allow');
    expect(evaluatePolicies([trust], { action: 'sts:AssumeRole', resource: '*', principal, keys: {} })).toBe(
      'implicit-deny',
    );
    expect(
      evaluatePolicies([trust], {
        action: 'sts:AssumeRole',
        resource: '*',
        principal: { arn: 'arn:aws:iam::1:root', accountId: '000000000001' },
      }),
    ).toBe('implicit-deny');
    const notEquals = doc({
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
    });
    expect(
      evaluatePolicies([notEquals], {
        action: 'x:Y',
        resource: '*',
        keys: { 'aws:RequestedRegion': 'us-east-1' },
      }),
    ).toBe('allow');
    expect(
      evaluatePolicies([notEquals], {
        action: 'x:Y',
        resource: '*',
        keys: { 'aws:requestedregion': 'eu-west-1' },
      }),
    ).toBe('implicit-deny');
  });

  it('substitutes policy variables', () => {
    const d = doc({
      Effect: 'Allow',
      Action: 'iam:ListSSHPublicKeys',
      Resource: SELF_USER,
    });
    expect(
      evaluatePolicies([d], {
        action: 'iam:ListSSHPublicKeys',
        resource: 'arn:aws:iam::1:user/bob',
        keys: { 'aws:username': 'bob' },
      }),
    ).toBe('allow');
    expect(
      evaluatePolicies([d], { action: 'iam:ListSSHPublicKeys', resource: 'arn:aws:iam::1:user/bob' }),
    ).toBe('implicit-deny');
  });
});
