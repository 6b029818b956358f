import { describe, expect, it } from 'vitest';
import { parseRoleArn } from './role-arn.js';

const GOOD = 'arn:aws:iam::123456789012:role/cce-codecommit-role';

function failure(input: string) {
  const r = parseRoleArn(input);
  if (r.ok) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  expect(r.code).toBe('invalid_role_arn');
  return r;
}

describe('parseRoleArn', () => {
  it('accepts a plain role ARN', () => {
    expect(parseRoleArn(GOOD)).toEqual({
      ok: true,
      arn: GOOD,
      partition: 'aws',
      accountId: '123456789012',
      roleName: 'cce-codecommit-role',
      path: '/',
    });
  });

  it('trims leading and trailing whitespace, line breaks included', () => {
    const r = parseRoleArn(`  \t${GOOD}\n `);
    expect(r.ok && r.arn).toBe(GOOD);
  });

  it('accepts a role with a path and all allowed name characters', () => {
    const r = parseRoleArn('arn:aws:iam::123456789012:role/service/team-a/Name+=,.@_-1');
    expect(r).toMatchObject({ ok: true, roleName: 'Name+=,.@_-1', path: '/service/team-a/' });
  });

  it('accepts GovCloud and China partitions', () => {
    expect(parseRoleArn('arn:aws-us-gov:iam::123456789012:role/r')).toMatchObject({
      ok: true,
      partition: 'aws-us-gov',
    });
    expect(parseRoleArn('arn:aws-cn:iam::123456789012:role/r')).toMatchObject({
      ok: true,
      partition: 'aws-cn',
    });
  });

  it('names a space inside the ARN and where it is', () => {
    const r = failure('arn:aws:iam::123456789012:role/cce codecommit');
    expect(r.message).toContain('a space at position 35');
    expect(r.details).toEqual({ part: 'role-name', character: ' ', position: 35 });
  });

  it('names a space in the account id as an account problem', () => {
    const r = failure('arn:aws:iam::123456 789012:role/r');
    expect(r.details).toMatchObject({ part: 'account', position: 20 });
  });

  it('names invisible characters (zero-width space, non-breaking space)', () => {
    expect(failure(`arn:aws:iam::123456789012:role/a\u200bb`).message).toContain('U+200B');
    expect(failure(`arn:aws:iam::123456789012:\u00a0role/a`).message).toContain('non-breaking space');
  });

  it('rejects an empty value', () => {
    expect(failure('   ').details.part).toBe('prefix');
  });

  it('rejects a wrong prefix', () => {
    const r = failure('ARN:aws:iam::123456789012:role/r');
    expect(r.details.part).toBe('prefix');
    expect(r.message).toContain("'ARN'");
  });

  it('rejects too few parts', () => {
    expect(failure('arn:aws:iam::role/r').details.part).toBe('prefix');
  });

  it('rejects an unknown partition', () => {
    const r = failure('arn:aws-moon:iam::123456789012:role/r');
    expect(r.details.part).toBe('partition');
    expect(r.message).toContain("'aws-moon'");
  });

  it('rejects the wrong service', () => {
    const r = failure('arn:aws:s3::123456789012:role/r');
    expect(r.details.part).toBe('service');
    expect(r.message).toContain("service is 's3', expected 'iam'");
  });

  it('explains an assumed-role session ARN', () => {
    const r = failure('arn:aws:sts::123456789012:assumed-role/Deploy/alice');
    expect(r.details.part).toBe('service');
    expect(r.message).toContain('arn:aws:iam::123456789012:role/Deploy');
  });

  it('rejects a region in an IAM ARN', () => {
    expect(failure('arn:aws:iam:us-east-1:123456789012:role/r').details.part).toBe('region');
  });

  it('rejects account ids of the wrong length', () => {
    const short = failure('arn:aws:iam::12345678901:role/r');
    expect(short.details.part).toBe('account');
    expect(short.message).toContain('account id has 11 digits, expected 12');
    expect(failure('arn:aws:iam::1234567890123:role/r').message).toContain('13 digits');
    expect(failure('arn:aws:iam:::role/r').message).toContain('missing');
  });

  it('rejects a non-digit in the account id with its position', () => {
    const r = failure('arn:aws:iam::12345678901O:role/r');
    expect(r.details).toEqual({ part: 'account', character: 'O', position: 25 });
  });

  it('rejects a user ARN', () => {
    const r = failure('arn:aws:iam::123456789012:user/alice');
    expect(r.details.part).toBe('resource-type');
    expect(r.message).toContain("resource is 'user/alice', expected 'role/");
  });

  it('rejects characters IAM does not allow in role names', () => {
    const r = failure('arn:aws:iam::123456789012:role/bad;name');
    expect(r.message).toContain("role name contains ';' which IAM does not allow");
    expect(r.details).toEqual({ part: 'role-name', character: ';', position: 35 });
    expect(failure('arn:aws:iam::123456789012:role/a:b').details.character).toBe(':');
    expect(failure('arn:aws:iam::123456789012:role/é').details.character).toBe('é');
  });

  it('rejects a missing or too long role name', () => {
    expect(failure('arn:aws:iam::123456789012:role/').message).toContain('missing');
    expect(failure(`arn:aws:iam::123456789012:role/${'a'.repeat(65)}`).message).toContain('65 characters');
  });

  it('rejects an empty path segment', () => {
    expect(failure('arn:aws:iam::123456789012:role/a//b').details.part).toBe('role-name');
  });
});
