import {
  createOrGetActiveSyncRun,
  finishSyncRun,
  getAwsCalls,
  getSyncRun,
  listSyncProblems,
  selectCurrent,
} from '@codecommit-evidence/evidence-store';
import {
  type FakeAws,
  type FaultRuleInput,
  type Scenario,
  startFakeAws,
} from '@codecommit-evidence/fake-aws';
import { jobIds } from '@codecommit-evidence/queues';
import { runSyncJob } from '@codecommit-evidence/sync-support';
import { useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createActiveConnection,
  currentEvidence,
  evidenceHashes,
  type Harness,
  rowsTouchedBy,
  startHarness,
} from '../test-support/harness.js';
import {
  earlierApprovals,
  expectedEvidence,
  historyReads,
  mergeDateReads,
  REGION,
  ROLES,
  testScenario,
} from '../test-support/scenario.js';
import { syncRepositoryJob } from './processors/sync-repository.js';

/**
 * One story against fake-aws (real SDK clients over HTTP), Postgres and Redis, with the worker running
 * the real sync-run flow: full sync, no-change re-sync, changes, throttling, a missing permission.
 */
describe('repo-sync', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  let fake: FakeAws;
  let h: Harness;
  let scenario: Scenario;
  let main: string;

  /** Fake-aws's per-operation CodeCommit calls since the last reset. */
  const fakeCalls = () =>
    Object.fromEntries(Object.entries(fake.stats().calls).filter(([k]) => k.startsWith('codecommit:')));
  /** A sync of the main connection with fake-aws answering by these fault rules, cleared afterwards. */
  const syncWithFaults = async (faults: FaultRuleInput[]) => {
    fake.setFaults(faults);
    try {
      return await h.sync(main);
    } finally {
      fake.clearFaults();
    }
  };
  /** The run's recorded calls, as plain counts. */
  const recordedCalls = async (runId: number) =>
    Object.fromEntries(Object.entries(await getAwsCalls(t.current.db, runId)).map(([k, v]) => [k, v.calls]));

  beforeAll(async () => {
    scenario = testScenario();
    fake = await startFakeAws({ scenario });
    h = await startHarness({
      db: t.current.db,
      redisUrl: r.current.url,
      prefix: r.current.prefix,
      endpoint: fake.url,
      platformCredentials: fake.platformCredentials,
      limits: { codecommitRps: 100, iamRps: 10, accountConcurrency: 16, maxAttempts: 6 },
    });
    main = await createActiveConnection(t.current.db, ROLES[0]);
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });

  it('a full sync stores exactly the scenario, and evaluate-checks runs after every repository', async () => {
    fake.resetStats();
    const run = await h.sync(main);
    expect(run.evaluatedAfterAllRepositories).toBe(true);
    expect(run.failures).toEqual({});
    const expected = expectedEvidence(scenario);
    expect(await currentEvidence(t.current.db, main)).toEqual(expected);
    expect(expected.overridden).toHaveLength(1);
    expect(expected.approvals.length).toBeGreaterThan(0);

    // Every call the fake answered is in the run's stats, per operation, and nothing else.
    const calls = await recordedCalls(run.runId);
    expect(calls).toEqual(fakeCalls());
    const region = scenario.account.regions[REGION]!;
    const repos = region.repositories.length;
    expect(calls['codecommit:GetPullRequest']).toBe(region.pullRequests.length);
    expect(calls['codecommit:GetPullRequestApprovalStates']).toBe(expected.mergedPullRequests);
    expect(calls['codecommit:EvaluatePullRequestApprovalRules']).toBe(expected.mergedPullRequests);
    expect(calls['codecommit:GetPullRequestOverrideState']).toBe(1);
    // Approval history only for merged pull requests without an independent final approval: one each.
    expect(historyReads(scenario).length).toBeGreaterThan(0);
    expect(historyReads(scenario).length).toBeLessThan(expected.mergedPullRequests);
    // Plus the merge date of every merged pull request, whatever its dates (the evidence must not depend on
    // when the sync ran): one DescribePullRequestEvents each, which also carries the history where needed.
    expect(mergeDateReads(scenario)).toHaveLength(expected.mergedPullRequests);
    expect(calls['codecommit:DescribePullRequestEvents']).toBe(expected.mergedPullRequests);
    const mergedRows = await selectCurrent(t.current.db, 'pull_requests', main)
      .where('is_merged', '=', true)
      .select(['pull_request_id', 'merged_at'])
      .execute();
    const byId = new Map(region.pullRequests.map((p) => [p.pullRequestId, p]));
    expect(mergedRows).toHaveLength(expected.mergedPullRequests);
    for (const row of mergedRows) {
      // fake-aws dates a derived merge event at the pull request's last activity.
      expect(row.merged_at?.toISOString() ?? null, row.pull_request_id).toBe(
        new Date(byId.get(row.pull_request_id)!.lastActivityDate).toISOString(),
      );
    }
    // Their earlier-revision approvals are stored (a revoked one as REVOKE); those of a pull request
    // approved on its final revision are not read at all.
    const earlier = earlierApprovals(scenario);
    expect(earlier.map((a) => a.split('|').slice(2).join('|')).sort()).toEqual([
      'arn:aws:iam::111122223333:user/earlier-reviewer-1|APPROVE',
      'arn:aws:iam::111122223333:user/earlier-reviewer-2|REVOKE',
    ]);
    const storedApprovals = (await currentEvidence(t.current.db, main)).approvals;
    expect(storedApprovals).toEqual(expect.arrayContaining(earlier));
    expect(storedApprovals.some((a) => a.includes('earlier-reviewer-3'))).toBe(false);
    expect(calls['codecommit:ListBranches']).toBe(repos);
    // The empty repository has no default branch to read.
    expect(calls['codecommit:GetBranch']).toBe(repos - 1);
    expect(calls['codecommit:GetApprovalRuleTemplate']).toBe(expected.templates.length);
    expect(calls['codecommit:ListPullRequests']).toBe(2 * repos);

    const stored = await selectCurrent(t.current.db, 'approval_rule_templates', main).selectAll().execute();
    const everywhere = stored.find((x) => x.template_name === 'two-approvals-everywhere')!;
    expect(everywhere.destination_references).toEqual([]);
    expect(everywhere.required_approvals).toBe(2);
    const status = await getSyncRun(t.current.db, run.runId);
    expect(status?.status).toBe('succeeded');
    expect(status?.steps['codecommit:repositories']?.status).toBe('succeeded');
    expect(await listSyncProblems(t.current.db, run.runId)).toEqual([]);
  });

  it('a re-sync without changes fetches no pull request and writes no evidence row', async () => {
    fake.resetStats();
    const run = await h.sync(main);
    const calls = await recordedCalls(run.runId);
    expect(calls).toEqual(fakeCalls());
    // Neither closed ones (final) nor those still listed OPEN (nothing of theirs that may change is stored).
    expect(expectedEvidence(scenario).openPullRequests).toBeGreaterThan(0);
    expect(calls['codecommit:GetPullRequest']).toBeUndefined();
    expect(calls['codecommit:GetPullRequestApprovalStates']).toBeUndefined();
    expect(calls['codecommit:EvaluatePullRequestApprovalRules']).toBeUndefined();
    // Neither approval history nor merge dates: both were read once, when the pull request was first seen.
    expect(calls['codecommit:DescribePullRequestEvents']).toBeUndefined();
    expect(await rowsTouchedBy(t.current.db, main, run.runId)).toEqual({});
  });

  it('an invalid GetBranch answer faults the branch scope and keeps its evidence (no head stored as null)', async () => {
    const before = await selectCurrent(t.current.db, 'branches', main).selectAll().execute();
    const run = await syncWithFaults([
      { operation: 'codecommit:GetBranch', kind: 'wrong-type', member: 'branch' },
    ]);
    const problems = await listSyncProblems(t.current.db, run.runId);
    expect(problems.some((p) => p.step.startsWith('codecommit:branches:'))).toBe(true);
    expect((await rowsTouchedBy(t.current.db, main, run.runId)).branches).toBeUndefined();
    const after = await selectCurrent(t.current.db, 'branches', main).selectAll().execute();
    const key = (b: { repository_id: string; branch_name: string; commit_id: string | null }) =>
      `${b.repository_id} ${b.branch_name} ${b.commit_id}`;
    expect(after.map(key).sort()).toEqual(before.map(key).sort());
  });

  for (const fault of [
    {
      operation: 'codecommit:ListApprovalRuleTemplates',
      kind: 'access-denied',
      problem: 'missing_permission',
    },
    {
      operation: 'codecommit:ListRepositoriesForApprovalRuleTemplate',
      kind: 'access-denied',
      problem: 'missing_permission',
    },
    {
      operation: 'codecommit:ListRepositoriesForApprovalRuleTemplate',
      kind: 'wrong-type',
      member: 'repositoryNames',
      problem: 'error',
    },
  ] as const) {
    it(`${fault.operation} ${fault.kind}: a gap of the account's templates scope, never "no templates"`, async () => {
      const key = (a: { repository_id: string; template_name: string }) =>
        `${a.repository_id} ${a.template_name}`;
      const before = await selectCurrent(t.current.db, 'repository_template_associations', main)
        .selectAll()
        .execute();
      expect(before.length).toBeGreaterThan(0);
      const { problem, ...rule } = fault;
      const run = await syncWithFaults([rule]);
      const problems = await listSyncProblems(t.current.db, run.runId);
      // One problem, on the account scope (which covers every repository's templates scope).
      expect(problems.map((p) => `${p.kind}|${p.step}|${p.action}`)).toEqual([
        `${problem}|codecommit:approval-rule-templates|${fault.operation}`,
      ]);
      // The stored associations are kept as they were: none retired as if the templates were gone.
      expect(
        (await rowsTouchedBy(t.current.db, main, run.runId)).repository_template_associations,
      ).toBeUndefined();
      const after = await selectCurrent(t.current.db, 'repository_template_associations', main)
        .selectAll()
        .execute();
      expect(after.map(key).sort()).toEqual(before.map(key).sort());
      expect((await getSyncRun(t.current.db, run.runId))?.status).toBe('succeeded');
    });
  }

  it('after the scenario changes, the next sync records exactly those changes', async () => {
    const region = scenario.account.regions[REGION]!;
    const repoNames = region.repositories.map((x) => x.repositoryName);
    const associated = new Set(Object.values(region.associations).flat());
    const unprotected = repoNames.find((n) => !associated.has(n) && n !== 'empty-repo')!;
    const toDelete = repoNames.find((n) => n !== unprotected && n !== 'empty-repo' && n !== repoNames[0])!;
    const open = region.pullRequests.find((p) => p.status === 'OPEN' && p.repositoryName !== toDelete)!;
    const deleted = region.repositories.find((x) => x.repositoryName === toDelete)!;
    const deletedPrs = region.pullRequests.filter((p) => p.repositoryName === toDelete);
    fake.updateScenario((d) => {
      const reg = d.account.regions[REGION]!;
      // A new pull request (open), one merged, a repository deleted, a template associated.
      const template = structuredClone(reg.pullRequests.find((p) => p.pullRequestId === open.pullRequestId)!);
      reg.pullRequests.push({ ...template, pullRequestId: '9001', title: 'new one', approvals: [] });
      const m = reg.pullRequests.find((p) => p.pullRequestId === open.pullRequestId)!;
      // Merged two hours ago, commented on since: the merge event's date, not the last activity, is stored.
      const lastActivity = new Date(Math.floor(Date.now() / 1000) * 1000);
      const mergedAt = new Date(lastActivity.getTime() - 2 * 60 * 60 * 1000);
      Object.assign(m, {
        lastActivityDate: lastActivity.toISOString(),
        events: [
          {
            type: 'PULL_REQUEST_CREATED',
            date: m.creationDate,
            actorArn: m.authorArn,
            metadata: { repositoryName: m.repositoryName },
          },
          {
            type: 'PULL_REQUEST_MERGE_STATE_CHANGED',
            date: mergedAt.toISOString(),
            actorArn: m.authorArn,
            metadata: {
              repositoryName: m.repositoryName,
              destinationReference: m.destinationReference,
              mergeMetadata: { isMerged: true, mergedBy: m.authorArn },
            },
          },
        ],
        status: 'CLOSED',
        isMerged: true,
        mergedBy: m.authorArn,
        mergeCommitId: 'f'.repeat(40),
        mergeOption: 'SQUASH_MERGE',
        approvals: [
          {
            revisionId: m.revisions.at(-1)!,
            userArn: 'arn:aws:iam::111122223333:user/reviewer',
            state: 'APPROVE',
          },
        ],
      });
      reg.repositories = reg.repositories.filter((x) => x.repositoryName !== toDelete);
      reg.pullRequests = reg.pullRequests.filter((p) => p.repositoryName !== toDelete);
      for (const k of Object.keys(reg.associations))
        reg.associations[k] = reg.associations[k]!.filter((n) => n !== toDelete);
      reg.associations['two-approvals-everywhere']!.push(unprotected);
    });
    scenario = fake.scenario();
    fake.resetStats();
    const run = await h.sync(main);
    expect(await currentEvidence(t.current.db, main)).toEqual(expectedEvidence(scenario));

    const deletedApprovals = expectedEvidence({
      ...scenario,
      account: {
        ...scenario.account,
        regions: { [REGION]: { ...region, pullRequests: deletedPrs, repositories: [deleted] } },
      },
    } as Scenario).approvals.length;
    const deletedAssociations = Object.values(region.associations).filter((names) =>
      names.includes(toDelete),
    ).length;
    expect(await rowsTouchedBy(t.current.db, main, run.runId)).toEqual({
      repositories: { opened: 0, closed: 1 },
      branches: { opened: 0, closed: deleted.branches.length },
      repository_template_associations: { opened: 1, closed: deletedAssociations },
      // The new pull request, and a new version of the merged one (closing its open version).
      pull_requests: { opened: 2, closed: 1 + deletedPrs.length },
      pull_request_approvals: { opened: 1, closed: deletedApprovals },
    });
    const calls = await recordedCalls(run.runId);
    expect(calls['codecommit:GetPullRequestApprovalStates']).toBe(1);
    expect(calls['codecommit:EvaluatePullRequestApprovalRules']).toBe(1);
    // The newly merged one was approved on its final revision by a reviewer: no history read, but one
    // read of its merge date (every merged pull request's is read once, whatever its dates).
    expect(calls['codecommit:DescribePullRequestEvents']).toBe(1);
    const newlyMerged = await selectCurrent(t.current.db, 'pull_requests', main)
      .where('pull_request_id', '=', open.pullRequestId)
      .select(['merged_at', 'last_activity_date'])
      .executeTakeFirstOrThrow();
    const mergeEvent = fake
      .scenario()
      .account.regions[REGION]!.pullRequests.find((p) => p.pullRequestId === open.pullRequestId)!
      .events!.find((e) => e.type === 'PULL_REQUEST_MERGE_STATE_CHANGED')!;
    expect(newlyMerged.merged_at?.toISOString()).toBe(new Date(mergeEvent.date).toISOString());
    expect(newlyMerged.merged_at!.getTime()).toBeLessThan(newlyMerged.last_activity_date!.getTime());
    // Removed, not erased: the deleted repository is still there as of the previous run.
    const history = await t.current.db
      .selectFrom('repositories')
      .select(['valid_to_run'])
      .where('connection_id', '=', main)
      .where('repository_name', '=', toDelete)
      .execute();
    expect(history).toEqual([{ valid_to_run: run.runId }]);
  });

  it('a repository deleted while its job runs is recorded and marked removed, not a failure', async () => {
    const { run } = await createOrGetActiveSyncRun(t.current.db, main, 'api');
    const region = scenario.account.regions[REGION]!;
    const victim = region.repositories.find((x) =>
      region.pullRequests.some((p) => p.repositoryName === x.repositoryName),
    )!;
    // Listed by sync-repositories, then deleted before its own job reads it.
    fake.updateScenario((d) => {
      const reg = d.account.regions[REGION]!;
      reg.repositories = reg.repositories.filter((x) => x.repositoryName !== victim.repositoryName);
      reg.pullRequests = reg.pullRequests.filter((p) => p.repositoryName !== victim.repositoryName);
      for (const k of Object.keys(reg.associations))
        reg.associations[k] = reg.associations[k]!.filter((n) => n !== victim.repositoryName);
    });
    scenario = fake.scenario();
    const result = await runSyncJob(syncRepositoryJob, h.deps, {
      connectionId: main,
      runId: run.id,
      repositoryId: victim.repositoryId,
      repositoryName: victim.repositoryName,
    });
    expect(result.outcome).toBe('gone');
    const problems = await listSyncProblems(t.current.db, run.id);
    expect(problems.map((p) => [p.kind, p.code, p.resource])).toEqual([
      ['warning', 'repository_deleted', victim.repositoryName],
    ]);
    await finishSyncRun(t.current.db, run.id, 'succeeded');
    expect(await currentEvidence(t.current.db, main)).toEqual(expectedEvidence(scenario));
    const touched = await rowsTouchedBy(t.current.db, main, run.id);
    expect(touched.repositories).toEqual({ opened: 0, closed: 1 });
    expect(touched.pull_requests?.closed).toBe(
      region.pullRequests.filter((p) => p.repositoryName === victim.repositoryName).length,
    );
  });

  it('with throttling at AWS, a full sync completes with the same evidence', async () => {
    const other = await createActiveConnection(t.current.db, ROLES[1]);
    fake.resetStats();
    // The worker's own limiter allows 100/s and 16 in flight; the fake answers ThrottlingException
    // beyond 10/s (a burst of one second's worth), so bursts are throttled however slow this machine is.
    fake.setOptions({ rates: { codecommit: 10 } });
    try {
      const run = await h.sync(other);
      expect(run.failures).toEqual({});
      expect(await evidenceHashes(t.current.db, other)).toEqual(await evidenceHashes(t.current.db, main));
      const recorded = await getAwsCalls(t.current.db, run.runId);
      const throttled = Object.values(recorded).reduce((n, c) => n + c.throttled, 0);
      const fakeThrottled = Object.values(fake.stats().throttled).reduce((n, c) => n + c, 0);
      expect(fakeThrottled).toBeGreaterThan(0);
      expect(throttled).toBe(fakeThrottled);
    } finally {
      fake.setOptions({ rates: {} });
    }
  }, 90_000);

  it('with a permission removed, the run records which and keeps the rest; restored, the gap is filled', async () => {
    const third = await createActiveConnection(t.current.db, ROLES[2]);
    const deny = (d: Scenario) => {
      const role = d.account.roles.find((x) => x.roleName === ROLES[2].roleName)!;
      role.inlinePolicies = [
        {
          name: 'no-approval-states',
          document: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Deny', Action: 'codecommit:GetPullRequestApprovalStates', Resource: '*' }],
          },
        },
      ];
    };
    fake.updateScenario(deny);
    fake.resetStats();
    const run = await h.sync(third);
    const problems = await listSyncProblems(t.current.db, run.runId);
    const region = fake.scenario().account.regions[REGION]!;
    const reposWithMerged = new Set(
      region.pullRequests.filter((p) => p.isMerged).map((p) => p.repositoryName),
    );
    expect(problems.map((p) => `${p.kind}|${p.step}|${p.action}`).sort()).toEqual(
      [...reposWithMerged]
        .map(
          (n) => `missing_permission|codecommit:pull-requests:${n}|codecommit:GetPullRequestApprovalStates`,
        )
        .sort(),
    );
    // One denied call per repository job: after the first denial the job stops asking.
    expect(fake.stats().denied['codecommit:GetPullRequestApprovalStates']).toBe(reposWithMerged.size);
    const got = await currentEvidence(t.current.db, third);
    const want = expectedEvidence(fake.scenario());
    expect({ ...got, approvals: [], overridden: [] }).toEqual({ ...want, approvals: [], overridden: [] });
    expect(got.approvals).toEqual([]);
    const merged = await selectCurrent(t.current.db, 'pull_requests', third)
      .where('is_merged', '=', true)
      .select(['evaluation'])
      .execute();
    // Not collected: null, never an empty "no approvals".
    expect(merged.every((m) => m.evaluation === null)).toBe(true);
    expect((await getSyncRun(t.current.db, run.runId))?.status).toBe('succeeded');

    fake.updateScenario((d) => {
      d.account.roles.find((x) => x.roleName === ROLES[2].roleName)!.inlinePolicies = [];
    });
    fake.resetStats();
    const again = await h.sync(third);
    expect(await currentEvidence(t.current.db, third)).toEqual(want);
    const calls = await recordedCalls(again.runId);
    // The review data is read for the merged pull requests that lacked it, without GetPullRequest.
    expect(calls['codecommit:GetPullRequestApprovalStates']).toBe(want.mergedPullRequests);
    expect(calls['codecommit:DescribePullRequestEvents']).toBe(historyReads(fake.scenario()).length);
    // Open ones are not fetched either: still listed OPEN, nothing of theirs that may change is stored.
    expect(calls['codecommit:GetPullRequest']).toBeUndefined();
    expect(await listSyncProblems(t.current.db, again.runId)).toEqual([]);
  });
  it('with DescribePullRequestEvents denied, the review data is still stored and the gap does not touch the pull requests step', async () => {
    const fourth = await createActiveConnection(t.current.db, ROLES[3]);
    const setPolicies = (deny: boolean) =>
      fake.updateScenario((d) => {
        d.account.roles.find((x) => x.roleName === ROLES[3].roleName)!.inlinePolicies = deny
          ? [
              {
                name: 'no-history',
                document: {
                  Version: '2012-10-17',
                  Statement: [
                    { Effect: 'Deny', Action: 'codecommit:DescribePullRequestEvents', Resource: '*' },
                  ],
                },
              },
            ]
          : [];
      });
    setPolicies(true);
    try {
      fake.resetStats();
      const run = await h.sync(fourth);
      expect(run.failures).toEqual({});
      const s = fake.scenario();
      const region = s.account.regions[REGION]!;
      // Approval history and merge dates: the same action, recorded on the same step, once per repository.
      const history = new Set([...historyReads(s), ...mergeDateReads(s)]);
      const reposWithHistory = new Set(
        region.pullRequests.filter((p) => history.has(p.pullRequestId)).map((p) => p.repositoryName),
      );
      const problems = await listSyncProblems(t.current.db, run.runId);
      // Its own step: a gap on codecommit:pull-requests:<repo> would make the repository's peer review unknown.
      expect(problems.map((p) => `${p.kind}|${p.step}|${p.action}`).sort()).toEqual(
        [...reposWithHistory]
          .map(
            (n) =>
              `missing_permission|codecommit:pull-request-history:${n}|codecommit:DescribePullRequestEvents`,
          )
          .sort(),
      );
      expect(fake.stats().denied['codecommit:DescribePullRequestEvents']).toBe(reposWithHistory.size);
      const want = expectedEvidence(s);
      const earlier = new Set(earlierApprovals(s));
      expect(await currentEvidence(t.current.db, fourth)).toEqual({
        ...want,
        approvals: want.approvals.filter((a) => !earlier.has(a)),
      });
      const merged = await selectCurrent(t.current.db, 'pull_requests', fourth)
        .where('is_merged', '=', true)
        .select(['evaluation'])
        .execute();
      expect(merged.every((m) => m.evaluation !== null)).toBe(true);
      // Unknown merge dates: the checks fall back to the last activity.
      expect(
        (
          await selectCurrent(t.current.db, 'pull_requests', fourth)
            .where('merged_at', 'is not', null)
            .select('pull_request_id')
            .execute()
        ).length,
      ).toBe(0);

      // Allowed again: the merge dates are read now (one filtered call per merged pull request, no
      // GetPullRequest), so the gap does not stay for good; the history is not re-read (the finding keeps
      // the plainer wording, see the README).
      setPolicies(false);
      fake.resetStats();
      const again = await h.sync(fourth);
      const calls = await recordedCalls(again.runId);
      expect(calls['codecommit:DescribePullRequestEvents']).toBe(want.mergedPullRequests);
      expect(calls['codecommit:GetPullRequest']).toBeUndefined();
      expect(await listSyncProblems(t.current.db, again.runId)).toEqual([]);
      const dated = await selectCurrent(t.current.db, 'pull_requests', fourth)
        .where('is_merged', '=', true)
        .where('merged_at', 'is not', null)
        .select('pull_request_id')
        .execute();
      expect(dated).toHaveLength(want.mergedPullRequests);
      // And only once: the next run reads nothing.
      const third = await h.sync(fourth);
      expect((await recordedCalls(third.runId))['codecommit:DescribePullRequestEvents']).toBeUndefined();
    } finally {
      setPolicies(false);
    }
  });
  it('a denied core call (ListRepositories) fails the job for good, recorded, and the run is still evaluated', async () => {
    const third = (
      await t.current.db
        .selectFrom('connections')
        .select('id')
        .where('name', '=', ROLES[2].roleName)
        .executeTakeFirstOrThrow()
    ).id;
    fake.updateScenario((d) => {
      d.account.roles.find((x) => x.roleName === ROLES[2].roleName)!.inlinePolicies = [
        {
          name: 'no-listing',
          document: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Deny', Action: 'codecommit:ListRepositories', Resource: '*' }],
          },
        },
      ];
    });
    fake.resetStats();
    const run = await h.sync(third);
    expect(Object.values(run.failures).join()).toMatch(
      /access_denied: codecommit:ListRepositories was denied/,
    );
    // Not retried: it would fail the same way until the role changes.
    expect(fake.stats().denied['codecommit:ListRepositories']).toBe(1);
    const problems = await listSyncProblems(t.current.db, run.runId);
    expect(problems.map((p) => `${p.kind}|${p.step}|${p.code}|${p.action}`)).toEqual([
      'missing_permission|codecommit:repositories|access_denied|codecommit:ListRepositories',
      'error|codecommit:repositories|access_denied|codecommit:ListRepositories',
    ]);
    expect((await getSyncRun(t.current.db, run.runId))?.steps['codecommit:repositories']?.status).toBe(
      'failed',
    );
  });
  it('with one repository job per connection at a time, the others are put back and the run still completes', async () => {
    // A worker whose gate admits one repository job per connection: the rest are delayed, not failed.
    await h.close();
    h = await startHarness({
      db: t.current.db,
      redisUrl: r.current.url,
      prefix: r.current.prefix,
      endpoint: fake.url,
      platformCredentials: fake.platformCredentials,
      limits: { codecommitRps: 100, iamRps: 10, accountConcurrency: 16, maxAttempts: 6 },
      jobsPerConnection: 1,
    });
    const second = (
      await t.current.db
        .selectFrom('connections')
        .select('id')
        .where('name', '=', ROLES[1].roleName)
        .executeTakeFirstOrThrow()
    ).id;
    fake.updateScenario((d) => {
      const reg = d.account.regions[REGION]!;
      // Every open pull request merges: each repository job has work, and the result is checkable.
      for (const p of reg.pullRequests.filter((x) => x.status === 'OPEN')) {
        Object.assign(p, {
          status: 'CLOSED',
          isMerged: true,
          mergedBy: p.authorArn,
          mergeCommitId: 'e'.repeat(40),
        });
      }
    });
    const run = await h.sync(second);
    expect(run.failures).toEqual({});
    expect(await currentEvidence(t.current.db, second)).toEqual(expectedEvidence(fake.scenario()));
    const repos = await selectCurrent(t.current.db, 'repositories', second).select('repository_id').execute();
    const deferrals = await Promise.all(
      repos.map(async (x) => {
        const job = await h.queues['repo-sync'].getJob(jobIds.syncRepository(run.runId, x.repository_id));
        return (job?.progress as { deferrals?: number } | undefined)?.deferrals ?? 0;
      }),
    );
    // Four worker slots, one admitted at a time: the others were put back at least once.
    expect(deferrals.filter((n) => n > 0).length).toBeGreaterThan(0);
  }, 90_000);
});
