import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCallCounter } from './call-counter.js';
import { type AwsClientFactory, createAwsClientFactory } from './clients.js';
import { listRepositories } from './codecommit.js';
import { AwsError } from './errors.js';
import { collect } from './paginate.js';
import { assumeCustomerRole, assumeRoleWithoutExternalId } from './role.js';
import {
  ACCOUNT_ID,
  connection,
  EXTERNAL_ID,
  REGION,
  ROLE_ARN,
  ROLE_NAME,
  useFakeAws,
} from './test-support/fake.js';

// One clock for fake-aws (session expiry) and the credential cache, moved forward by the tests.
let offset = 0;
const clock = () => Date.now() + offset;
const fake = useFakeAws({}, { clock });

describe('role assumption against fake-aws', () => {
  let factory: AwsClientFactory;
  beforeEach(() => {
    offset = 0;
    factory = createAwsClientFactory({
      endpoint: fake.current.url,
      platformCredentials: fake.current.platformCredentials,
      now: clock,
    });
    fake.current.resetStats();
  });
  afterEach(() => factory.destroy());

  it('assumes the role with the right External ID, with a session name naming the connection', async () => {
    const assumed = await assumeCustomerRole({
      sts: factory.platformSts(REGION),
      roleArn: ROLE_ARN,
      externalId: EXTERNAL_ID,
      connectionId: '7f0c2a9e-1b2c-4d5e-8f90-123456789abc',
    });
    expect(assumed.sessionName).toBe('cce-7f0c2a9e-1b2c-4d5e-8f90-123456789abc');
    expect(assumed.assumedRoleArn).toBe(
      `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${ROLE_NAME}/${assumed.sessionName}`,
    );
    // One hour, not the SDK's or the role's default.
    const lifetime = assumed.credentials.expiration.getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(3590_000);
    expect(lifetime).toBeLessThanOrEqual(3600_000);

    const clients = factory.forConnection(connection());
    const me = await clients.sts.send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(`arn:aws:sts::${ACCOUNT_ID}:assumed-role/${ROLE_NAME}/cce-conn-0001`);
    expect(me.Account).toBe(ACCOUNT_ID);
    clients.destroy();
  });

  it('refuses a wrong External ID as role_not_assumable', async () => {
    const err = await assumeCustomerRole({
      sts: factory.platformSts(REGION),
      roleArn: ROLE_ARN,
      externalId: 'not-the-external-id',
      connectionId: 'c',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsError);
    expect(err).toMatchObject({
      code: 'role_not_assumable',
      awsCode: 'AccessDenied',
      operation: 'sts:AssumeRole',
    });
  });

  it('refuses a role that does not exist as role_not_assumable', async () => {
    const err = await assumeCustomerRole({
      sts: factory.platformSts(REGION),
      roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/NoSuchRole`,
      externalId: EXTERNAL_ID,
      connectionId: 'c',
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'role_not_assumable' });
  });

  it('reports unknown platform credentials as invalid_credentials', async () => {
    const bad = createAwsClientFactory({
      endpoint: fake.current.url,
      platformCredentials: { accessKeyId: 'AKIAUNKNOWNKEY000001', secretAccessKey: 'x' },
    });
    const err = await assumeCustomerRole({
      sts: bad.platformSts(REGION),
      roleArn: ROLE_ARN,
      externalId: EXTERNAL_ID,
      connectionId: 'c',
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'invalid_credentials', awsCode: 'InvalidClientTokenId' });
    bad.destroy();
  });

  it('probes the trust policy without External ID: enforced, then not enforced once the condition is gone', async () => {
    const probe = () =>
      assumeRoleWithoutExternalId({ sts: factory.platformSts(REGION), roleArn: ROLE_ARN, connectionId: 'c' });
    expect(await probe()).toEqual({ result: 'enforced' });

    const original = fake.current.scenario();
    try {
      fake.current.updateScenario((draft) => {
        const role = draft.account.roles.find((r) => r.roleName === ROLE_NAME);
        const statements = role?.trustPolicy.Statement;
        for (const s of Array.isArray(statements) ? statements : statements ? [statements] : [])
          delete s.Condition;
      });
      expect(await probe()).toEqual({ result: 'not_enforced' });
    } finally {
      fake.current.setScenario(original);
    }
  });

  it('shares one AssumeRole between concurrent clients of a connection (single flight)', async () => {
    const counter = createCallCounter();
    const all = Array.from({ length: 8 }, () =>
      factory.forConnection(connection(), { callCounter: counter }),
    );
    const repos = await Promise.all(all.map((c) => collect(listRepositories(c.codecommit))));
    expect(repos.every((r) => r.length === 2)).toBe(true);
    expect(fake.current.stats().calls['sts:AssumeRole']).toBe(1);
    expect(counter.snapshot()['codecommit:ListRepositories']).toBe(8);
    for (const c of all) c.destroy();
  });

  it('assumes again five minutes before expiry, and the new credentials work', async () => {
    const clients = factory.forConnection(connection());
    const first = await clients.credentials();
    await collect(listRepositories(clients.codecommit));
    offset += 54 * 60_000;
    expect((await clients.credentials()).accessKeyId).toBe(first.accessKeyId);
    expect(fake.current.stats().calls['sts:AssumeRole']).toBe(1);
    offset += 2 * 60_000;
    const second = await clients.credentials();
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(fake.current.stats().calls['sts:AssumeRole']).toBe(2);
    // A fresh client (a new job) uses the refreshed credentials without assuming again.
    const next = factory.forConnection(connection());
    expect((await next.credentials()).accessKeyId).toBe(second.accessKeyId);
    await collect(listRepositories(next.codecommit));
    expect(fake.current.stats().calls['sts:AssumeRole']).toBe(2);
    // The old client's SDK memo still holds the first session (the SDK refreshes by the real clock, which
    // this test does not move): past its expiry fake-aws refuses it, classified retryable.
    offset += 5 * 60_000;
    const old = await collect(listRepositories(clients.codecommit)).catch((e: unknown) => e);
    expect(old).toMatchObject({
      code: 'invalid_credentials',
      awsCode: 'ExpiredTokenException',
      retryable: true,
    });
    await collect(listRepositories(next.codecommit));
    clients.destroy();
    next.destroy();
  });

  it('without explicit options, uses AWS_ENDPOINT_URL and the SDK default credential chain', async () => {
    const names = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
    const saved = names.map((n) => process.env[n]);
    process.env.AWS_ENDPOINT_URL = fake.current.url;
    process.env.AWS_ACCESS_KEY_ID = fake.current.platformCredentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = fake.current.platformCredentials.secretAccessKey;
    const plain = createAwsClientFactory();
    try {
      const clients = plain.forConnection(connection());
      expect(await collect(listRepositories(clients.codecommit))).toHaveLength(2);
      expect(fake.current.stats().calls['sts:AssumeRole']).toBe(1);
      clients.destroy();
    } finally {
      plain.destroy();
      names.forEach((n, i) => {
        if (saved[i] === undefined) delete process.env[n];
        else process.env[n] = saved[i];
      });
    }
  });

  it('does not reuse a session after the External ID changed', async () => {
    const a = factory.forConnection(connection());
    await a.credentials();
    const b = factory.forConnection(connection({ externalId: 'rotated-external-id' }));
    await expect(b.credentials()).rejects.toMatchObject({ code: 'role_not_assumable' });
    // Through a call: the SDK resolves credentials first, and the reader reports the AssumeRole failure.
    const viaCall = await collect(listRepositories(b.codecommit)).catch((e: unknown) => e);
    expect(viaCall).toMatchObject({ code: 'role_not_assumable', retryable: false });
    a.destroy();
    b.destroy();
  });
});
