import { diffCurrentEvidence, selectCurrent } from '@codecommit-evidence/evidence-store';
import { type FakeAws, type Scenario, startFakeAws } from '@codecommit-evidence/fake-aws';
import { useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActiveConnection, type Harness, startHarness } from '../test-support/harness.js';
import { REGION, ROLES, testScenario } from '../test-support/scenario.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The merge date never depends on when the sync ran (issue 12: 4 of 50,000 pull request rows differed
 * between two full syncs of the same account 38 minutes apart). Through the real worker, fake-aws (SDK
 * over HTTP), Postgres and Redis; the workers' clock is the settable one (`deps.now`).
 */
describe('repo-sync merge dates: the same evidence whenever the sync runs', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  let fake: FakeAws;
  let h: Harness;
  /** The workers' clock: moved between syncs. */
  let clock = () => new Date();
  /** A merged pull request last active 90.5 days ago: inside the 90-day window plus a day, until tomorrow. */
  let edge: Scenario['account']['regions'][string]['pullRequests'][number];

  const mergedAt = async (connectionId: string) =>
    (
      await selectCurrent(t.current.db, 'pull_requests', connectionId)
        .where('pull_request_id', '=', edge.pullRequestId)
        .select('merged_at')
        .executeTakeFirstOrThrow()
    ).merged_at;
  const pullRequestDiff = async (a: string, b: string) =>
    (await diffCurrentEvidence(t.current.db, ['pull_requests'], a, b)).pull_requests!;
  const setDenied = (role: string, deny: boolean) =>
    fake.updateScenario((d) => {
      d.account.roles.find((x) => x.roleName === role)!.inlinePolicies = deny
        ? [
            {
              name: 'no-events',
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

  beforeAll(async () => {
    const scenario = testScenario({ repos: 2, prsPerRepo: 6 });
    const now = Date.now();
    const pr = scenario.account.regions[REGION]!.pullRequests.find(
      (p) => p.status === 'CLOSED' && p.isMerged && !p.events,
    )!;
    // fake-aws dates the derived merge event at the last activity.
    pr.creationDate = new Date(now - 100 * DAY_MS).toISOString();
    pr.lastActivityDate = new Date(Math.floor((now - 90.5 * DAY_MS) / 1000) * 1000).toISOString();
    edge = pr;
    fake = await startFakeAws({ scenario });
    h = await startHarness({
      db: t.current.db,
      redisUrl: r.current.url,
      prefix: r.current.prefix,
      endpoint: fake.url,
      platformCredentials: fake.platformCredentials,
      limits: { codecommitRps: 100, iamRps: 10, accountConcurrency: 16, maxAttempts: 6 },
      now: () => clock(),
    });
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });

  it('a merged pull request near the audit-window edge, synced today and two days later, gets identical rows', async () => {
    const today = await createActiveConnection(t.current.db, ROLES[0]);
    const later = await createActiveConnection(t.current.db, ROLES[1]);
    clock = () => new Date();
    await h.sync(today);
    clock = () => new Date(Date.now() + 2 * DAY_MS);
    await h.sync(later);
    clock = () => new Date();
    expect((await mergedAt(today))?.toISOString()).toBe(edge.lastActivityDate);
    expect((await mergedAt(later))?.toISOString()).toBe(edge.lastActivityDate);
    expect(await pullRequestDiff(today, later)).toMatchObject({ count: 0, onlyA: [], onlyB: [], differ: [] });
  });

  it('a merge date denied at the first merged sync is read at a later one, not left empty for good', async () => {
    const today = (
      await t.current.db
        .selectFrom('connections')
        .select('id')
        .where('name', '=', ROLES[0].roleName)
        .executeTakeFirstOrThrow()
    ).id;
    const denied = await createActiveConnection(t.current.db, ROLES[2]);
    setDenied(ROLES[2].roleName, true);
    try {
      await h.sync(denied);
    } finally {
      setDenied(ROLES[2].roleName, false);
    }
    // Not read: null (the checks fall back to the last activity meanwhile).
    expect(await mergedAt(denied)).toBeNull();
    await h.sync(denied);
    expect((await mergedAt(denied))?.toISOString()).toBe(edge.lastActivityDate);
    // Every merged pull request's merge date was completed: the rows equal a sync that was never denied.
    expect(await pullRequestDiff(today, denied)).toMatchObject({
      count: 0,
      onlyA: [],
      onlyB: [],
      differ: [],
    });
  });
});
