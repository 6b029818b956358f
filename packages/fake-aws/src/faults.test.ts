import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetRepositoriesCommand,
  GetBranchCommand,
  ListRepositoriesCommand,
} from '@aws-sdk/client-codecommit';
import { GetAccountAuthorizationDetailsCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseFaultSpec } from './faults.js';
import { ScenarioValidationError } from './scenario/load.js';
import { type FakeAws, startFakeAws } from './server.js';
import {
  type Credentials,
  caught,
  clients,
  DEMO_SCENARIO,
  productSession,
  startDemo,
} from './test-support/fixture.js';

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

describe('faults declared in the scenario file', () => {
  const demo = () => JSON.parse(readFileSync(DEMO_SCENARIO, 'utf8'));
  const dir = mkdtempSync(join(tmpdir(), 'fake-aws-faults-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function refusal(scenario: unknown): Promise<ScenarioValidationError> {
    const file = join(dir, `bad-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(scenario));
    const error = await startFakeAws({ scenario: file }).then(
      async (fake) => {
        await fake.close();
        throw new Error('expected the scenario to be refused');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ScenarioValidationError);
    return error as ScenarioValidationError;
  }

  it('are in force from the load, with the knob’s vocabulary, and count down like the knob’s', async () => {
    const file = join(dir, 'faulty.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...demo(),
        faults: [
          { operation: 'codecommit:ListRepositories', kind: 'server-error', times: 1 },
          { operation: 'iam:ListUsers', kind: 'wrong-type', member: 'Users', value: 'none' },
        ],
      }),
    );
    const fake = await startFakeAws({
      scenario: file,
      credentialReportDelayMs: 0,
      faults: [{ operation: 'codecommit:GetBranch', kind: 'throttle' }],
    });
    try {
      // The scenario's rules first, then the caller's; the world itself holds no faults.
      expect(fake.faults().map((f) => f.operation)).toEqual([
        'codecommit:ListRepositories',
        'iam:ListUsers',
        'codecommit:GetBranch',
      ]);
      expect(fake.scenario()).not.toHaveProperty('faults');
      const session = await productSession(fake);
      const { codecommit } = clients(fake, session, 1);
      expect((await caught(() => codecommit.send(new ListRepositoriesCommand({})))).name).toBe(
        'InternalFailure',
      );
      // times: 1 ran out; an updateScenario (a copy of the world) does not re-arm it.
      fake.updateScenario((draft) => {
        draft.name = 'touched';
      });
      expect((await codecommit.send(new ListRepositoriesCommand({}))).repositories?.length).toBeGreaterThan(
        0,
      );
      expect(fake.faults().map((f) => f.operation)).toEqual(['iam:ListUsers', 'codecommit:GetBranch']);
      // A scenario that declares faults replaces the rules in force; one that declares none keeps them.
      fake.setScenario({ ...demo(), faults: [{ operation: 'iam:ListRoles', kind: 'truncated' }] });
      expect(fake.faults().map((f) => f.operation)).toEqual(['iam:ListRoles']);
      fake.setScenario(demo());
      expect(fake.faults().map((f) => f.operation)).toEqual(['iam:ListRoles']);
    } finally {
      await fake.close();
    }
  });

  it('are validated, and the error names the field', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ operation: 'codecommit:ListRepos', kind: 'truncated' }, '$.faults[0].operation', /no operation/],
      [{ operation: 'ListRepositories', kind: 'truncated' }, '$.faults[0].operation', /service:Operation/],
      [{ operation: 'codecommit:ListRepositories', kind: 'explode' }, '$.faults[0].kind', /./],
      [{ operation: 'codecommit:ListRepositories', kind: 'oversized', size: 0 }, '$.faults[0].size', /./],
      [{ operation: 'iam:ListUsers', kind: 'throttle', member: 'Users' }, '$.faults[0].member', /body kinds/],
      [
        { operation: 'iam:ListUsers', kind: 'throttle', colour: 'red' },
        '$.faults[0].colour',
        /unknown field/,
      ],
      [{ operation: 'iam:ListUsers', kind: 'nul', times: 0 }, '$.faults[0].times', /./],
    ];
    for (const [rule, path, message] of cases) {
      const error = await refusal({ ...demo(), faults: [rule] });
      expect(error.path, JSON.stringify(rule)).toBe(path);
      expect(error.message, JSON.stringify(rule)).toMatch(message);
    }
    expect((await refusal({ ...demo(), faults: 'none' })).path).toBe('$.faults');
    // Through the control plane the same scenario is a 400 naming the field.
    const fake = await startDemo();
    try {
      const response = await fetch(`${fake.url}/_fake/scenario`, {
        method: 'PUT',
        body: JSON.stringify({ ...demo(), faults: [{ operation: 'sts:Nope', kind: 'nul' }] }),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string; path: string } };
      expect(body.error).toMatchObject({ code: 'invalid_scenario', path: '$.faults[0].operation' });
      expect(fake.faults()).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});
