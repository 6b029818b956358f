import {
  BatchGetRepositoriesCommand,
  GetBranchCommand,
  ListRepositoriesCommand,
} from '@aws-sdk/client-codecommit';
import { GetAccountAuthorizationDetailsCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseFaultSpec } from './faults.js';
import type { FakeAws } from './server.js';
import { type Credentials, caught, clients, productSession, startDemo } from './test-support/fixture.js';

describe('per-operation faults', () => {
  let fake: FakeAws;
  let credentials: Credentials;
  beforeAll(async () => {
    fake = await startDemo();
    credentials = await productSession(fake);
  });
  afterEach(() => {
    fake.clearFaults();
    fake.resetStats();
  });
  afterAll(() => fake.close());

  /** The raw answer of a CodeCommit operation, signed by the SDK, as the wire carries it. */
  async function rawCodeCommit(operation: string, input: object): Promise<{ status: number; body: string }> {
    let raw: { status: number; body: string } | undefined;
    const { codecommit } = clients(fake, credentials);
    codecommit.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        const response = out.response as { statusCode: number; body: AsyncIterable<Uint8Array> };
        const chunks: Buffer[] = [];
        for await (const c of response.body) chunks.push(Buffer.from(c));
        raw = { status: response.statusCode, body: Buffer.concat(chunks).toString('utf8') };
        throw new Error('raw read');
      },
      { step: 'deserialize', name: 'rawBody', priority: 'low' },
    );
    const commands: Record<string, () => unknown> = {
      ListRepositories: () => new ListRepositoriesCommand(input),
      BatchGetRepositories: () => new BatchGetRepositoriesCommand(input as { repositoryNames: string[] }),
    };
    await codecommit.send(commands[operation]!() as ListRepositoriesCommand).catch(() => undefined);
    return raw!;
  }

  it('answers an operation with a wrong-typed member, and only that operation', async () => {
    fake.setFaults([
      { operation: 'codecommit:ListRepositories', kind: 'wrong-type', member: 'repositories', value: 'none' },
    ]);
    const raw = await rawCodeCommit('ListRepositories', {});
    expect(JSON.parse(raw.body)).toEqual({ repositories: 'none' });
    const repo = await clients(fake, credentials).codecommit.send(
      new BatchGetRepositoriesCommand({ repositoryNames: ['payments-service'] }),
    );
    expect(repo.repositories?.[0]?.repositoryName).toBe('payments-service');
    expect(fake.stats().injected).toEqual({ 'codecommit:ListRepositories': 1 });
  });

  it('corrupts only the list element of the named resource', async () => {
    const names = fake.scenario().account.regions['us-east-1']!.repositories.map((r) => r.repositoryName);
    expect(names.length).toBeGreaterThan(1);
    fake.addFault({
      operation: 'codecommit:BatchGetRepositories',
      kind: 'wrong-type',
      member: 'repositories.*.repositoryName',
      resource: names[1]!,
      value: 42,
    });
    const raw = await rawCodeCommit('BatchGetRepositories', { repositoryNames: names });
    const answer = JSON.parse(raw.body) as { repositories: { repositoryName: unknown }[] };
    expect(answer.repositories.map((r) => r.repositoryName)).toEqual(names.map((n, i) => (i === 1 ? 42 : n)));
    // The world itself is untouched.
    fake.clearFaults();
    const again = JSON.parse((await rawCodeCommit('BatchGetRepositories', { repositoryNames: names })).body);
    expect(again.repositories.map((r: { repositoryName: string }) => r.repositoryName)).toEqual(names);
  });

  it('grows a string to the size asked, puts a NUL byte in another', async () => {
    fake.setFaults([
      {
        operation: 'codecommit:BatchGetRepositories',
        kind: 'oversized',
        member: 'repositories.*.repositoryDescription',
        size: 20_000,
      },
      { operation: 'iam:ListUsers', kind: 'nul', member: 'Users.*.UserName', resource: 'bob' },
    ]);
    const { codecommit, iam } = clients(fake, credentials);
    const repo = await codecommit.send(
      new BatchGetRepositoriesCommand({ repositoryNames: ['payments-service'] }),
    );
    expect(repo.repositories?.[0]?.repositoryDescription).toHaveLength(20_000);
    const users = await iam.send(new ListUsersCommand({}));
    const names = (users.Users ?? []).map((u) => u.UserName);
    expect(names).toContain('b\u0000ob');
    expect(names).toContain('alice');
    expect(names.filter((n) => n?.includes('\u0000'))).toHaveLength(1);
  });

  it('without a member, corrupts the first (string) member', async () => {
    fake.setFaults([{ operation: 'codecommit:ListRepositories', kind: 'nul' }]);
    const first = JSON.parse((await rawCodeCommit('ListRepositories', {})).body);
    expect(JSON.stringify(first)).toContain('\\u0000');
    fake.setFaults([{ operation: 'codecommit:ListRepositories', kind: 'wrong-type' }]);
    expect(JSON.parse((await rawCodeCommit('ListRepositories', {})).body).repositories).toBe('none');
  });

  it('truncates a body so the SDK cannot read it', async () => {
    fake.setFaults([{ operation: 'iam:GetAccountAuthorizationDetails', kind: 'truncated' }]);
    const { iam } = clients(fake, credentials);
    const error = await caught(() => iam.send(new GetAccountAuthorizationDetailsCommand({})));
    expect(error.$metadata?.httpStatusCode).toBe(200);
    const raw = await rawCodeCommit('ListRepositories', {});
    expect(JSON.parse(raw.body).repositories.length).toBeGreaterThan(0);
  });

  it('answers 5xx, a throttle that never clears, AccessDenied for one resource', async () => {
    fake.setFaults([
      { operation: 'codecommit:ListRepositories', kind: 'server-error' },
      { operation: 'iam:ListUsers', kind: 'throttle' },
      { operation: 'codecommit:GetBranch', kind: 'access-denied', resource: 'payments-service' },
    ]);
    const { codecommit, iam } = clients(fake, credentials, 3);
    const fault = await caught(() => codecommit.send(new ListRepositoriesCommand({})));
    expect(fault.name).toBe('InternalFailure');
    expect(fault.$metadata?.httpStatusCode).toBe(500);
    const throttled = await caught(() => iam.send(new ListUsersCommand({})));
    expect(throttled.name).toBe('Throttling');
    expect(fake.stats().throttled['iam:ListUsers']).toBe(3);
    const denied = await caught(() =>
      codecommit.send(new GetBranchCommand({ repositoryName: 'payments-service', branchName: 'main' })),
    );
    expect(denied.name).toBe('AccessDeniedException');
    const ok = await codecommit.send(new GetBranchCommand({ repositoryName: 'web-app', branchName: 'main' }));
    expect(ok.branch?.branchName).toBe('main');
    expect(fake.stats().denied['codecommit:GetBranch']).toBe(1);
  });

  it('a rule with times clears itself', async () => {
    fake.setFaults([{ operation: 'codecommit:ListRepositories', kind: 'server-error', times: 1 }]);
    const { codecommit } = clients(fake, credentials, 1);
    expect((await caught(() => codecommit.send(new ListRepositoriesCommand({})))).name).toBe(
      'InternalFailure',
    );
    expect(fake.faults()).toEqual([]);
    expect((await codecommit.send(new ListRepositoriesCommand({}))).repositories?.length).toBeGreaterThan(0);
  });

  it('the control plane validates rules and names the bad field', async () => {
    const put = (body: unknown) =>
      fetch(`${fake.url}/_fake/faults`, { method: 'PUT', body: JSON.stringify(body) });
    const unknown = await put([{ operation: 'codecommit:ListRepos', kind: 'truncated' }]);
    expect(unknown.status).toBe(400);
    const error = ((await unknown.json()) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('invalid_faults');
    expect(error.message).toContain('codecommit:ListRepos');
    for (const bad of [
      [{ operation: 'codecommit:ListRepositories', kind: 'explode' }],
      [{ operation: 'codecommit:ListRepositories', kind: 'oversized', size: 0 }],
      [{ operation: 'codecommit:ListRepositories', kind: 'throttle', member: 'repositories' }],
      [{ operation: 'ListRepositories', kind: 'throttle' }],
      [{ operation: 'codecommit:ListRepositories', kind: 'throttle', extra: 1 }],
      { operation: 'codecommit:ListRepositories', kind: 'throttle' },
    ]) {
      const response = await put(bad);
      expect(response.status, JSON.stringify(bad)).toBe(400);
    }
    expect(fake.faults()).toEqual([]);
    const added = await fetch(`${fake.url}/_fake/faults`, {
      method: 'POST',
      body: JSON.stringify({ operation: 'iam:ListUsers', kind: 'throttle', times: 2 }),
    });
    expect(await added.json()).toEqual([
      { operation: 'iam:ListUsers', kind: 'throttle', times: 2, remaining: 2 },
    ]);
    expect((await fetch(`${fake.url}/_fake/faults`, { method: 'DELETE' })).status).toBe(200);
    expect(await (await fetch(`${fake.url}/_fake/faults`)).json()).toEqual([]);
  });

  it('parses the CLI spec', () => {
    expect(
      parseFaultSpec(
        'codecommit:BatchGetRepositories=wrong-type,member=repositories.*.repositoryName,value=42,resource=a,times=1',
      ),
    ).toEqual({
      operation: 'codecommit:BatchGetRepositories',
      kind: 'wrong-type',
      member: 'repositories.*.repositoryName',
      value: 42,
      resource: 'a',
      times: 1,
    });
    expect(parseFaultSpec('iam:ListUsers=oversized,size=10,value=none')).toMatchObject({
      size: 10,
      value: 'none',
    });
    expect(() => parseFaultSpec('iam:ListUsers')).toThrow(/OPERATION=KIND/);
    expect(() => parseFaultSpec('iam:ListUsers=nul,colour=red')).toThrow(/unknown option "colour"/);
    expect(() => parseFaultSpec('iam:ListUsers=oversized,size=big')).toThrow(/size/);
  });
});
