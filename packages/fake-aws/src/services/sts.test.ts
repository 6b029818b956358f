import { ListRepositoriesCommand } from '@aws-sdk/client-codecommit';
import { ListUsersCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeAws } from '../server.js';
import {
  ACCOUNT,
  assume,
  caught,
  clients,
  createRole,
  PLATFORM_ACCOUNT,
  startDemo,
} from '../test-support/fixture.js';

describe('STS', () => {
  let fake: FakeAws;
  let now = Date.now();
  let roleArn: string;
  let openRoleArn: string;
  beforeAll(async () => {
    fake = await startDemo({ clock: () => now });
    roleArn = await createRole(fake, 'Evidence', {
      externalId: 'ext-123',
      managed: ['arn:aws:iam::aws:policy/AWSCodeCommitReadOnly'],
    });
    openRoleArn = await createRole(fake, 'NoExternalId', {
      managed: ['arn:aws:iam::aws:policy/AWSCodeCommitReadOnly'],
    });
  });
  afterAll(() => fake.close());

  it('GetCallerIdentity names the platform, the admin and a role session', async () => {
    const platform = await clients(fake, fake.platformCredentials).sts.send(new GetCallerIdentityCommand({}));
    expect(platform).toMatchObject({
      Account: PLATFORM_ACCOUNT,
      Arn: `arn:aws:iam::${PLATFORM_ACCOUNT}:user/codecommit-evidence`,
    });
    const admin = await clients(fake, fake.adminCredentials).sts.send(new GetCallerIdentityCommand({}));
    expect(admin).toMatchObject({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:root`, UserId: ACCOUNT });
    const session = await clients(fake, await assume(fake, roleArn, 'ext-123')).sts.send(
      new GetCallerIdentityCommand({}),
    );
    expect(session.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/Evidence/evidence-test`);
    expect(session.UserId).toMatch(/^AROA[A-Z2-7]+:evidence-test$/);
  });

  it('AssumeRole with the right External ID returns temporary credentials that expire', async () => {
    const out = await clients(fake, fake.platformCredentials).sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: 's1',
        ExternalId: 'ext-123',
        DurationSeconds: 900,
      }),
    );
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(out.Credentials?.SessionToken).toBeTruthy();
    expect(out.Credentials?.Expiration?.getTime()).toBe(
      Math.floor((now + 900_000) / 1000) * 1000 + (now % 1000),
    );
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/Evidence/s1`);
  });

  it('AssumeRole with a wrong or a missing External ID is AccessDenied', async () => {
    const { sts } = clients(fake, fake.platformCredentials);
    for (const ExternalId of ['wrong-id', undefined]) {
      const error = await caught(() =>
        sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'sess', ExternalId })),
      );
      expect(error.name).toBe('AccessDenied');
      expect(error.$metadata?.httpStatusCode).toBe(403);
      expect(error.message).toBe(
        `User: arn:aws:iam::${PLATFORM_ACCOUNT}:user/codecommit-evidence is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      );
    }
  });

  it('a role without an External ID condition can be assumed with or without one', async () => {
    expect((await assume(fake, openRoleArn)).accessKeyId).toMatch(/^ASIA/);
    expect((await assume(fake, openRoleArn, 'anything')).accessKeyId).toMatch(/^ASIA/);
  });

  it('a missing role, another account or an untrusting role are all AccessDenied', async () => {
    const { sts } = clients(fake, fake.platformCredentials);
    for (const arn of [
      `arn:aws:iam::${ACCOUNT}:role/Nope`,
      'arn:aws:iam::999999999999:role/Evidence',
      `arn:aws:iam::${ACCOUNT}:role/Developer`,
    ]) {
      const error = await caught(() =>
        sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'sess', ExternalId: 'ext-123' })),
      );
      expect(error.name).toBe('AccessDenied');
    }
  });

  it('validates the request like STS', async () => {
    const { sts } = clients(fake, fake.platformCredentials);
    const tooLong = await caught(() =>
      sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: 'sess',
          ExternalId: 'ext-123',
          DurationSeconds: 7200,
        }),
      ),
    );
    expect(tooLong.name).toBe('ValidationError');
    expect(tooLong.message).toContain('MaxSessionDuration');
    const badArn = await caught(() =>
      sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::12:role', RoleSessionName: 'sess' })),
    );
    expect(badArn.name).toBe('ValidationError');
    const badName = await caught(() =>
      sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'has space' })),
    );
    expect(badName.name).toBe('ValidationError');
  });

  it('refuses unknown and expired keys with the protocol’s own errors', async () => {
    const unknown = { accessKeyId: 'AKIAUNKNOWNKEY000001', secretAccessKey: 'x' };
    const sts = await caught(() => clients(fake, unknown).sts.send(new GetCallerIdentityCommand({})));
    expect(sts.name).toBe('InvalidClientTokenId');
    const cc = await caught(() => clients(fake, unknown).codecommit.send(new ListRepositoriesCommand({})));
    expect(cc.name).toBe('UnrecognizedClientException');

    const session = await assume(fake, roleArn, 'ext-123');
    now += 3601_000;
    const iam = await caught(() => clients(fake, session).iam.send(new ListUsersCommand({})));
    expect(iam.name).toBe('ExpiredToken');
    const json = await caught(() => clients(fake, session).codecommit.send(new ListRepositoriesCommand({})));
    expect(json.name).toBe('ExpiredTokenException');
  });
});
