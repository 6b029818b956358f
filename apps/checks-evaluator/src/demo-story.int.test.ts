/**
 * Issue 7's "done when": `scenarios/demo.json` synced through the real workers against fake-aws, then
 * evaluated, gives exactly the results `scenarios/demo.story.md` implies, finding by finding
 * (`scenarios/demo.expected.json` is the story's table in machine-readable form).
 *
 * The sync workers run as production runs them, each in its own process (`syncThroughWorkers`).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  getAwsCalls,
  getSyncRun,
  listCheckResults,
  listFindings,
  listSyncProblems,
  selectCurrent,
} from '@codecommit-evidence/evidence-store';
import { type FakeAws, shiftCalendarDates, startFakeAws } from '@codecommit-evidence/fake-aws';
import { useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SyncedScenario, syncThroughWorkers } from '../test-support/sync-through-workers.js';
import { evaluateChecks } from './processors/evaluate-checks.js';

const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const DEMO = root('scenarios/demo.json');
const expected = JSON.parse(readFileSync(root('scenarios/demo.expected.json'), 'utf8')) as {
  checks: Record<string, { status: string; findings: Record<string, string> }>;
};
const roster = JSON.parse(readFileSync(root('scenarios/demo.roster.json'), 'utf8')) as {
  people: { email: string; name: string; status: 'active' | 'offboarded'; offboardedAt: string | null }[];
};

const demo = JSON.parse(readFileSync(DEMO, 'utf8')) as {
  referenceDate: string;
  account: { regions: Record<string, { pullRequests: { pullRequestId: string; revisions: string[] }[] }> };
};

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Findings of a check as `resource name -> status`, the shape of demo.expected.json (root is "root"). */
async function findingsByName(db: Parameters<typeof listFindings>[0], checkRunId: number, checkId: string) {
  const rows = await listFindings(db, checkRunId, {
    checkId,
    limit: 10_000,
    resolve: Number.POSITIVE_INFINITY,
  });
  const out: Record<string, string> = {};
  for (const f of rows) {
    const name = f.resource_type === 'root' ? 'root' : f.resource_name;
    expect(out[name], `two findings for ${name} in ${checkId}`).toBeUndefined();
    out[name] = f.status;
  }
  return { map: out, rows };
}

describe('the demo story, synced through the workers and evaluated', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  let fake: FakeAws;
  let synced: SyncedScenario | undefined;
  let connectionId: string;
  let runId: number;
  let checkRunId: number;

  beforeAll(async () => {
    // Dates shifted so that the story's "today" is now, as the story's results assume.
    fake = await startFakeAws({ scenario: DEMO, shiftDates: true, credentialReportDelayMs: 0 });
    synced = await syncThroughWorkers({
      db: t.current.db,
      databaseUrl: t.current.url,
      redis: r.current,
      fake,
      accountId: ACCOUNT,
      region: REGION,
      tenantName: 'Acme Corp',
      connectionName: 'acme-prod',
      // The roster's offboarding dates move by the same whole days as the served story.
      people: shiftCalendarDates(
        roster,
        Date.parse(fake.scenario().referenceDate!) - Date.parse(demo.referenceDate),
      ).people,
      log,
    });
    ({ connectionId, runId, checkRunId } = synced);
  }, 120_000);

  afterAll(async () => {
    await synced?.close();
    await fake?.close();
  });

  it('finishes the sync run complete: both children succeeded, no problem recorded', async () => {
    const problems = await listSyncProblems(t.current.db, runId);
    expect(problems.filter((p) => p.kind !== 'warning')).toEqual([]);
    expect((await getSyncRun(t.current.db, runId))?.status).toBe('succeeded');
    const checkRun = await t.current.db
      .selectFrom('check_runs')
      .selectAll()
      .where('id', '=', checkRunId)
      .executeTakeFirstOrThrow();
    expect(checkRun).toMatchObject({ trigger: 'sync', partial: false });
  });

  it('gives exactly the story’s status for every check and every finding', async () => {
    const results = await listCheckResults(t.current.db, checkRunId);
    expect(Object.fromEntries(results.map((x) => [x.check_id, x.status]))).toEqual(
      Object.fromEntries(Object.entries(expected.checks).map(([id, c]) => [id, c.status])),
    );
    for (const [checkId, want] of Object.entries(expected.checks)) {
      const { map } = await findingsByName(t.current.db, checkRunId, checkId);
      expect(map, checkId).toEqual(want.findings);
    }
  });

  it('explains the offboarded user’s failure as the story tells it', async () => {
    const { rows } = await findingsByName(t.current.db, checkRunId, 'codecommit-offboarded-user-access');
    const carol = rows.find((f) => f.resource_name === 'carol');
    expect(carol?.reason).toContain('offboarded person carol@acme.example');
    expect(carol?.reason).toContain('Developers');
    expect(carol?.evidence).toMatchObject({
      usedAfterOffboarding: expect.arrayContaining([expect.stringMatching(/^access key/)]),
    });
    const bob = rows.find((f) => f.resource_name === 'bob');
    expect(bob?.evidence).toMatchObject({ link: { method: 'email_tag', email: 'bob@acme.example' } });
    const erin = rows.find((f) => f.resource_name === 'erin@acme.example');
    expect(erin?.evidence).toMatchObject({ link: { method: 'user_name' } });
    const dave = rows.find((f) => f.resource_name === 'dave');
    expect(dave?.reason).toMatch(/^Access removed/);
    expect(rows.find((f) => f.resource_name === 'ci-bot')?.reason).toContain('not linked to a person');
  });

  it('names every principal that may bypass review, and the story’s offending pull requests', async () => {
    const { rows: protection } = await findingsByName(
      t.current.db,
      checkRunId,
      'codecommit-branch-protection-admins',
    );
    type Bypass = {
      principalsThatMayBypass: { type: string; name: string; actions: { action: string }[] }[];
    };
    const bypassers = (repo: string) =>
      Object.fromEntries(
        (protection.find((f) => f.resource_name === repo)!.evidence as Bypass).principalsThatMayBypass.map(
          (p) => [`${p.type} ${p.name}`, p.actions.map((a) => a.action.replace('codecommit:', '')).sort()],
        ),
      );
    const ALL_NINE = [
      'CreateCommit',
      'DeleteBranch',
      'DeleteFile',
      'GitPush',
      'MergeBranchesByFastForward',
      'MergeBranchesBySquash',
      'MergeBranchesByThreeWay',
      'OverridePullRequestApprovalRules',
      'PutFile',
    ];
    const everyWriter = Object.fromEntries(
      [
        'user alice',
        'user bob',
        'user carol',
        'user erin@acme.example',
        'user frank',
        'role Admin',
        'role Developer',
      ].map((who) => [who, ALL_NINE]),
    );
    expect(bypassers('web-app')).toEqual(everyWriter);
    expect(bypassers('legacy-scripts')).toEqual(everyWriter);
    expect(bypassers('infra-tools')).toEqual({ ...everyWriter, 'user ci-bot': ['GitPush'] });
    expect(bypassers('payments-service')).toEqual({});
    expect(protection.find((f) => f.resource_name === 'legacy-scripts')?.reason).toContain(
      'refs/heads/develop',
    );

    const { rows: review } = await findingsByName(t.current.db, checkRunId, 'codecommit-peer-review');
    const webApp = review.find((f) => f.resource_name === 'web-app')!;
    const offending = (webApp.evidence as { offendingPullRequests?: { id: string }[] }).offendingPullRequests;
    expect(offending?.map((p) => p.id).sort()).toEqual(['2', '6', '8']);
    // PR 2: alice approved revision 1, carol pushed revision 2. Its approval history was read (it lacks an
    // independent final approval), so the finding says what happened, not "no approval".
    const [rev1, rev2] = demo.account.regions[REGION]!.pullRequests.find(
      (p) => p.pullRequestId === '2',
    )!.revisions;
    expect(webApp.reason).toContain(
      `pull request 2 (approved only on an earlier revision (${rev1}), not on its final revision ${rev2})`,
    );
  });

  it("reads each merged pull request's events once: the merge date of all of them, with the approval history of exactly those without an independent final approval", async () => {
    // One DescribePullRequestEvents per merged pull request (1, 2, 3, 5, 6, 7, 8, 9, 10), whatever its
    // dates, so what is stored never depends on when the sync ran (repo-sync README, "Merge date for
    // every merged pull request"). For PR 1 (no approval), PR 2 (approved on revision 1 only) and PR 8
    // (none, overridden) that call is unfiltered and also gives the approval history; not for PR 6, whose
    // final revision was approved by the author's other session (a different ARN: the check explains it
    // without the history), nor for the properly approved ones. No pull request costs two calls.
    const calls = await getAwsCalls(t.current.db, runId);
    expect(calls['codecommit:DescribePullRequestEvents']?.calls).toBe(9);
    const merged = await selectCurrent(t.current.db, 'pull_requests', connectionId)
      .where('is_merged', '=', true)
      .select(['pull_request_id', 'merged_at'])
      .execute();
    expect(merged).toHaveLength(9);
    expect(merged.filter((p) => p.merged_at === null).map((p) => p.pull_request_id)).toEqual([]);
    expect(calls['codecommit:GetPullRequestApprovalStates']?.calls).toBe(9);
  });

  it('re-evaluating the run on demand gives the same answer', async () => {
    const again = await evaluateChecks(
      { connectionId, runId, trigger: 'on_demand' },
      { db: t.current.db, log, requestedAt: new Date() },
    );
    const before = await listCheckResults(t.current.db, checkRunId);
    expect(again.results.map((x) => [x.checkId, x.status, x.counts])).toEqual(
      before.map((x) => [x.check_id, x.status, x.counts]),
    );
  });
});
