import { readFileSync } from 'node:fs';
import { CodeCommitClient, GetPullRequestCommand, ListRepositoriesCommand } from '@aws-sdk/client-codecommit';
import { ListUsersCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shiftCalendarDate, storyShiftMs } from './scenario/load.js';
import type { Scenario } from './scenario/schema.js';
import type { FakeAws } from './server.js';
import {
  type Credentials,
  caught,
  clients,
  DEMO_SCENARIO,
  productSession,
  startDemo,
} from './test-support/fixture.js';

describe('knobs', () => {
  let fake: FakeAws;
  let credentials: Credentials;
  beforeAll(async () => {
    fake = await startDemo();
    credentials = await productSession(fake);
  });
  afterAll(() => fake.close());

  it('throttles per service with the real error codes, and the SDK retries to success', async () => {
    fake.setOptions({ rates: { codecommit: 5, iam: 1 } });
    fake.resetStats();
    const { codecommit } = clients(fake, credentials, 10);
    const results = await Promise.all(
      Array.from({ length: 12 }, () => codecommit.send(new ListRepositoriesCommand({}))),
    );
    expect(results.every((r) => r.repositories?.length === 4)).toBe(true);
    expect(results.some((r) => (r.$metadata.attempts ?? 1) > 1)).toBe(true);
    const stats = fake.stats();
    expect(stats.throttled['codecommit:ListRepositories']).toBeGreaterThan(0);
    expect(stats.calls['codecommit:ListRepositories']).toBe(
      12 + (stats.throttled['codecommit:ListRepositories'] ?? 0),
    );

    const { iam } = clients(fake, credentials, 1);
    await iam.send(new ListUsersCommand({}));
    const throttled = await caught(() => iam.send(new ListUsersCommand({})));
    expect(throttled.name).toBe('Throttling');
    expect(throttled.$metadata?.httpStatusCode).toBe(400);
    fake.setOptions({ rates: { codecommit: 1 } });
    const once = clients(fake, credentials, 1).codecommit;
    await once.send(new ListRepositoriesCommand({}));
    const cc = await caught(() => once.send(new ListRepositoriesCommand({})));
    expect(cc.name).toBe('ThrottlingException');
    expect(cc.$metadata?.httpStatusCode).toBe(400);
    fake.setOptions({ rates: {} });
  });

  it('injects 5xx faults', async () => {
    fake.setOptions({ faultRate: 1 });
    const error = await caught(() =>
      clients(fake, credentials, 1).sts.send(new GetCallerIdentityCommand({})),
    );
    expect([500, 503]).toContain(error.$metadata?.httpStatusCode);
    expect(['InternalFailure', 'ServiceUnavailable']).toContain(error.name);
    expect(fake.stats().faulted['sts:GetCallerIdentity']).toBe(1);
    fake.setOptions({ faultRate: 0 });
    expect((await clients(fake, credentials).sts.send(new GetCallerIdentityCommand({}))).Account).toBe(
      '111122223333',
    );
  });

  it('5xx faults are retried by the SDK to success', async () => {
    fake.setOptions({ faultRate: 0.3 });
    fake.resetStats();
    const { codecommit } = clients(fake, credentials, 10);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => codecommit.send(new ListRepositoriesCommand({}))),
    );
    expect(results.every((r) => r.repositories?.length === 4)).toBe(true);
    const stats = fake.stats();
    expect(stats.calls['codecommit:ListRepositories']).toBe(
      8 + (stats.faulted['codecommit:ListRepositories'] ?? 0),
    );
    fake.setOptions({ faultRate: 0 });
  });

  it('adds latency', async () => {
    fake.setOptions({ latencyMs: 120 });
    const started = performance.now();
    await clients(fake, credentials).codecommit.send(new ListRepositoriesCommand({}));
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    fake.setOptions({ latencyMs: 0 });
  });

  it('refuses a request without a SigV4 Authorization header', async () => {
    const res = await fetch(`${fake.url}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'CodeCommit_20150413.ListRepositories',
      },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    const query = await fetch(`${fake.url}/`, {
      method: 'POST',
      body: 'Action=ListUsers&Version=2010-05-08',
    });
    expect(query.status).toBe(403);
    expect(await query.text()).toContain('<Code>MissingAuthenticationToken</Code>');
  });
});

describe('control plane', () => {
  let fake: FakeAws;
  beforeAll(async () => {
    fake = await startDemo();
  });
  afterAll(() => fake.close());

  it('serves and resets the stats', async () => {
    await clients(fake, fake.platformCredentials).sts.send(new GetCallerIdentityCommand({}));
    const stats = await (await fetch(`${fake.url}/_fake/stats`)).json();
    expect(stats).toEqual({
      calls: { 'sts:GetCallerIdentity': 1 },
      throttled: {},
      faulted: {},
      denied: {},
      injected: {},
    });
    expect((await fetch(`${fake.url}/_fake/stats/reset`, { method: 'POST' })).status).toBe(200);
    expect(fake.stats().calls).toEqual({});
  });

  it('replaces the scenario, refusing an invalid one with the bad path', async () => {
    const demo = JSON.parse(readFileSync(DEMO_SCENARIO, 'utf8'));
    demo.account.users[2].userId = 'nope';
    const bad = await fetch(`${fake.url}/_fake/scenario`, { method: 'PUT', body: JSON.stringify(demo) });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { path: string; message: string } };
    expect(body.error.path).toBe('$.account.users[2].userId');
    expect(body.error.message).toContain('$.account.users[2].userId');

    demo.account.users[2].userId = 'AIDAREPLACEDUSER0001';
    demo.account.users = demo.account.users.slice(0, 3);
    const ok = await fetch(`${fake.url}/_fake/scenario`, { method: 'PUT', body: JSON.stringify(demo) });
    expect(ok.status).toBe(200);
    expect(fake.scenario().account.users).toHaveLength(3);
    const current = (await (await fetch(`${fake.url}/_fake/scenario`)).json()) as Scenario;
    expect(current.account.users[2]?.userId).toBe('AIDAREPLACEDUSER0001');
  });

  it('patches the scenario with JSON Patch, and in process with updateScenario', async () => {
    const res = await fetch(`${fake.url}/_fake/scenario`, {
      method: 'PATCH',
      body: JSON.stringify([
        { op: 'replace', path: '/account/users/0/mfaActive', value: false },
        { op: 'remove', path: '/account/users/1' },
      ]),
    });
    expect(res.status).toBe(200);
    expect(fake.scenario().account.users.map((u) => [u.userName, u.mfaActive])).toEqual([
      ['alice', false],
      ['carol', true],
    ]);
    const invalid = await fetch(`${fake.url}/_fake/scenario`, {
      method: 'PATCH',
      body: JSON.stringify([{ op: 'add', path: '/account/users/0/groups/-', value: 'NoSuchGroup' }]),
    });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { path: string } }).error.path).toBe(
      '$.account.users[0].groups[1]',
    );
    expect(() =>
      fake.updateScenario((draft) => {
        draft.account.regions['us-east-1']!.pullRequests[0]!.repositoryName = 'ghost';
      }),
    ).toThrow(/\$\.account\.regions\["us-east-1"\]\.pullRequests\[0\]\.repositoryName/);
    fake.updateScenario((draft) => {
      draft.account.regions['us-east-1']!.repositories.push({
        repositoryName: 'new-repo',
        repositoryId: 'new-id',
        defaultBranch: null,
        creationDate: '2026-11-01T00:00:00Z',
        lastModifiedDate: '2026-11-01T00:00:00Z',
        branches: [],
      });
    });
    const { codecommit } = clients(fake, await productSession(fake));
    expect(
      (await codecommit.send(new ListRepositoriesCommand({}))).repositories?.map((r) => r.repositoryName),
    ).toContain('new-repo');
  });

  it('reads and changes the options', async () => {
    const res = await fetch(`${fake.url}/_fake/options`, {
      method: 'PATCH',
      body: JSON.stringify({ latencyMs: 5, rates: { iam: 20 } }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ latencyMs: 5, rates: { iam: 20 }, faultRate: 0 });
    expect(fake.options().rates).toEqual({ iam: 20 });
    const bad = await fetch(`${fake.url}/_fake/options`, {
      method: 'PATCH',
      body: JSON.stringify({ faultRate: 2 }),
    });
    expect(bad.status).toBe(400);
    expect((await fetch(`${fake.url}/_fake/nope`)).status).toBe(404);
    fake.setOptions({ latencyMs: 0, rates: {} });
  });
});

describe('identities', () => {
  it('AWS_ENDPOINT_URL routes every client to the fake, as the product configures it', async () => {
    const fake = await startDemo();
    const previous = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = fake.url;
    try {
      const sts = new STSClient({ region: 'us-east-1', credentials: fake.platformCredentials });
      expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('444455556666');
      const cc = new CodeCommitClient({ region: 'us-east-1', credentials: await productSession(fake) });
      expect((await cc.send(new ListRepositoriesCommand({}))).repositories).toHaveLength(4);
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = previous;
      await fake.close();
    }
  });

  it('anyKeyIsPlatform accepts any non-session key as the platform identity', async () => {
    const fake = await startDemo({ anyKeyIsPlatform: true });
    try {
      const { sts } = clients(fake, { accessKeyId: 'AKIAWHATEVERKEY00001', secretAccessKey: 'x' });
      expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('444455556666');
      const session = clients(fake, {
        accessKeyId: 'ASIAUNKNOWNSESSION01',
        secretAccessKey: 'x',
        sessionToken: 't',
      });
      expect((await caught(() => session.sts.send(new GetCallerIdentityCommand({})))).name).toBe(
        'InvalidClientTokenId',
      );
    } finally {
      await fake.close();
    }
  });
});

describe('shiftDates', () => {
  it('moves the story by whole days so that referenceDate is today, its time of day kept', async () => {
    const now = Date.parse('2027-03-01T12:00:00Z');
    const fake = await startDemo({ shiftDates: true, clock: () => now });
    try {
      const { codecommit } = clients(fake, await productSession(fake));
      const pr = await codecommit.send(new GetPullRequestCommand({ pullRequestId: '2' }));
      // PR 2 was created 43 days before the story's reference date (2026-11-20T00:00Z, now 2027-03-01).
      const today = Date.parse('2027-03-01T00:00:00Z');
      expect(pr.pullRequest?.creationDate).toEqual(new Date(today - 43 * 86_400_000));
      expect(fake.scenario().referenceDate).toBe(new Date(today).toISOString());
      expect(storyShiftMs('2026-11-20T00:00:00Z', now)).toBe(today - Date.parse('2026-11-20T00:00:00Z'));
      expect(shiftCalendarDate('2026-10-31', storyShiftMs('2026-11-20T00:00:00Z', now))).toBe('2027-02-09');
    } finally {
      await fake.close();
    }
  });
});
