// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables such as ${aws:username} are literal policy text here.
import { describe, expect, it } from 'vitest';
import {
  evaluateCondition,
  evaluateConditionBlock,
  isSupportedOperator,
  parseIamDate,
} from './conditions.js';
import { buildRequestValues } from './request-context.js';
import type { ContextValue, RequestContext } from './types.js';

function values(context: Record<string, ContextValue>, extra: Partial<RequestContext> = {}) {
  return buildRequestValues({
    action: 'codecommit:GitPush',
    resource: 'arn:aws:codecommit:us-east-1:1:r',
    context,
    ...extra,
  });
}

const condition = (
  operator: string,
  key: string,
  policyValues: unknown,
  context: Record<string, ContextValue>,
) => evaluateCondition(operator, key, policyValues, values(context));

describe('string operators', () => {
  it('StringEquals compares exactly and case-sensitively, with any of several values', () => {
    expect(condition('StringEquals', 'aws:username', 'alice', { 'aws:username': 'alice' })).toBe(true);
    expect(condition('StringEquals', 'aws:username', 'alice', { 'aws:username': 'Alice' })).toBe(false);
    expect(condition('StringEquals', 'aws:username', ['bob', 'alice'], { 'aws:username': 'alice' })).toBe(
      true,
    );
    // No wildcards in StringEquals: `*` is a literal asterisk.
    expect(condition('StringEquals', 'aws:username', 'ali*', { 'aws:username': 'alice' })).toBe(false);
    expect(condition('StringEquals', 'aws:username', 'ali*', { 'aws:username': 'ali*' })).toBe(true);
  });

  it('StringNotEquals holds when the value matches none of the policy values', () => {
    expect(condition('StringNotEquals', 'aws:username', ['bob', 'carol'], { 'aws:username': 'alice' })).toBe(
      true,
    );
    expect(condition('StringNotEquals', 'aws:username', ['bob', 'alice'], { 'aws:username': 'alice' })).toBe(
      false,
    );
  });

  it('StringEqualsIgnoreCase and StringNotEqualsIgnoreCase ignore case', () => {
    expect(condition('StringEqualsIgnoreCase', 'aws:username', 'ALICE', { 'aws:username': 'alice' })).toBe(
      true,
    );
    expect(condition('StringNotEqualsIgnoreCase', 'aws:username', 'ALICE', { 'aws:username': 'alice' })).toBe(
      false,
    );
    expect(condition('StringNotEqualsIgnoreCase', 'aws:username', 'BOB', { 'aws:username': 'alice' })).toBe(
      true,
    );
  });

  it('StringLike and StringNotLike take `*` and `?` as wildcards', () => {
    expect(
      condition('StringLike', 'codecommit:References', 'refs/heads/*', {
        'codecommit:References': 'refs/heads/main',
      }),
    ).toBe(true);
    expect(condition('StringLike', 'aws:username', 'al?ce', { 'aws:username': 'alice' })).toBe(true);
    expect(condition('StringLike', 'aws:username', 'al?ce', { 'aws:username': 'allice' })).toBe(false);
    expect(condition('StringLike', 'aws:username', 'AL*', { 'aws:username': 'alice' })).toBe(false);
    expect(condition('StringNotLike', 'aws:username', ['b*', 'c*'], { 'aws:username': 'alice' })).toBe(true);
    expect(condition('StringNotLike', 'aws:username', ['a*'], { 'aws:username': 'alice' })).toBe(false);
  });

  it('reads condition key names case-insensitively', () => {
    expect(condition('StringEquals', 'AWS:UserName', 'alice', { 'aws:username': 'alice' })).toBe(true);
    expect(condition('StringEquals', 'aws:PrincipalTag/Team', 'a', { 'aws:principaltag/team': 'a' })).toBe(
      true,
    );
  });

  it('escapes ${*}, ${?} and ${$} stand for the literal characters', () => {
    expect(condition('StringLike', 'aws:username', 'a${*}', { 'aws:username': 'a*' })).toBe(true);
    expect(condition('StringLike', 'aws:username', 'a${*}', { 'aws:username': 'ab' })).toBe(false);
    expect(condition('StringLike', 'aws:username', 'a${?}', { 'aws:username': 'a?' })).toBe(true);
    expect(condition('StringEquals', 'aws:username', '${$}x', { 'aws:username': '$x' })).toBe(true);
  });
});

describe('policy variables in condition values', () => {
  it('replaces ${key} with the request value, case-insensitively by key', () => {
    const context = { 'aws:username': 'alice', 'aws:PrincipalTag/team': 'alpha' };
    expect(condition('StringEquals', 'aws:PrincipalTag/team', '${aws:PrincipalTag/team}', context)).toBe(
      true,
    );
    expect(condition('StringLike', 'aws:username', '${AWS:USERNAME}', context)).toBe(true);
    expect(
      condition('StringEquals', 'aws:username', 'x-${aws:username}', { 'aws:username': 'x-alice' }),
    ).toBe(false);
  });

  it('a substituted value is literal text, not a wildcard', () => {
    expect(
      condition('StringLike', 'aws:PrincipalTag/x', '${aws:username}', {
        'aws:username': '*',
        'aws:PrincipalTag/x': 'bob',
      }),
    ).toBe(false);
  });

  it('a missing variable never matches, for positive and negated operators alike', () => {
    expect(
      condition('StringEquals', 'aws:username', '${aws:PrincipalTag/team}', { 'aws:username': 'alice' }),
    ).toBe(false);
    expect(
      condition('StringNotEquals', 'aws:username', '${aws:PrincipalTag/team}', { 'aws:username': 'alice' }),
    ).toBe(false);
    // Another value can still match.
    expect(
      condition('StringEquals', 'aws:username', ['${aws:PrincipalTag/team}', 'alice'], {
        'aws:username': 'alice',
      }),
    ).toBe(true);
  });

  it("uses a variable's default when the key is missing", () => {
    expect(
      condition('StringEquals', 'aws:username', "${aws:PrincipalTag/owner, 'alice'}", {
        'aws:username': 'alice',
      }),
    ).toBe(true);
  });

  it('a multi-valued key cannot be a variable', () => {
    expect(
      condition('StringEquals', 'aws:username', '${aws:TagKeys}', {
        'aws:username': 'a',
        'aws:TagKeys': ['a'],
      }),
    ).toBe(false);
  });
});

describe('ARN operators', () => {
  const principal = { 'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/admin/ops' };
  it('ArnLike and ArnEquals match segment by segment with wildcards', () => {
    expect(condition('ArnLike', 'aws:PrincipalArn', 'arn:aws:iam::111111111111:role/*', principal)).toBe(
      true,
    );
    expect(condition('ArnEquals', 'aws:PrincipalArn', 'arn:aws:iam::*:role/admin/ops', principal)).toBe(true);
    expect(condition('ArnLike', 'aws:PrincipalArn', 'arn:aws:iam::222222222222:role/*', principal)).toBe(
      false,
    );
    expect(
      condition('ArnLike', 'aws:PrincipalArn', 'arn:aws:iam::?11111111111:role/admin/ops', principal),
    ).toBe(true);
  });

  it('is case-sensitive', () => {
    expect(
      condition('ArnLike', 'aws:PrincipalArn', 'arn:aws:iam::111111111111:role/ADMIN/*', principal),
    ).toBe(false);
  });

  it('ArnNotLike and ArnNotEquals hold when no value matches; an invalid ARN satisfies neither', () => {
    expect(condition('ArnNotLike', 'aws:PrincipalArn', 'arn:aws:iam::222222222222:*', principal)).toBe(true);
    expect(condition('ArnNotEquals', 'aws:PrincipalArn', 'arn:aws:iam::111111111111:role/*', principal)).toBe(
      false,
    );
    expect(condition('ArnLike', 'aws:PrincipalArn', 'not-an-arn', principal)).toBe(false);
    expect(condition('ArnNotLike', 'aws:PrincipalArn', 'not-an-arn', principal)).toBe(false);
  });

  it('a missing variable fails ArnNotLike too, unless another segment already rules the ARN out', () => {
    const pattern = 'arn:aws:iam::111111111111:role/${aws:username}';
    expect(condition('ArnNotLike', 'aws:PrincipalArn', pattern, principal)).toBe(false);
    const otherAccount = 'arn:aws:iam::222222222222:role/${aws:username}';
    expect(condition('ArnNotLike', 'aws:PrincipalArn', otherAccount, principal)).toBe(true);
  });

  it('resolves variables, also where they contain a colon', () => {
    const context = { ...principal, 'aws:PrincipalAccount': '111111111111' };
    expect(
      condition('ArnLike', 'aws:PrincipalArn', 'arn:aws:iam::${aws:PrincipalAccount}:role/*', context),
    ).toBe(true);
  });
});

describe('IP address operators', () => {
  it.each([
    ['IpAddress', '10.0.0.0/8', '10.1.2.3', true],
    ['IpAddress', '10.0.0.0/8', '11.1.2.3', false],
    ['IpAddress', '203.0.113.7', '203.0.113.7', true],
    ['IpAddress', '203.0.113.0/31', '203.0.113.1', true],
    ['IpAddress', '203.0.113.0/31', '203.0.113.2', false],
    ['IpAddress', '0.0.0.0/0', '198.51.100.1', true],
    ['IpAddress', '2001:DB8:1234:5678::/64', '2001:db8:1234:5678:abcd::1', true],
    ['IpAddress', '2001:db8::/32', '2001:db9::1', false],
    ['IpAddress', '::ffff:192.0.2.0/120', '::ffff:192.0.2.77', true],
    ['IpAddress', '2001:db8::/32', '10.1.2.3', false],
    ['NotIpAddress', '10.0.0.0/8', '192.168.1.1', true],
    ['NotIpAddress', '10.0.0.0/8', '10.9.9.9', false],
    ['NotIpAddress', '2001:db8::/32', '10.1.2.3', true],
    ['IpAddress', '10.0.0.0/33', '10.1.2.3', false],
    ['NotIpAddress', 'not-an-ip', '10.1.2.3', false],
    ['IpAddress', '10.0.0.0/8', '10.1.2.300', false],
  ] as const)('%s %s with %s → %s', (operator, range, address, expected) => {
    expect(condition(operator, 'aws:SourceIp', range, { 'aws:SourceIp': address })).toBe(expected);
  });

  it('NotIpAddress holds on a missing key; any of several ranges matches', () => {
    expect(condition('NotIpAddress', 'aws:SourceIp', '10.0.0.0/8', {})).toBe(true);
    expect(
      condition('IpAddress', 'aws:SourceIp', ['192.168.0.0/16', '10.0.0.0/8'], {
        'aws:SourceIp': '10.0.0.1',
      }),
    ).toBe(true);
  });
});

describe('Bool', () => {
  it('compares true/false case-insensitively; JSON booleans count as their text', () => {
    expect(condition('Bool', 'aws:SecureTransport', 'true', { 'aws:SecureTransport': true })).toBe(true);
    expect(condition('Bool', 'aws:SecureTransport', 'TRUE', { 'aws:SecureTransport': 'true' })).toBe(true);
    expect(condition('Bool', 'aws:SecureTransport', false, { 'aws:SecureTransport': 'false' })).toBe(true);
    expect(condition('Bool', 'aws:SecureTransport', 'false', { 'aws:SecureTransport': true })).toBe(false);
    expect(condition('Bool', 'aws:SecureTransport', 'yes', { 'aws:SecureTransport': 'true' })).toBe(false);
  });
});

describe('numeric operators', () => {
  const age = { 'aws:MultiFactorAuthAge': 3600 };
  it.each([
    ['NumericEquals', '3600', true],
    ['NumericEquals', '3600.0', true],
    ['NumericNotEquals', '3600', false],
    ['NumericNotEquals', '60', true],
    ['NumericLessThan', '3601', true],
    ['NumericLessThan', '3600', false],
    ['NumericLessThanEquals', '3600', true],
    ['NumericGreaterThan', '3599.5', true],
    ['NumericGreaterThan', '3600', false],
    ['NumericGreaterThanEquals', '3600', true],
    ['NumericEquals', 'abc', false],
    ['NumericNotEquals', 'abc', false],
  ] as const)('%s %s → %s', (operator, value, expected) => {
    expect(condition(operator, 'aws:MultiFactorAuthAge', value, age)).toBe(expected);
  });
});

describe('date operators', () => {
  const now = { 'aws:CurrentTime': new Date('2026-06-15T12:00:00Z') };
  it.each([
    ['DateEquals', '2026-06-15T12:00:00Z', true],
    ['DateNotEquals', '2026-06-15T12:00:00Z', false],
    ['DateNotEquals', '2026-01-01', true],
    ['DateLessThan', '2026-07-01T00:00:00Z', true],
    ['DateLessThan', '2026-06-15T12:00:00Z', false],
    ['DateLessThanEquals', '2026-06-15T12:00:00Z', true],
    ['DateGreaterThan', '2026-01-01', true],
    ['DateGreaterThan', '2027-01-01', false],
    ['DateGreaterThanEquals', '2026-06-15T14:00:00+02:00', true],
    // Epoch seconds are the same instant as the ISO text.
    ['DateEquals', String(Date.parse('2026-06-15T12:00:00Z') / 1000), true],
    ['DateEquals', 'next tuesday', false],
  ] as const)('%s %s → %s', (operator, value, expected) => {
    expect(condition(operator, 'aws:CurrentTime', value, now)).toBe(expected);
  });

  it('parses W3C ISO 8601 dates and epoch seconds only', () => {
    expect(parseIamDate('2026-01-01')).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(parseIamDate('1767225600')).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(parseIamDate('Jan 1 2026')).toBeUndefined();
  });
});

describe('missing keys, IfExists and Null', () => {
  it('a positive operator does not match a missing key; its IfExists form does', () => {
    expect(condition('StringEquals', 'aws:username', 'alice', {})).toBe(false);
    expect(condition('StringEqualsIfExists', 'aws:username', 'alice', {})).toBe(true);
    expect(condition('StringEqualsIfExists', 'aws:username', 'alice', { 'aws:username': 'bob' })).toBe(false);
    expect(condition('BoolIfExists', 'aws:MultiFactorAuthPresent', 'false', {})).toBe(true);
    expect(condition('NumericLessThanIfExists', 'aws:MultiFactorAuthAge', '10', {})).toBe(true);
    expect(condition('DateLessThanIfExists', 'aws:CurrentTime', '2020-01-01', {})).toBe(true);
    expect(condition('ArnLikeIfExists', 'aws:SourceArn', 'arn:aws:s3:::*', {})).toBe(true);
  });

  it('a negated operator matches a missing key', () => {
    expect(condition('StringNotEquals', 'aws:username', 'alice', {})).toBe(true);
    expect(condition('ArnNotLike', 'aws:PrincipalArn', 'arn:aws:iam::*:role/*', {})).toBe(true);
    expect(condition('NumericNotEquals', 'aws:MultiFactorAuthAge', '1', {})).toBe(true);
  });

  it('Null: "true" matches a missing key, "false" a present one', () => {
    expect(condition('Null', 'codecommit:References', 'true', {})).toBe(true);
    expect(condition('Null', 'codecommit:References', 'false', {})).toBe(false);
    expect(
      condition('Null', 'codecommit:References', false, { 'codecommit:References': 'refs/heads/main' }),
    ).toBe(true);
    expect(
      condition('Null', 'codecommit:References', 'true', { 'codecommit:References': 'refs/heads/main' }),
    ).toBe(false);
  });
});

describe('multi-valued keys and set operators', () => {
  const tags = { 'aws:TagKeys': ['env', 'team'] };
  it('ForAnyValue holds when some request value matches', () => {
    expect(condition('ForAnyValue:StringEquals', 'aws:TagKeys', ['team'], tags)).toBe(true);
    expect(condition('ForAnyValue:StringEquals', 'aws:TagKeys', ['owner'], tags)).toBe(false);
    expect(condition('ForAnyValue:StringLike', 'aws:TagKeys', ['t*'], tags)).toBe(true);
  });

  it('ForAllValues holds when every request value matches some policy value', () => {
    expect(condition('ForAllValues:StringEquals', 'aws:TagKeys', ['env', 'team', 'owner'], tags)).toBe(true);
    expect(condition('ForAllValues:StringEquals', 'aws:TagKeys', ['env'], tags)).toBe(false);
  });

  it('missing key: ForAllValues holds, ForAnyValue does not', () => {
    expect(condition('ForAllValues:StringEquals', 'aws:TagKeys', ['env'], {})).toBe(true);
    expect(condition('ForAnyValue:StringEquals', 'aws:TagKeys', ['env'], {})).toBe(false);
    expect(condition('ForAnyValue:StringNotEquals', 'aws:TagKeys', ['env'], {})).toBe(false);
  });

  it('an empty list: ForAllValues holds, ForAnyValue does not', () => {
    expect(condition('ForAllValues:StringEquals', 'aws:TagKeys', ['env'], { 'aws:TagKeys': [] })).toBe(true);
    expect(condition('ForAnyValue:StringEquals', 'aws:TagKeys', ['env'], { 'aws:TagKeys': [] })).toBe(false);
  });

  it('negated operators under a set operator apply per request value', () => {
    // Some tag key is not "env".
    expect(condition('ForAnyValue:StringNotEquals', 'aws:TagKeys', ['env'], tags)).toBe(true);
    // Every tag key is neither "env" nor "team".
    expect(condition('ForAllValues:StringNotEquals', 'aws:TagKeys', ['env'], tags)).toBe(false);
    expect(condition('ForAllValues:StringNotLike', 'aws:TagKeys', ['x*'], tags)).toBe(true);
  });

  it('a set operator on a single-valued key treats it as a one-value set', () => {
    expect(
      condition('ForAnyValue:StringEquals', 'aws:username', ['alice'], { 'aws:username': 'alice' }),
    ).toBe(true);
  });

  it('a single-valued operator on a multi-valued key does not match, negated or IfExists included', () => {
    expect(condition('StringEquals', 'aws:TagKeys', ['env'], { 'aws:TagKeys': ['env'] })).toBe(false);
    expect(condition('StringNotEquals', 'aws:TagKeys', ['x'], tags)).toBe(false);
    expect(condition('StringEqualsIfExists', 'aws:TagKeys', ['env'], tags)).toBe(false);
  });

  it('codecommit:References is single-valued (AWS types it String): a one-element list is its value', () => {
    const references = { 'codecommit:References': ['refs/heads/main'] };
    expect(condition('StringEqualsIfExists', 'codecommit:References', ['refs/heads/main'], references)).toBe(
      true,
    );
    expect(
      condition('ForAnyValue:StringEquals', 'codecommit:References', ['refs/heads/main'], references),
    ).toBe(true);
  });
});

describe('operators this evaluator does not know, and keys it cannot know', () => {
  it('an unknown operator is undecided, never a silent match or mismatch', () => {
    expect(condition('BinaryEquals', 'aws:x', 'QmluYXJ5', { 'aws:x': 'QmluYXJ5' })).toEqual({
      unknown: 'unsupported condition operator BinaryEquals',
    });
    expect(condition('StringEqualsFancy', 'aws:username', 'a', {})).toHaveProperty('unknown');
    expect(condition('ForSomeValues:StringEquals', 'aws:username', 'a', {})).toHaveProperty('unknown');
    expect(isSupportedOperator('ForAllValues:StringLikeIfExists')).toBe(true);
    expect(isSupportedOperator('stringequals')).toBe(true);
    expect(isSupportedOperator('BinaryEquals')).toBe(false);
  });

  it("with missingKeys 'unknown', a condition on a key the request does not hold is undecided", () => {
    const analysis = values(
      { 'aws:username': 'alice' },
      { missingKeys: 'unknown', knownAbsentKeys: ['aws:PrincipalTag/*'] },
    );
    expect(evaluateCondition('Bool', 'aws:MultiFactorAuthPresent', 'true', analysis)).toHaveProperty(
      'unknown',
    );
    expect(evaluateCondition('Null', 'aws:SourceIp', 'true', analysis)).toHaveProperty('unknown');
    expect(evaluateCondition('StringEquals', 'aws:PrincipalTag/team', 'a', analysis)).toBe(false);
    expect(evaluateCondition('StringEquals', 'aws:username', '${aws:userid}', analysis)).toHaveProperty(
      'unknown',
    );
  });

  it('a block ANDs its conditions: one false decides, else one undecided leaves it open', () => {
    const request = values({ 'aws:username': 'alice' });
    expect(
      evaluateConditionBlock({ StringEquals: { 'aws:username': 'bob' }, Fancy: { k: 'v' } }, request),
    ).toBe(false);
    expect(
      evaluateConditionBlock({ StringEquals: { 'aws:username': 'alice' }, Fancy: { k: 'v' } }, request),
    ).toHaveProperty('unknown');
    expect(evaluateConditionBlock({ StringEquals: { 'aws:username': 'alice' } }, request)).toBe(true);
    expect(evaluateConditionBlock(undefined, request)).toBe(true);
  });
});
