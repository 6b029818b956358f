import type { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { AwsError } from './errors.js';
import { assumeCustomerRole, type CredentialTarget, createCredentialCache, roleSessionName } from './role.js';

/** An STSClient stand-in: records AssumeRole inputs, answers after a tick with numbered credentials. */
function fakeSts(options: { fail?: () => Error | undefined; lifetimeMs?: number; now?: () => number } = {}) {
  const inputs: AssumeRoleCommand['input'][] = [];
  let n = 0;
  const client = {
    config: { region: async () => 'eu-west-1' },
    async send(command: AssumeRoleCommand) {
      inputs.push(command.input);
      await new Promise((r) => setTimeout(r, 5));
      const err = options.fail?.();
      if (err) throw err;
      n++;
      return {
        Credentials: {
          AccessKeyId: `ASIAEXAMPLE00000${n}`, // STS key ids are 16-128 characters
          SecretAccessKey: `secret${n}`,
          SessionToken: `token${n}`,
          Expiration: new Date((options.now ?? Date.now)() + (options.lifetimeMs ?? 3600_000)),
        },
        AssumedRoleUser: { Arn: 'arn:aws:sts::123456789012:assumed-role/r/s', AssumedRoleId: 'AROA:s' },
      };
    },
  };
  return { client: client as unknown as STSClient, inputs };
}

const target: CredentialTarget = {
  connectionId: '0d6c1a52-3f7e-4c59-9a57-5b1c2f1e9b10',
  roleArn: 'arn:aws:iam::123456789012:role/cce',
  externalId: 'ext-123',
  region: 'eu-west-1',
};

describe('roleSessionName', () => {
  it('identifies product and connection within AWS limits', () => {
    expect(roleSessionName('0d6c1a52-3f7e-4c59-9a57-5b1c2f1e9b10')).toBe(
      'cce-0d6c1a52-3f7e-4c59-9a57-5b1c2f1e9b10',
    );
    const long = roleSessionName(`x${'y'.repeat(100)} /#`);
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(roleSessionName('a b/c')).toBe('cce-a-b-c');
  });
});

describe('assumeCustomerRole', () => {
  it('sends the External ID, session name and a one-hour duration', async () => {
    const sts = fakeSts();
    const out = await assumeCustomerRole({ sts: sts.client, ...target });
    expect(sts.inputs[0]).toEqual({
      RoleArn: target.roleArn,
      ExternalId: 'ext-123',
      RoleSessionName: `cce-${target.connectionId}`,
      DurationSeconds: 3600,
    });
    expect(out.credentials.accessKeyId).toBe('ASIAEXAMPLE000001');
    expect(out.sessionName).toBe(`cce-${target.connectionId}`);
  });

  it('classifies a refusal as role_not_assumable', async () => {
    const sts = fakeSts({
      fail: () =>
        Object.assign(new Error('not authorized to perform: sts:AssumeRole'), { name: 'AccessDenied' }),
    });
    const err = await assumeCustomerRole({ sts: sts.client, ...target }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsError);
    expect((err as AwsError).code).toBe('role_not_assumable');
    expect((err as AwsError).operation).toBe('sts:AssumeRole');
  });
});

describe('createCredentialCache', () => {
  it('shares one in-flight AssumeRole between concurrent callers and caches the result', async () => {
    const sts = fakeSts();
    const cache = createCredentialCache({ stsForRegion: () => sts.client });
    const all = await Promise.all(Array.from({ length: 10 }, () => cache.get(target)));
    expect(sts.inputs).toHaveLength(1);
    expect(new Set(all.map((c) => c.accessKeyId))).toEqual(new Set(['ASIAEXAMPLE000001']));
    await cache.provider(target)();
    expect(sts.inputs).toHaveLength(1);
  });

  it('refreshes five minutes before expiry, not earlier', async () => {
    let now = 1_000_000;
    const sts = fakeSts({ now: () => now });
    const cache = createCredentialCache({ stsForRegion: () => sts.client, now: () => now });
    expect((await cache.get(target)).accessKeyId).toBe('ASIAEXAMPLE000001');
    now += 54 * 60_000; // 6 minutes left
    expect((await cache.get(target)).accessKeyId).toBe('ASIAEXAMPLE000001');
    now += 2 * 60_000; // 4 minutes left
    expect((await cache.get(target)).accessKeyId).toBe('ASIAEXAMPLE000002');
    expect(sts.inputs).toHaveLength(2);
  });

  it('keys by connection, role ARN and External ID', async () => {
    const sts = fakeSts();
    const cache = createCredentialCache({ stsForRegion: () => sts.client });
    await cache.get(target);
    await cache.get({ ...target, externalId: 'other' });
    await cache.get({ ...target, roleArn: 'arn:aws:iam::123456789012:role/other' });
    await cache.get({ ...target, connectionId: 'other' });
    expect(sts.inputs).toHaveLength(4);
    expect(cache.size).toBe(4);
    cache.invalidate(target);
    await cache.get(target);
    expect(sts.inputs).toHaveLength(5);
  });

  it('does not cache failures', async () => {
    let fail = true;
    const sts = fakeSts({
      fail: () => (fail ? Object.assign(new Error('slow down'), { name: 'Throttling' }) : undefined),
    });
    const cache = createCredentialCache({ stsForRegion: () => sts.client });
    await expect(cache.get(target)).rejects.toMatchObject({ code: 'throttled' });
    fail = false;
    await expect(cache.get(target)).resolves.toMatchObject({ accessKeyId: 'ASIAEXAMPLE000001' });
  });
});
