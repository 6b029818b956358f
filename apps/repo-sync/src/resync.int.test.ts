import { diffCurrentEvidence, getAwsCalls, selectCurrent } from '@codecommit-evidence/evidence-store';
import {
  type FakeAws,
  type PullRequestChange,
  type Scenario,
  type ScenarioPullRequest,
  startFakeAws,
} from '@codecommit-evidence/fake-aws';
import { useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createActiveConnection,
  currentEvidence,
  type Harness,
  rowsTouchedBy,
  startHarness,
} from '../test-support/harness.js';
import { expectedEvidence, REGION, ROLES, testScenario } from '../test-support/scenario.js';
import { REPOSITORY_EVIDENCE_TABLES } from './evidence-rows.js';

const REVIEWER = 'arn:aws:iam::111122223333:user/resync-reviewer';
const MERGER = 'arn:aws:iam::111122223333:user/resync-merger';

/**
 * Re-sync cost follows change: through the real worker, fake-aws (real SDK over HTTP), Postgres and
 * Redis. A no-change re-sync fetches no pull request; then one open pull request per kind of change
 * (fake-aws's control plane moves every signal CodeCommit moves for it), one incremental re-sync, and
 * its evidence must equal a full sync of the same final state into a second connection, by natural key
 * and content. Each signal then has its own case on that outcome.
 */
describe('repo-sync re-sync: cost follows change, evidence equals a full sync', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  let fake: FakeAws;
  let h: Harness;
  let incremental: string;
  let full: string;
  /** The open pull request each change was applied to, by case name. */
  const target: Record<string, string> = {};
  let resyncCalls: Record<string, number> = {};
  let before: Scenario;

  const calls = async (runId: number) =>
    Object.fromEntries(Object.entries(await getAwsCalls(t.current.db, runId)).map(([k, v]) => [k, v.calls]));
  const rowOf = async (connectionId: string, id: string) =>
    selectCurrent(t.current.db, 'pull_requests', connectionId)
      .where('pull_request_id', '=', id)
      .selectAll()
      .executeTakeFirstOrThrow();
  const approvalsOf = async (connectionId: string, id: string) =>
    (
      await selectCurrent(t.current.db, 'pull_request_approvals', connectionId)
        .where('pull_request_id', '=', id)
        .select(['revision_id', 'user_arn', 'approval_state'])
        .execute()
    )
      .map((a) => `${a.revision_id}|${a.user_arn}|${a.approval_state}`)
      .sort();
  const finalPr = (id: string): ScenarioPullRequest =>
    fake.scenario().account.regions[REGION]!.pullRequests.find((p) => p.pullRequestId === id)!;

  beforeAll(async () => {
    const scenario = testScenario({ repos: 5, prsPerRepo: 10 });
    // Open pull requests start without approvals, so each case's approvals are exactly its own changes.
    for (const p of scenario.account.regions[REGION]!.pullRequests) if (p.status === 'OPEN') p.approvals = [];
    fake = await startFakeAws({ scenario });
    h = await startHarness({
      db: t.current.db,
      redisUrl: r.current.url,
      prefix: r.current.prefix,
      endpoint: fake.url,
      platformCredentials: fake.platformCredentials,
      limits: { codecommitRps: 100, iamRps: 10, accountConcurrency: 16, maxAttempts: 6 },
    });
    incremental = await createActiveConnection(t.current.db, ROLES[0]);
    full = await createActiveConnection(t.current.db, ROLES[1]);
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });

  it('a no-change re-sync makes no GetPullRequest, for closed or for open pull requests, and writes nothing', async () => {
    await h.sync(incremental);
    const open = expectedEvidence(fake.scenario()).openPullRequests;
    expect(open).toBeGreaterThanOrEqual(10);
    fake.resetStats();
    const run = await h.sync(incremental);
    const made = await calls(run.runId);
    expect(made['codecommit:GetPullRequest']).toBeUndefined();
    expect(fake.stats().calls['codecommit:GetPullRequest']).toBeUndefined();
    expect(made['codecommit:DescribePullRequestEvents']).toBeUndefined();
    expect(await rowsTouchedBy(t.current.db, incremental, run.runId)).toEqual({});
  });

  it('after one change of each kind, the incremental re-sync reads only what left the OPEN list (and the new one)', async () => {
    before = fake.scenario();
    const region = before.account.regions[REGION]!;
    const open = region.pullRequests.filter((p) => p.status === 'OPEN');
    const cases = [
      'revision',
      'approve',
      'approve-then-revoke',
      'comment',
      'override-then-merge',
      'approve-then-merge',
      'approve-revision-then-merge',
      'approve-revoke-then-merge',
      'close',
    ] as const;
    expect(open.length).toBeGreaterThanOrEqual(cases.length);
    cases.forEach((c, i) => {
      target[c] = open[i]!.pullRequestId;
    });
    const id = (c: (typeof cases)[number]) => target[c]!;
    const changes: PullRequestChange[] = [
      { kind: 'revision', pullRequestId: id('revision') },
      { kind: 'approve', pullRequestId: id('approve'), userArn: REVIEWER },
      { kind: 'approve', pullRequestId: id('approve-then-revoke'), userArn: REVIEWER },
      { kind: 'revoke', pullRequestId: id('approve-then-revoke'), userArn: REVIEWER },
      { kind: 'comment', pullRequestId: id('comment'), userArn: REVIEWER },
      { kind: 'override', pullRequestId: id('override-then-merge'), userArn: MERGER },
      { kind: 'merge', pullRequestId: id('override-then-merge'), userArn: MERGER },
      { kind: 'approve', pullRequestId: id('approve-then-merge'), userArn: REVIEWER },
      { kind: 'merge', pullRequestId: id('approve-then-merge'), userArn: MERGER },
      { kind: 'approve', pullRequestId: id('approve-revision-then-merge'), userArn: REVIEWER },
      { kind: 'revision', pullRequestId: id('approve-revision-then-merge') },
      { kind: 'merge', pullRequestId: id('approve-revision-then-merge'), userArn: MERGER },
      { kind: 'approve', pullRequestId: id('approve-revoke-then-merge'), userArn: REVIEWER },
      { kind: 'revoke', pullRequestId: id('approve-revoke-then-merge'), userArn: REVIEWER },
      { kind: 'merge', pullRequestId: id('approve-revoke-then-merge'), userArn: MERGER },
      { kind: 'close', pullRequestId: id('close'), userArn: MERGER },
    ];
    // Through the control plane, as an operator (or the bench) would.
    const res = await fetch(`${fake.url}/_fake/changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ region: REGION, changes }),
    });
    expect(res.status).toBe(200);
    // And a new pull request, opened since the last run.
    fake.updateScenario((d) => {
      const reg = d.account.regions[REGION]!;
      const template = structuredClone(reg.pullRequests.find((p) => p.pullRequestId === id('revision'))!);
      reg.pullRequests.push({
        ...template,
        pullRequestId: '9101',
        title: 'opened since',
        approvals: [],
        events: undefined,
      });
    });
    target.opened = '9101';

    fake.resetStats();
    const run = await h.sync(incremental);
    resyncCalls = await calls(run.runId);
    // Five left the OPEN list (four merged, one closed), one is new: six GetPullRequest, no more.
    expect(resyncCalls['codecommit:GetPullRequest']).toBe(6);
    // Review data for the four merged ones only; the override state for the overridden one only.
    expect(resyncCalls['codecommit:GetPullRequestApprovalStates']).toBe(4);
    expect(resyncCalls['codecommit:EvaluatePullRequestApprovalRules']).toBe(4);
    expect(resyncCalls['codecommit:GetPullRequestOverrideState']).toBe(1);
  });

  it('its evidence equals a full sync of the same final state, by natural key and content', async () => {
    await h.sync(full);
    const diff = await diffCurrentEvidence(t.current.db, REPOSITORY_EVIDENCE_TABLES, incremental, full);
    for (const [table, d] of Object.entries(diff)) {
      expect(d, table).toMatchObject({ count: 0, onlyA: [], onlyB: [], differ: [] });
      expect(d.rowsA, table).toBeGreaterThan(0);
    }
    expect(await currentEvidence(t.current.db, incremental)).toEqual(expectedEvidence(fake.scenario()));
  });

  it.each(['revision', 'approve', 'approve-then-revoke', 'comment'])(
    'an open pull request changed by %s stays OPEN with nothing mutable recorded, as a full sync stores it',
    async (c) => {
      const id = target[c]!;
      const row = await rowOf(incremental, id);
      expect(row).toMatchObject({
        status: 'OPEN',
        is_merged: false,
        revision_id: null,
        last_activity_date: null,
      });
      expect(row.content_hash).toBe((await rowOf(full, id)).content_hash);
      // The change did move what AWS answers (so a full re-read would have seen it).
      const was = before.account.regions[REGION]!.pullRequests.find((p) => p.pullRequestId === id)!;
      expect(finalPr(id).lastActivityDate).not.toBe(was.lastActivityDate);
      if (c === 'revision') expect(finalPr(id).revisions.length).toBe(was.revisions.length + 1);
    },
  );

  it('a pull request opened since the last run is recorded', async () => {
    const row = await rowOf(incremental, target.opened!);
    expect(row).toMatchObject({ status: 'OPEN', repository_name: finalPr(target.opened!).repositoryName });
  });

  it('a merge is read in full on its final revision, with the approval', async () => {
    const id = target['approve-then-merge']!;
    const pr = finalPr(id);
    const row = await rowOf(incremental, id);
    expect(row).toMatchObject({
      status: 'CLOSED',
      is_merged: true,
      merged_by: MERGER,
      revision_id: pr.revisions.at(-1),
    });
    expect(row.merged_at?.toISOString()).toBe(new Date(pr.lastActivityDate).toISOString());
    expect(await approvalsOf(incremental, id)).toEqual([`${pr.revisions.at(-1)}|${REVIEWER}|APPROVE`]);
  });

  it('an override before the merge is recorded with who overrode', async () => {
    const row = await rowOf(incremental, target['override-then-merge']!);
    expect(row.evaluation?.overridden).toBe(true);
    expect(row.override_state).toEqual({ overridden: true, overrider: MERGER });
  });

  it('a new revision after the approval leaves the approval on the earlier revision only', async () => {
    const id = target['approve-revision-then-merge']!;
    const pr = finalPr(id);
    const row = await rowOf(incremental, id);
    expect(row.revision_id).toBe(pr.revisions.at(-1));
    expect(await approvalsOf(incremental, id)).toEqual([`${pr.revisions.at(-2)}|${REVIEWER}|APPROVE`]);
  });

  it('an approval revoked before the merge is recorded as REVOKE on the final revision', async () => {
    const id = target['approve-revoke-then-merge']!;
    const pr = finalPr(id);
    expect(await approvalsOf(incremental, id)).toEqual([`${pr.revisions.at(-1)}|${REVIEWER}|REVOKE`]);
  });

  it('a close without merge is recorded CLOSED, not merged', async () => {
    const row = await rowOf(incremental, target.close!);
    expect(row).toMatchObject({ status: 'CLOSED', is_merged: false, merged_by: null });
    expect(row.revision_id).toBe(finalPr(target.close!).revisions.at(-1));
  });
});
