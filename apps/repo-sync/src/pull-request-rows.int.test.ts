import {
  createOrGetActiveSyncRun,
  finishSyncRun,
  listSyncProblems,
  selectCurrent,
} from '@codecommit-evidence/evidence-store';
import {
  addProductRole,
  applyPullRequestChanges,
  type FakeAws,
  type FaultRuleInput,
  type Scenario,
  startFakeAws,
} from '@codecommit-evidence/fake-aws';
import { runSyncJob, type SyncJobHandle } from '@codecommit-evidence/sync-support';
import { useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createActiveConnection,
  evidenceHashes,
  type Harness,
  startHarness,
} from '../test-support/harness.js';
import { REGION, testScenario } from '../test-support/scenario.js';
import { syncRepositoryJob } from './processors/sync-repository.js';

const MERGER = 'arn:aws:iam::111122223333:user/rows-merger';

/**
 * Issue 11: a pull request's row is written from complete sub-reads only. When one of the review or
 * history reads of a merged pull request (GetPullRequestApprovalStates, EvaluatePullRequestApprovalRules,
 * DescribePullRequestEvents) answers invalid or stays faulted past the retries, the row is kept as it
 * was stored before (or, never stored, not written), never rewritten half-way (CLOSED and merged with
 * no evaluation or merge date), and the repository's pull-requests scope has the gap, so its peer
 * review is unknown naming it. Once AWS answers again, the next run completes the rows.
 *
 * Real worker code against fake-aws (real SDK over HTTP, the per-operation fault knob), Postgres and
 * Redis. The exhausted cases call the repository job directly on its last attempt, so a 5xx is a fault
 * of the scope at once instead of after four job backoffs.
 */
const OPERATIONS = [
  { operation: 'codecommit:GetPullRequestApprovalStates', member: 'approvals' },
  { operation: 'codecommit:EvaluatePullRequestApprovalRules', member: 'evaluation.approved', value: 'yes' },
  { operation: 'codecommit:DescribePullRequestEvents', member: 'pullRequestEvents' },
] as const;

const malformed = (o: (typeof OPERATIONS)[number]): FaultRuleInput => ({
  operation: o.operation,
  kind: 'wrong-type',
  member: o.member,
  ...('value' in o ? { value: o.value } : {}),
});
const exhausted = (o: (typeof OPERATIONS)[number]): FaultRuleInput => ({
  operation: o.operation,
  kind: 'server-error',
});

/** Connections need assumable roles of their own (one External ID each). */
const EXTRA_ROLES = Array.from({ length: 10 }, (_, i) => ({
  roleName: `CodeCommitEvidenceRows${i}`,
  externalId: `test-external-id-rows-${i}`,
}));

/** The job's last attempt: a transient fault is a fault of its scope now. */
const lastAttempt = (): SyncJobHandle => ({
  attemptsMade: 0,
  attempts: 1,
  readProgress: () => undefined,
  saveProgress: async () => {},
  defer: async () => {
    throw new Error('not deferred in this test');
  },
});

describe('pull request rows are written from complete sub-reads only', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  let fake: FakeAws;
  let h: Harness;
  /** A clean sync of the final state: what a complete row of each pull request is. */
  let reference: Map<string, string>;
  let referenceId: string;
  /** Each re-sync case's connection, synced cleanly before the merges. */
  const resynced = new Map<string, { id: string; before: Map<string, string> }>();
  let roleIndex = 0;
  const nextRole = () => EXTRA_ROLES[roleIndex++]!;
  let merged: Set<string>;

  const rowHashes = async (connectionId: string) =>
    new Map(
      (
        await selectCurrent(t.current.db, 'pull_requests', connectionId)
          .select(['pull_request_id', 'content_hash'])
          .execute()
      ).map((x) => [x.pull_request_id, x.content_hash]),
    );
  const reposOf = (s: Scenario, ids: Set<string>) =>
    new Set(
      s.account.regions[REGION]!.pullRequests.filter((p) => ids.has(p.pullRequestId)).map(
        (p) => p.repositoryName,
      ),
    );

  beforeAll(async () => {
    const scenario = testScenario({ repos: 4, prsPerRepo: 6 });
    for (const [i, role] of EXTRA_ROLES.entries())
      addProductRole(scenario, { ...role, roleId: `AROATESTROWS00000${i}` });
    // Open pull requests start without approvals: merged by MERGER alone, each needs its history read.
    for (const p of scenario.account.regions[REGION]!.pullRequests) if (p.status === 'OPEN') p.approvals = [];
    fake = await startFakeAws({ scenario });
    h = await startHarness({
      db: t.current.db,
      redisUrl: r.current.url,
      prefix: r.current.prefix,
      endpoint: fake.url,
      platformCredentials: fake.platformCredentials,
      // Two SDK attempts: a 5xx case stays quick.
      limits: { codecommitRps: 200, iamRps: 10, accountConcurrency: 16, maxAttempts: 2 },
    });
    // The six re-sync connections are synced side by side: under load, one after the other took minutes.
    const keys = OPERATIONS.flatMap((o) =>
      ['malformed', 'exhausted'].map((kind) => `${o.operation} ${kind}`),
    );
    const ids = await Promise.all(keys.map(() => createActiveConnection(t.current.db, nextRole())));
    await Promise.all(ids.map((id) => h.sync(id)));
    for (const [i, key] of keys.entries()) {
      const id = ids[i]!;
      resynced.set(key, { id, before: await rowHashes(id) });
    }
    // Every open pull request merges now, approved by nobody: each needs review, history and merge date.
    const open = fake
      .scenario()
      .account.regions[REGION]!.pullRequests.filter((p) => p.status === 'OPEN')
      .map((p) => p.pullRequestId);
    merged = new Set(open);
    fake.updateScenario((d) =>
      applyPullRequestChanges(
        d,
        REGION,
        open.map((pullRequestId) => ({ kind: 'merge', pullRequestId, userArn: MERGER })),
        new Date(),
      ),
    );
    referenceId = await createActiveConnection(t.current.db, nextRole());
    await h.sync(referenceId);
    reference = await rowHashes(referenceId);
  }, 300_000);
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });

  it('the scenario has merges to judge', () => {
    expect(merged.size).toBeGreaterThanOrEqual(3);
    for (const { before } of resynced.values()) for (const id of merged) expect(before.has(id)).toBe(true);
  });

  for (const o of OPERATIONS) {
    for (const [kind, rule] of [
      ['malformed', malformed(o)],
      ['exhausted', exhausted(o)],
    ] as const) {
      it(`${o.operation} ${kind} on a re-sync: merged pull requests keep their stored rows, the scope has the gap`, async () => {
        const { id, before } = resynced.get(`${o.operation} ${kind}`)!;
        const { run } = await createOrGetActiveSyncRun(t.current.db, id, 'api');
        const repos = await selectCurrent(t.current.db, 'repositories', id)
          .select(['repository_id', 'repository_name'])
          .execute();
        fake.setFaults([rule]);
        try {
          for (const repo of repos) {
            await runSyncJob(
              syncRepositoryJob,
              h.deps,
              {
                connectionId: id,
                runId: run.id,
                repositoryId: repo.repository_id,
                repositoryName: repo.repository_name,
              },
              lastAttempt(),
            );
          }
        } finally {
          fake.setFaults([]);
        }
        await finishSyncRun(t.current.db, run.id, 'succeeded');
        const after = await rowHashes(id);
        // Each newly merged pull request: its stored (open) row exactly as before, not a half-written one.
        for (const pr of merged) expect(after.get(pr), pr).toBe(before.get(pr));
        // Nothing else moved, and no row is one neither a complete read nor the stored one would give.
        for (const [pr, hash] of after) expect([before.get(pr), reference.get(pr)]).toContain(hash);
        const problems = await listSyncProblems(t.current.db, run.id);
        const gaps = new Set(
          problems.filter((p) => p.kind === 'error' && p.step.startsWith('codecommit:pull-requests:')),
        );
        expect([...gaps].map((p) => p.step.split(':').at(-1)).sort()).toEqual(
          [...reposOf(fake.scenario(), merged)].sort(),
        );

        // AWS answers again: the next run completes every row, as a clean sync of the same state.
        await h.sync(id);
        expect(await rowHashes(id)).toEqual(reference);
      }, 90_000);
    }
  }

  for (const o of OPERATIONS) {
    it(`${o.operation} malformed on a first sync: no merged pull request row is written half-way`, async () => {
      const id = await createActiveConnection(t.current.db, nextRole());
      fake.setFaults([malformed(o)]);
      let runId: number;
      try {
        ({ runId } = await h.sync(id));
      } finally {
        fake.setFaults([]);
      }
      const after = await rowHashes(id);
      // Every row written is the complete one; a pull request whose read faulted has no row yet.
      for (const [pr, hash] of after) expect(hash, pr).toBe(reference.get(pr));
      const withheld = new Set([...reference.keys()].filter((pr) => !after.has(pr)));
      expect(withheld.size).toBeGreaterThan(0);
      const steps = new Set(
        (await listSyncProblems(t.current.db, runId)).filter((p) => p.kind === 'error').map((p) => p.step),
      );
      for (const repo of reposOf(fake.scenario(), withheld))
        expect(steps.has(`codecommit:pull-requests:${repo}`), repo).toBe(true);
      await h.sync(id);
      expect(await evidenceHashes(t.current.db, id)).toEqual(await evidenceHashes(t.current.db, referenceId));
    }, 90_000);
  }
});
