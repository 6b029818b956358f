import {
  BatchGetRepositoriesCommand,
  CodeCommitClient,
  DescribePullRequestEventsCommand,
  EvaluatePullRequestApprovalRulesCommand,
  GetApprovalRuleTemplateCommand,
  GetBranchCommand,
  GetPullRequestApprovalStatesCommand,
  GetPullRequestCommand,
  GetPullRequestOverrideStateCommand,
  ListApprovalRuleTemplatesCommand,
  ListAssociatedApprovalRuleTemplatesForRepositoryCommand,
  ListBranchesCommand,
  ListPullRequestsCommand,
  ListRepositoriesCommand,
  ListRepositoriesForApprovalRuleTemplateCommand,
  paginateDescribePullRequestEvents,
  paginateListPullRequests,
  paginateListRepositories,
} from '@aws-sdk/client-codecommit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario } from '../scenario/generate.js';
import { type FakeAws, startFakeAws } from '../server.js';
import {
  ACCOUNT,
  assume,
  type Credentials,
  caught,
  clients,
  createRole,
  productSession,
  startDemo,
} from '../test-support/fixture.js';

const PR = (id: number) => String(id);

describe('CodeCommit with the product role', () => {
  let fake: FakeAws;
  let cc: CodeCommitClient;
  let credentials: Credentials;
  beforeAll(async () => {
    fake = await startDemo();
    credentials = await productSession(fake);
    cc = clients(fake, credentials).codecommit;
  });
  afterAll(() => fake.close());

  it('lists and batch-gets repositories', async () => {
    const list = await cc.send(new ListRepositoriesCommand({}));
    expect(list.repositories?.map((r) => r.repositoryName)).toEqual([
      'infra-tools',
      'legacy-scripts',
      'payments-service',
      'web-app',
    ]);
    expect(list.nextToken).toBeUndefined();
    const byDate = await cc.send(
      new ListRepositoriesCommand({ sortBy: 'lastModifiedDate', order: 'descending' }),
    );
    expect(byDate.repositories?.[0]?.repositoryName).toBe('payments-service');
    const batch = await cc.send(
      new BatchGetRepositoriesCommand({ repositoryNames: ['web-app', 'ghost', 'legacy-scripts'] }),
    );
    expect(batch.repositoriesNotFound).toEqual(['ghost']);
    expect(batch.repositories?.[0]).toEqual({
      accountId: ACCOUNT,
      repositoryId: '5b1f2c3d-0002-4a5b-9c8d-7e6f5a4b3c2d',
      repositoryName: 'web-app',
      repositoryDescription: 'Customer web application',
      defaultBranch: 'main',
      lastModifiedDate: expect.any(Date),
      creationDate: new Date('2024-09-15T09:00:00Z'),
      cloneUrlHttp: 'https://git-codecommit.us-east-1.amazonaws.com/v1/repos/web-app',
      cloneUrlSsh: 'ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/web-app',
      Arn: `arn:aws:codecommit:us-east-1:${ACCOUNT}:web-app`,
    });
    expect(batch.repositories?.[1]?.defaultBranch).toBe('develop');
    const tooMany = await caught(() =>
      cc.send(
        new BatchGetRepositoriesCommand({ repositoryNames: Array.from({ length: 26 }, (_, i) => `r${i}`) }),
      ),
    );
    expect(tooMany.name).toBe('MaximumRepositoryNamesExceededException');
    expect((await caught(() => cc.send(new BatchGetRepositoriesCommand({ repositoryNames: [] })))).name).toBe(
      'RepositoryNamesRequiredException',
    );
  });

  it('lists branches and gets one', async () => {
    const branches = await cc.send(new ListBranchesCommand({ repositoryName: 'web-app' }));
    expect(branches.branches).toEqual([
      'main',
      'feature/login-v2',
      'feature/dark-mode',
      'hotfix/cve-2026-1234',
    ]);
    const main = await cc.send(new GetBranchCommand({ repositoryName: 'web-app', branchName: 'main' }));
    expect(main.branch?.commitId).toMatch(/^[0-9a-f]{40}$/);
    expect(
      (await caught(() => cc.send(new GetBranchCommand({ repositoryName: 'web-app', branchName: 'nope' }))))
        .name,
    ).toBe('BranchDoesNotExistException');
    const missing = await caught(() => cc.send(new ListBranchesCommand({ repositoryName: 'ghost' })));
    expect(missing.name).toBe('RepositoryDoesNotExistException');
    expect(missing.message).toBe('ghost does not exist');
  });

  it('pages pull requests with maxResults and filters them', async () => {
    const ids: string[] = [];
    let pages = 0;
    for await (const page of paginateListPullRequests(
      { client: cc, pageSize: 2 },
      { repositoryName: 'web-app' },
    )) {
      pages++;
      ids.push(...(page.pullRequestIds ?? []));
    }
    expect(pages).toBe(3);
    expect(ids).toEqual(['8', '6', '5', '4', '2']);
    const open = await cc.send(
      new ListPullRequestsCommand({ repositoryName: 'payments-service', pullRequestStatus: 'OPEN' }),
    );
    expect(open.pullRequestIds).toEqual(['11']);
    const byAuthor = await cc.send(
      new ListPullRequestsCommand({
        repositoryName: 'web-app',
        authorArn: `arn:aws:sts::${ACCOUNT}:assumed-role/Developer/frank`,
      }),
    );
    expect(byAuthor.pullRequestIds).toEqual(['8', '5', '4']);
    const first = await cc.send(new ListPullRequestsCommand({ repositoryName: 'web-app', maxResults: 2 }));
    const replay = await caught(() =>
      cc.send(
        new ListPullRequestsCommand({
          repositoryName: 'payments-service',
          maxResults: 2,
          nextToken: first.nextToken,
        }),
      ),
    );
    expect(replay.name).toBe('InvalidContinuationTokenException');
    expect(
      (await caught(() => cc.send(new ListPullRequestsCommand({ repositoryName: 'web-app', maxResults: 0 }))))
        .name,
    ).toBe('InvalidMaxResultsException');
  });

  it('gets a pull request with its targets, revision and approval rules', async () => {
    const { pullRequest } = await cc.send(new GetPullRequestCommand({ pullRequestId: PR(2) }));
    expect(pullRequest).toMatchObject({
      pullRequestId: '2',
      pullRequestStatus: 'CLOSED',
      authorArn: `arn:aws:sts::${ACCOUNT}:assumed-role/Developer/carol`,
      creationDate: new Date('2026-10-08T00:00:00Z'),
      lastActivityDate: new Date('2026-10-13T00:00:00Z'),
    });
    expect(pullRequest?.pullRequestTargets?.[0]).toMatchObject({
      repositoryName: 'web-app',
      sourceReference: 'refs/heads/feature/login-v2',
      destinationReference: 'refs/heads/main',
      mergeMetadata: { isMerged: true, mergedBy: `arn:aws:iam::${ACCOUNT}:user/alice` },
    });
    expect(pullRequest?.revisionId).toMatch(/^[0-9a-f]{64}$/);
    const rule = pullRequest?.approvalRules?.[0];
    expect(rule?.originApprovalRuleTemplate?.approvalRuleTemplateName).toBe('require-one-approval');
    expect(JSON.parse(rule?.approvalRuleContent ?? '{}')).toMatchObject({
      Version: '2018-11-08',
      DestinationReferences: ['refs/heads/main'],
    });
    const open = await cc.send(new GetPullRequestCommand({ pullRequestId: PR(11) }));
    expect(open.pullRequest?.pullRequestTargets?.[0]?.mergeMetadata).toEqual({ isMerged: false });
    expect((await caught(() => cc.send(new GetPullRequestCommand({ pullRequestId: '999' })))).name).toBe(
      'PullRequestDoesNotExistException',
    );
    expect((await caught(() => cc.send(new GetPullRequestCommand({ pullRequestId: 'abc' })))).name).toBe(
      'InvalidPullRequestIdException',
    );
  });

  it('reports approvals per revision and evaluates the rules from them', async () => {
    const revisions = async (id: number) => {
      const events = await cc.send(
        new DescribePullRequestEventsCommand({
          pullRequestId: PR(id),
          pullRequestEventType: 'PULL_REQUEST_APPROVAL_STATE_CHANGED',
        }),
      );
      return events.pullRequestEvents ?? [];
    };
    // PR 2: approved on revision 1 only.
    const pr2 = (await cc.send(new GetPullRequestCommand({ pullRequestId: PR(2) }))).pullRequest!;
    const [approvalEvent] = await revisions(2);
    const oldRevision = approvalEvent?.approvalStateChangedEventMetadata?.revisionId;
    expect(oldRevision).not.toBe(pr2.revisionId);
    expect(
      (
        await cc.send(
          new GetPullRequestApprovalStatesCommand({ pullRequestId: PR(2), revisionId: oldRevision }),
        )
      ).approvals,
    ).toEqual([{ userArn: `arn:aws:iam::${ACCOUNT}:user/alice`, approvalState: 'APPROVE' }]);
    expect(
      (
        await cc.send(
          new GetPullRequestApprovalStatesCommand({ pullRequestId: PR(2), revisionId: pr2.revisionId }),
        )
      ).approvals,
    ).toEqual([]);
    const evaluation2 = await cc.send(
      new EvaluatePullRequestApprovalRulesCommand({ pullRequestId: PR(2), revisionId: pr2.revisionId }),
    );
    expect(evaluation2.evaluation).toEqual({
      approved: false,
      overridden: false,
      approvalRulesSatisfied: [],
      approvalRulesNotSatisfied: ['require-one-approval'],
    });
    const notCurrent = await caught(() =>
      cc.send(new EvaluatePullRequestApprovalRulesCommand({ pullRequestId: PR(2), revisionId: oldRevision })),
    );
    expect(notCurrent.name).toBe('RevisionNotCurrentException');
    const bad = await caught(() =>
      cc.send(new GetPullRequestApprovalStatesCommand({ pullRequestId: PR(2), revisionId: 'f'.repeat(64) })),
    );
    expect(bad.name).toBe('InvalidRevisionIdException');

    // PR 6: approved by the author's other role session, which CodeCommit itself accepts.
    const pr6 = (await cc.send(new GetPullRequestCommand({ pullRequestId: PR(6) }))).pullRequest!;
    const evaluation6 = await cc.send(
      new EvaluatePullRequestApprovalRulesCommand({ pullRequestId: PR(6), revisionId: pr6.revisionId }),
    );
    expect(evaluation6.evaluation?.approved).toBe(true);

    // PR 8: overridden.
    const pr8 = (await cc.send(new GetPullRequestCommand({ pullRequestId: PR(8) }))).pullRequest!;
    const evaluation8 = await cc.send(
      new EvaluatePullRequestApprovalRulesCommand({ pullRequestId: PR(8), revisionId: pr8.revisionId }),
    );
    expect(evaluation8.evaluation).toMatchObject({ approved: false, overridden: true });
    const override = await cc.send(
      new GetPullRequestOverrideStateCommand({ pullRequestId: PR(8), revisionId: pr8.revisionId }),
    );
    expect(override).toMatchObject({
      overridden: true,
      overrider: `arn:aws:iam::${ACCOUNT}:user/erin@acme.example`,
    });
    const none = await cc.send(
      new GetPullRequestOverrideStateCommand({ pullRequestId: PR(6), revisionId: pr6.revisionId }),
    );
    expect(none.overridden).toBe(false);
    expect(none.overrider).toBeUndefined();
  });

  it('excludes the author from the approvals a rule counts', async () => {
    fake.updateScenario((draft) => {
      const pr = draft.account.regions['us-east-1']!.pullRequests.find((p) => p.pullRequestId === '5')!;
      pr.approvals = [{ revisionId: pr.revisions[0]!, userArn: pr.authorArn, state: 'APPROVE' }];
    });
    const pr5 = (await cc.send(new GetPullRequestCommand({ pullRequestId: PR(5) }))).pullRequest!;
    const evaluation = await cc.send(
      new EvaluatePullRequestApprovalRulesCommand({ pullRequestId: PR(5), revisionId: pr5.revisionId }),
    );
    expect(evaluation.evaluation?.approved).toBe(false);
  });

  it('describes pull request events, paged', async () => {
    const events: string[] = [];
    for await (const page of paginateDescribePullRequestEvents(
      { client: cc, pageSize: 2 },
      { pullRequestId: PR(2) },
    )) {
      events.push(...(page.pullRequestEvents ?? []).map((e) => e.pullRequestEventType!));
    }
    expect(events).toEqual([
      'PULL_REQUEST_CREATED',
      'PULL_REQUEST_APPROVAL_STATE_CHANGED',
      'PULL_REQUEST_SOURCE_REFERENCE_UPDATED',
      'PULL_REQUEST_MERGE_STATE_CHANGED',
      'PULL_REQUEST_STATUS_CHANGED',
    ]);
    const merged = await cc.send(
      new DescribePullRequestEventsCommand({
        pullRequestId: PR(8),
        pullRequestEventType: 'PULL_REQUEST_MERGE_STATE_CHANGED',
      }),
    );
    expect(merged.pullRequestEvents?.[0]).toMatchObject({
      actorArn: `arn:aws:iam::${ACCOUNT}:user/erin@acme.example`,
      eventDate: new Date('2026-11-10T00:00:00Z'),
      pullRequestMergedStateChangedEventMetadata: {
        destinationReference: 'refs/heads/main',
        mergeMetadata: { isMerged: true },
      },
    });
    const overridden = await cc.send(
      new DescribePullRequestEventsCommand({
        pullRequestId: PR(8),
        pullRequestEventType: 'PULL_REQUEST_APPROVAL_RULE_OVERRIDDEN',
      }),
    );
    expect(overridden.pullRequestEvents?.[0]?.approvalRuleOverriddenEventMetadata?.overrideStatus).toBe(
      'OVERRIDE',
    );
  });

  it('lists, gets and associates approval rule templates', async () => {
    const templates = await cc.send(new ListApprovalRuleTemplatesCommand({}));
    expect(templates.approvalRuleTemplateNames).toEqual(['require-one-approval', 'security-team-review']);
    const paged = await cc.send(new ListApprovalRuleTemplatesCommand({ maxResults: 1 }));
    expect(paged.approvalRuleTemplateNames).toEqual(['require-one-approval']);
    const next = await cc.send(
      new ListApprovalRuleTemplatesCommand({ maxResults: 1, nextToken: paged.nextToken }),
    );
    expect(next.approvalRuleTemplateNames).toEqual(['security-team-review']);
    expect(next.nextToken).toBeUndefined();
    const template = await cc.send(
      new GetApprovalRuleTemplateCommand({ approvalRuleTemplateName: 'require-one-approval' }),
    );
    expect(JSON.parse(template.approvalRuleTemplate?.approvalRuleTemplateContent ?? '{}')).toEqual({
      Version: '2018-11-08',
      DestinationReferences: ['refs/heads/main'],
      Statements: [
        {
          Type: 'Approvers',
          NumberOfApprovalsNeeded: 1,
          ApprovalPoolMembers: [
            `arn:aws:iam::${ACCOUNT}:user/*`,
            `arn:aws:sts::${ACCOUNT}:assumed-role/Developer/*`,
            `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/*`,
          ],
        },
      ],
    });
    expect(template.approvalRuleTemplate?.ruleContentSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(
      (await caught(() => cc.send(new GetApprovalRuleTemplateCommand({ approvalRuleTemplateName: 'x' }))))
        .name,
    ).toBe('ApprovalRuleTemplateDoesNotExistException');
    const associated = await cc.send(
      new ListAssociatedApprovalRuleTemplatesForRepositoryCommand({ repositoryName: 'legacy-scripts' }),
    );
    expect(associated.approvalRuleTemplateNames).toEqual(['require-one-approval']);
    const none = await cc.send(
      new ListAssociatedApprovalRuleTemplatesForRepositoryCommand({ repositoryName: 'infra-tools' }),
    );
    expect(none.approvalRuleTemplateNames).toEqual([]);
  });

  it('lists the repositories of a template, paged, the other way round from ListAssociated…', async () => {
    const all = await cc.send(
      new ListRepositoriesForApprovalRuleTemplateCommand({
        approvalRuleTemplateName: 'require-one-approval',
      }),
    );
    expect(all.repositoryNames).toContain('legacy-scripts');
    expect(all.repositoryNames).not.toContain('infra-tools');
    expect(all.nextToken).toBeUndefined();
    // Each listed repository lists the template back.
    for (const repositoryName of all.repositoryNames ?? []) {
      const back = await cc.send(
        new ListAssociatedApprovalRuleTemplatesForRepositoryCommand({ repositoryName }),
      );
      expect(back.approvalRuleTemplateNames).toContain('require-one-approval');
    }
    const paged: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await cc.send(
        new ListRepositoriesForApprovalRuleTemplateCommand({
          approvalRuleTemplateName: 'require-one-approval',
          maxResults: 1,
          nextToken,
        }),
      );
      expect(page.repositoryNames?.length).toBeLessThanOrEqual(1);
      paged.push(...(page.repositoryNames ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(paged).toEqual(all.repositoryNames);
    const missing = await caught(() =>
      cc.send(new ListRepositoriesForApprovalRuleTemplateCommand({ approvalRuleTemplateName: 'x' })),
    );
    expect(missing.name).toBe('ApprovalRuleTemplateDoesNotExistException');
  });

  it('another region has no repositories', async () => {
    const eu = new CodeCommitClient({ endpoint: fake.url, region: 'eu-west-1', credentials, maxAttempts: 1 });
    expect((await eu.send(new ListRepositoriesCommand({}))).repositories).toEqual([]);
    expect((await caught(() => eu.send(new GetPullRequestCommand({ pullRequestId: '1' })))).name).toBe(
      'PullRequestDoesNotExistException',
    );
  });
});

describe('CodeCommit permissions', () => {
  let fake: FakeAws;
  beforeAll(async () => {
    fake = await startDemo();
  });
  afterAll(() => fake.close());

  it('allows what a wildcard grants and denies the rest with AccessDeniedException', async () => {
    const arn = await createRole(fake, 'ListOnly', {
      externalId: 'e-2',
      inline: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'codecommit:List*', Resource: '*' }],
      },
    });
    const { codecommit } = clients(fake, await assume(fake, arn, 'e-2'));
    expect((await codecommit.send(new ListRepositoriesCommand({}))).repositories).toHaveLength(4);
    const denied = await caught(() => codecommit.send(new GetPullRequestCommand({ pullRequestId: '3' })));
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.$metadata?.httpStatusCode).toBe(400);
    expect(denied.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/ListOnly/evidence-test is not authorized to perform: codecommit:GetPullRequest on resource: arn:aws:codecommit:us-east-1:${ACCOUNT}:payments-service because no identity-based policy allows the codecommit:GetPullRequest action`,
    );
    expect(fake.stats().denied['codecommit:GetPullRequest']).toBe(1);
  });

  it('scopes grants to repository ARNs', async () => {
    const arn = await createRole(fake, 'WebOnly', {
      externalId: 'e-3',
      inline: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'codecommit:*',
            Resource: `arn:aws:codecommit:us-east-1:${ACCOUNT}:web-*`,
          },
        ],
      },
    });
    const { codecommit } = clients(fake, await assume(fake, arn, 'e-3'));
    expect(
      (await codecommit.send(new ListBranchesCommand({ repositoryName: 'web-app' }))).branches,
    ).toHaveLength(4);
    const batch = await codecommit.send(
      new BatchGetRepositoriesCommand({ repositoryNames: ['web-app', 'web-ghost'] }),
    );
    expect(batch.repositoriesNotFound).toEqual(['web-ghost']);
    const mixed = await caught(() =>
      codecommit.send(new BatchGetRepositoriesCommand({ repositoryNames: ['web-app', 'infra-tools'] })),
    );
    expect(mixed.name).toBe('AccessDeniedException');
    expect(
      (await caught(() => codecommit.send(new ListBranchesCommand({ repositoryName: 'infra-tools' })))).name,
    ).toBe('AccessDeniedException');
  });
});

describe('pagination of a large account', () => {
  let fake: FakeAws;
  beforeAll(async () => {
    const scenario = generateScenario({ repos: 1050, prsPerRepo: 0, users: 0, branchesPerRepo: 0 });
    const repo = scenario.account.regions['us-east-1']!.repositories[0]!;
    for (let i = 1; i <= 120; i++) repo.branches.push({ name: `b-${i}`, commitId: 'a'.repeat(40) });
    fake = await startFakeAws({ scenario });
  });
  afterAll(() => fake.close());

  it('ListRepositories returns 1,000 per page, ListBranches 100', async () => {
    const { codecommit } = clients(
      fake,
      await assume(fake, `arn:aws:iam::${ACCOUNT}:role/CodeCommitEvidence`, 'fake-aws-external-id'),
    );
    const sizes: number[] = [];
    for await (const page of paginateListRepositories({ client: codecommit }, {}))
      sizes.push(page.repositories?.length ?? 0);
    expect(sizes).toEqual([1000, 50]);
    const first = await codecommit.send(new ListBranchesCommand({ repositoryName: 'repo-00001' }));
    expect(first.branches).toHaveLength(100);
    const second = await codecommit.send(
      new ListBranchesCommand({ repositoryName: 'repo-00001', nextToken: first.nextToken }),
    );
    expect(second.branches).toHaveLength(21);
    expect(second.nextToken).toBeUndefined();
  });
});
