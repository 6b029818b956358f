import type { FaultRuleInput } from '@codecommit-evidence/fake-aws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClientFactory, type ConnectionClients, createAwsClientFactory } from './clients.js';
import {
  batchGetRepositories,
  getPullRequest,
  listBranches,
  listPullRequests,
  listRepositories,
} from './codecommit.js';
import { parseCredentialReport, requestCredentialReport } from './credential-report.js';
import { type AwsError, classifyAwsError, isAwsError } from './errors.js';
import { getAccountAuthorizationDetails, listSSHPublicKeys, listUsers } from './iam.js';
import { collect } from './paginate.js';
import { RESPONSE_SCHEMAS } from './responses/index.js';
import { connection, useFakeAws } from './test-support/fake.js';

const fake = useFakeAws({ repos: 3, prsPerRepo: 2, users: 3, seed: 5 }, { credentialReportDelayMs: 0 });

/** The AwsError `fn` throws (fails the test when it does not). */
async function failure(fn: () => Promise<unknown>): Promise<AwsError> {
  try {
    await fn();
  } catch (err) {
    if (isAwsError(err)) return err;
    throw err;
  }
  throw new Error('expected an AwsError');
}

describe('every AWS answer is checked before it is read', () => {
  let factory: AwsClientFactory;
  let clients: ConnectionClients;
  let names: string[];
  beforeAll(async () => {
    factory = createAwsClientFactory({
      endpoint: fake.current.url,
      platformCredentials: fake.current.platformCredentials,
      maxAttempts: 1,
    });
    clients = factory.forConnection(connection());
    names = (await collect(listRepositories(clients.codecommit))).map((r) => r.repositoryName!);
  });
  afterEach(() => fake.current.clearFaults());
  afterAll(() => {
    clients.destroy();
    factory.destroy();
  });

  const cases: {
    name: string;
    fault: () => FaultRuleInput;
    read: () => Promise<unknown>;
    operation: string;
    field?: string | RegExp;
  }[] = [
    {
      name: 'a list answered as a string',
      fault: () => ({
        operation: 'codecommit:ListRepositories',
        kind: 'wrong-type',
        member: 'repositories',
        value: 'none',
      }),
      read: () => collect(listRepositories(clients.codecommit)),
      operation: 'codecommit:ListRepositories',
      field: 'repositories',
    },
    {
      name: 'a 2 MB branch name',
      fault: () => ({ operation: 'codecommit:ListBranches', kind: 'oversized', member: 'branches.0' }),
      read: () => collect(listBranches(clients.codecommit, names[0]!)),
      operation: 'codecommit:ListBranches',
      field: 'branches[0]',
    },
    {
      name: 'a NUL byte in a pull request title',
      fault: () => ({ operation: 'codecommit:GetPullRequest', kind: 'nul', member: 'pullRequest.title' }),
      read: async () => {
        const [first] = await collect(listPullRequests(clients.codecommit, names[0]!));
        return getPullRequest(clients.codecommit, first!.pullRequestId);
      },
      operation: 'codecommit:GetPullRequest',
      field: 'pullRequest.title',
    },
    {
      name: 'a truncated JSON body',
      fault: () => ({ operation: 'codecommit:ListRepositories', kind: 'truncated' }),
      read: () => collect(listRepositories(clients.codecommit)),
      operation: 'codecommit:ListRepositories',
    },
    {
      name: 'a truncated GetAccountAuthorizationDetails',
      fault: () => ({ operation: 'iam:GetAccountAuthorizationDetails', kind: 'truncated' }),
      read: () => collect(getAccountAuthorizationDetails(clients.iam)),
      operation: 'iam:GetAccountAuthorizationDetails',
    },
    {
      name: 'a malformed UserName in GetAccountAuthorizationDetails',
      fault: () => ({
        operation: 'iam:GetAccountAuthorizationDetails',
        kind: 'nul',
        member: 'UserDetailList.0.UserName',
      }),
      read: () => collect(getAccountAuthorizationDetails(clients.iam)),
      operation: 'iam:GetAccountAuthorizationDetails',
      field: 'UserDetailList[0].UserName',
    },
    // XML (IAM): the SDK's deserializer reads a list element holding text as an empty list, so these
    // are caught on the raw body (xml-lists.ts): the zod schemas never see the wrong type.
    {
      name: 'GetAccountAuthorizationDetails answering <UserDetailList>none</UserDetailList>',
      fault: () => ({
        operation: 'iam:GetAccountAuthorizationDetails',
        kind: 'wrong-type',
        member: 'UserDetailList',
      }),
      read: () => collect(getAccountAuthorizationDetails(clients.iam)),
      operation: 'iam:GetAccountAuthorizationDetails',
      field: 'UserDetailList',
    },
    {
      name: 'a user of GetAccountAuthorizationDetails whose GroupList is text',
      fault: () => ({
        operation: 'iam:GetAccountAuthorizationDetails',
        kind: 'wrong-type',
        member: 'UserDetailList.1.GroupList',
        value: 'admins',
      }),
      read: () => collect(getAccountAuthorizationDetails(clients.iam)),
      operation: 'iam:GetAccountAuthorizationDetails',
      field: 'UserDetailList[1].GroupList',
    },
    {
      name: 'ListSSHPublicKeys answering <SSHPublicKeys>none</SSHPublicKeys>',
      fault: () => ({ operation: 'iam:ListSSHPublicKeys', kind: 'wrong-type', member: 'SSHPublicKeys' }),
      read: async () => {
        const [first] = await collect(listUsers(clients.iam));
        return collect(listSSHPublicKeys(clients.iam, first!.UserName!));
      },
      operation: 'iam:ListSSHPublicKeys',
      field: 'SSHPublicKeys',
    },
    {
      name: 'a 70-character user name',
      fault: () => ({ operation: 'iam:ListUsers', kind: 'oversized', member: 'Users.*.UserName', size: 70 }),
      read: () => collect(listUsers(clients.iam)),
      operation: 'iam:ListUsers',
      field: 'Users[0].UserName',
    },
  ];

  for (const c of cases) {
    it(`${c.name}: aws_response_invalid naming ${c.operation}${c.field ? ` and ${c.field}` : ''}`, async () => {
      fake.current.setFaults([c.fault()]);
      const error = await failure(c.read);
      expect(error.code).toBe('aws_response_invalid');
      expect(error.retryable).toBe(false);
      expect(error.operation).toBe(c.operation);
      expect(error.message).toContain(c.operation);
      if (c.field) {
        expect(error.field).toBe(c.field);
        expect(error.message).toContain(c.field);
      }
      // The message says what was wrong, never repeats a value megabytes long.
      expect(error.message.length).toBeLessThan(1000);
      expect(classifyAwsError(error).code).toBe('aws_response_invalid');
    });
  }

  it('a bad BatchGetRepositories item is left out and reported, the others are read', async () => {
    fake.current.setFaults([
      {
        operation: 'codecommit:BatchGetRepositories',
        kind: 'wrong-type',
        member: 'repositories.*.repositoryName',
        resource: names[1]!,
        value: 42,
      },
    ]);
    const named42 = await batchGetRepositories(clients.codecommit, names);
    expect(named42.repositories.map((r) => r.repositoryName)).toEqual([names[0], names[2]]);
    expect(named42.notFound).toEqual([]);
    expect(named42.invalid).toEqual([
      {
        field: 'repositories[1].repositoryName',
        message: expect.stringMatching(/string/),
        repositoryId: expect.any(String),
      },
    ]);
    fake.current.setFaults([
      {
        operation: 'codecommit:BatchGetRepositories',
        kind: 'oversized',
        member: 'repositories.*.repositoryDescription',
        resource: names[2]!,
        size: 20_000_000,
      },
    ]);
    const huge = await batchGetRepositories(clients.codecommit, names);
    expect(huge.repositories).toHaveLength(2);
    expect(huge.invalid).toMatchObject([
      { field: 'repositories[2].repositoryDescription', repositoryName: names[2] },
    ]);
  });

  it('an invalid credential report CSV is aws_response_invalid too', async () => {
    const bad = Buffer.from('user,arn\nbob\u0000,arn:aws:iam::123456789012:user/bob\n').toString('base64');
    fake.current.setFaults([
      { operation: 'iam:GetCredentialReport', kind: 'wrong-type', member: 'Content', value: bad },
    ]);
    let out = await requestCredentialReport(clients.iam);
    for (let i = 0; out.state !== 'ready' && i < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      out = await requestCredentialReport(clients.iam);
    }
    expect(out.state).toBe('ready');
    const content = out.state === 'ready' ? out.report.content : new Uint8Array();
    let error: unknown;
    try {
      parseCredentialReport(content);
    } catch (err) {
      error = err;
    }
    expect(classifyAwsError(error).code).toBe('aws_response_invalid');
  });

  it('healthy answers pass every schema', async () => {
    const every = await collect(listRepositories(clients.codecommit));
    expect(every).toHaveLength(3);
    expect((await batchGetRepositories(clients.codecommit, names)).repositories).toHaveLength(3);
    expect(await collect(getAccountAuthorizationDetails(clients.iam))).not.toHaveLength(0);
    expect(Object.keys(RESPONSE_SCHEMAS).length).toBeGreaterThan(30);
  });
});
