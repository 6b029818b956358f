import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CallCounter, createCallCounter } from './call-counter.js';
import { type AwsClientFactory, type ConnectionClients, createAwsClientFactory } from './clients.js';
import {
  batchGetRepositories,
  describePullRequestEvents,
  evaluatePullRequestApprovalRules,
  getApprovalRuleTemplate,
  getBranch,
  getPullRequest,
  getPullRequestApprovalStates,
  getPullRequestOverrideState,
  listApprovalRuleTemplates,
  listBranches,
  listPullRequests,
  listRepositories,
  listRepositoriesForApprovalRuleTemplate,
} from './codecommit.js';
import { parseCredentialReport, requestCredentialReport } from './credential-report.js';
import { AwsError } from './errors.js';
import {
  decodeAuthorizationDetails,
  getAccountAuthorizationDetails,
  getPolicy,
  getPolicyVersion,
  listAttachedGroupPolicies,
  listAttachedRolePolicies,
  listAttachedUserPolicies,
  listGroupPolicies,
  listGroupsForUser,
  listRolePolicies,
  listRoles,
  listServiceSpecificCredentials,
  listSSHPublicKeys,
  listUserPolicies,
  listUsers,
  listUserTags,
} from './iam.js';
import { collect } from './paginate.js';
import { connection, ROLE_NAME, useFakeAws } from './test-support/fake.js';

// 60 repositories (3 BatchGetRepositories chunks), 120 branches + default per repository (2 pages of
// ListBranches), 23 users, and per repository enough pull requests for several pages at pageSize 5.
const fake = useFakeAws(
  { repos: 60, prsPerRepo: 12, users: 23, branchesPerRepo: 120, seed: 11 },
  { credentialReportDelayMs: 30 },
);

describe('paginated readers against fake-aws', () => {
  let factory: AwsClientFactory;
  let clients: ConnectionClients;
  let counter: CallCounter;
  beforeAll(() => {
    factory = createAwsClientFactory({
      endpoint: fake.current.url,
      platformCredentials: fake.current.platformCredentials,
    });
  });
  beforeEach(() => {
    counter = createCallCounter();
    clients?.destroy();
    clients = factory.forConnection(connection(), { callCounter: counter });
  });
  afterAll(() => {
    clients?.destroy();
    factory.destroy();
  });

  it('lists repositories and batch-gets them 25 at a time', async () => {
    const repos = await collect(listRepositories(clients.codecommit));
    expect(repos).toHaveLength(60);
    const names = repos.map((r) => r.repositoryName as string);
    const got = await batchGetRepositories(clients.codecommit, [...names, 'deleted-meanwhile']);
    expect(got.repositories.map((r) => r.repositoryName).sort()).toEqual([...names].sort());
    expect(got.notFound).toEqual(['deleted-meanwhile']);
    expect(counter.snapshot()).toEqual({
      'codecommit:ListRepositories': 1,
      'codecommit:BatchGetRepositories': 3,
    });
  });

  it('follows ListBranches tokens across pages', async () => {
    const [repo] = await collect(listRepositories(clients.codecommit));
    const branches = await collect(listBranches(clients.codecommit, repo?.repositoryName as string));
    expect(branches.length).toBeGreaterThan(100);
    expect(new Set(branches).size).toBe(branches.length);
    expect(counter.snapshot()['codecommit:ListBranches']).toBe(2);
    const one = await getBranch(clients.codecommit, repo?.repositoryName as string, branches[0] as string);
    expect(one.commitId).toMatch(/^[0-9a-f]{40}$/);
  });

  it('lists OPEN and CLOSED pull requests page by page, and reads their details', async () => {
    const [repo] = await collect(listRepositories(clients.codecommit));
    const name = repo?.repositoryName as string;
    const prs = await collect(listPullRequests(clients.codecommit, name, { pageSize: 5 }));
    expect(prs).toHaveLength(12);
    expect(new Set(prs.map((p) => p.pullRequestId)).size).toBe(12);
    const open = prs.filter((p) => p.status === 'OPEN').length;
    const closed = prs.length - open;
    const pages = (n: number) => Math.max(1, Math.ceil(n / 5));
    expect(counter.snapshot()['codecommit:ListPullRequests']).toBe(pages(open) + pages(closed));

    const pr = await getPullRequest(clients.codecommit, prs[0]?.pullRequestId as string);
    const target = pr.pullRequestTargets?.[0];
    const revisionId = pr.revisionId as string;
    expect(target?.repositoryName).toBe(name);
    expect(
      Array.isArray(
        await getPullRequestApprovalStates(clients.codecommit, pr.pullRequestId as string, revisionId),
      ),
    ).toBe(true);
    const evaluation = await evaluatePullRequestApprovalRules(
      clients.codecommit,
      pr.pullRequestId as string,
      revisionId,
    );
    expect(typeof evaluation.approved).toBe('boolean');
    const override = await getPullRequestOverrideState(
      clients.codecommit,
      pr.pullRequestId as string,
      revisionId,
    );
    expect(typeof override.overridden).toBe('boolean');
    const events = await collect(
      describePullRequestEvents(clients.codecommit, pr.pullRequestId as string, { pageSize: 1 }),
    );
    expect(events.length).toBeGreaterThan(0);
    expect(counter.snapshot()['codecommit:DescribePullRequestEvents']).toBe(events.length);
  });

  it('reads approval rule templates and their associations', async () => {
    const templates = await collect(listApprovalRuleTemplates(clients.codecommit));
    expect(templates).toContain('require-one-approval');
    const template = await getApprovalRuleTemplate(clients.codecommit, 'require-one-approval');
    expect(template.content).toMatchObject({ Version: '2018-11-08' });
    const repos = new Set(
      (await collect(listRepositories(clients.codecommit))).map((r) => r.repositoryName as string),
    );
    const associated = await collect(
      listRepositoriesForApprovalRuleTemplate(clients.codecommit, 'require-one-approval', { pageSize: 1 }),
    );
    for (const name of associated) expect(repos.has(name)).toBe(true);
    expect(associated.length).toBeGreaterThan(1);
    expect(counter.snapshot()['codecommit:ListRepositoriesForApprovalRuleTemplate']).toBe(associated.length);
  });

  it('classifies a missing pull request as not_found', async () => {
    const err = await getPullRequest(clients.codecommit, '999999').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsError);
    expect(err).toMatchObject({
      code: 'not_found',
      awsCode: 'PullRequestDoesNotExistException',
      operation: 'codecommit:GetPullRequest',
    });
  });

  it('pages IAM listings with Marker and decodes policy documents', async () => {
    const users = await collect(listUsers(clients.iam, { pageSize: 10 }));
    expect(users).toHaveLength(23);
    expect(counter.snapshot()['iam:ListUsers']).toBe(3);

    const pages = await collect(getAccountAuthorizationDetails(clients.iam, { pageSize: 10 }));
    expect(pages.length).toBeGreaterThan(1);
    const decoded = pages.map(decodeAuthorizationDetails);
    expect(decoded.flatMap((p) => p.users)).toHaveLength(23);
    const product = decoded.flatMap((p) => p.roles).find((r) => r.RoleName === ROLE_NAME);
    expect(product?.AssumeRolePolicyDocument?.Statement).toBeDefined();
    const managed = decoded.flatMap((p) => p.policies);
    expect(managed.some((p) => p.PolicyVersionList.some((v) => v.Document?.Statement))).toBe(true);

    const roles = await collect(listRoles(clients.iam, { pageSize: 1 }));
    expect(roles.map((r) => r.RoleName)).toContain(ROLE_NAME);
    const attached = await collect(listAttachedRolePolicies(clients.iam, ROLE_NAME));
    expect(attached.map((p) => p.PolicyName)).toContain('AWSCodeCommitReadOnly');
    expect(await collect(listRolePolicies(clients.iam, ROLE_NAME))).toEqual([]);

    const arn = attached.find((p) => p.PolicyName === 'AWSCodeCommitReadOnly')?.PolicyArn as string;
    const policy = await getPolicy(clients.iam, arn);
    const version = await getPolicyVersion(clients.iam, arn, policy.DefaultVersionId as string);
    expect(version.rawDocument.startsWith('%7B')).toBe(true);
    expect(JSON.stringify(version.document)).toContain('codecommit:');
  });

  it('reads per-user and per-group facts', async () => {
    const users = await collect(listUsers(clients.iam));
    let tags = 0;
    let groups = 0;
    let keys = 0;
    let creds = 0;
    for (const u of users) {
      const name = u.UserName as string;
      tags += (await collect(listUserTags(clients.iam, name))).length;
      const gs = await collect(listGroupsForUser(clients.iam, name));
      groups += gs.length;
      await collect(listAttachedUserPolicies(clients.iam, name));
      await collect(listUserPolicies(clients.iam, name));
      keys += (await collect(listSSHPublicKeys(clients.iam, name))).length;
      creds += (await collect(listServiceSpecificCredentials(clients.iam, name))).length;
    }
    expect(tags).toBeGreaterThan(0);
    expect(groups).toBeGreaterThan(0);
    expect(keys + creds).toBeGreaterThan(0);
    const attached = await collect(listAttachedGroupPolicies(clients.iam, 'Developers'));
    expect(attached.map((p) => p.PolicyName)).toEqual(['AWSCodeCommitPowerUser']);
    expect(await collect(listGroupPolicies(clients.iam, 'Developers'))).toEqual([]);
    expect(counter.snapshot()['iam:ListUserTags']).toBe(23);
  });

  it('names the denied action when the role lacks a permission', async () => {
    const original = fake.current.scenario();
    try {
      fake.current.updateScenario((draft) => {
        const role = draft.account.roles.find((r) => r.roleName === ROLE_NAME);
        if (role)
          role.attachedPolicies = role.attachedPolicies.filter((a) => !a.endsWith('/IAMReadOnlyAccess'));
      });
      // (AWSCodeCommitReadOnly itself allows iam:ListUsers, so ask for something it does not allow.)
      const err = await collect(getAccountAuthorizationDetails(clients.iam)).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'access_denied',
        action: 'iam:GetAccountAuthorizationDetails',
        operation: 'iam:GetAccountAuthorizationDetails',
        retryable: false,
      });
      expect(counter.stats().failed['iam:GetAccountAuthorizationDetails']).toBe(1);
      // Not retried: one attempt.
      expect(counter.stats().attempts['iam:GetAccountAuthorizationDetails']).toBe(1);
    } finally {
      fake.current.setScenario(original);
    }
  });

  it('requests the credential report without waiting, then parses it', async () => {
    const first = await requestCredentialReport(clients.iam, { retryAfterMs: 30 });
    expect(first).toMatchObject({ state: 'in_progress', retryAfterMs: 30 });
    let result = first;
    for (let i = 0; i < 20 && result.state !== 'ready'; i++) {
      await new Promise((r) => setTimeout(r, 30));
      result = await requestCredentialReport(clients.iam);
    }
    if (result.state !== 'ready') throw new Error('credential report never became ready');
    const rows = parseCredentialReport(result.report.content);
    expect(rows).toHaveLength(24);
    expect(rows.filter((r) => r.isRoot)).toHaveLength(1);
    expect(counter.snapshot()['iam:GenerateCredentialReport']).toBe(1);
  });
});
