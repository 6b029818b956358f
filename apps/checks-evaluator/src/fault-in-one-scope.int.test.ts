/**
 * Issue 12, defect 1: a fault in one optional scope stays in that scope. The demo account is synced
 * through the real workers twice, once cleanly and once with `ListServiceSpecificCredentials`
 * answering HTTP 500 every time (fake-aws's per-operation fault knob). Before the kernel, that single
 * optional per-user call failed the whole `sync-iam` job for good, filed the error under the finished
 * `iam:authorization-details` step, re-marked the succeeded `iam:ssh-keys` step failed, discarded the
 * complete GAAD inventory, and every IAM check came back `unknown`. Now only the HTTPS Git credential
 * scope is missing, and only the findings that depend on it say so.
 */
import {
  getSyncRun,
  listFindings,
  listSyncProblems,
  selectCurrent,
} from '@codecommit-evidence/evidence-store';
import { loadAccessReview } from '@codecommit-evidence/evidence-views';
import type { FakeAws } from '@codecommit-evidence/fake-aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECK_IDS as CHECKS, startDemoFake, syncDemo, useTestSide } from '../test-support/demo-account.js';
import type { SyncedScenario } from '../test-support/sync-through-workers.js';

const GIT_SCOPE = 'iam:git-credentials';

describe('a 500 on ListServiceSpecificCredentials faults only the HTTPS Git credential scope', () => {
  const clean = useTestSide();
  const faulted = useTestSide();
  const fakes: FakeAws[] = [];
  const synced: SyncedScenario[] = [];

  const sync = async (side: typeof clean, fake: FakeAws) => {
    const s = await syncDemo(side, fake);
    synced.push(s);
    return s;
  };

  let a: SyncedScenario;
  let b: SyncedScenario;
  beforeAll(async () => {
    fakes.push(await startDemoFake(), await startDemoFake());
    // ci-bot's access key made inactive: its active HTTPS Git credential is then its only usable
    // credential, so some findings depend on the faulted scope.
    for (const f of fakes)
      f.updateScenario((draft) => {
        const bot = draft.account.users.find((u) => u.userName === 'ci-bot')!;
        for (const k of bot.accessKeys) k.status = 'Inactive';
      });
    fakes[1]!.setFaults([{ operation: 'iam:ListServiceSpecificCredentials', kind: 'server-error' }]);
    a = await sync(clean, fakes[0]!);
    // The job retries (5 attempts, exponential backoff), then records the fault on the scope.
    b = await sync(faulted, fakes[1]!);
  }, 240_000);

  afterAll(async () => {
    for (const s of synced) await s.close();
    for (const f of fakes) await f.close();
  });

  it('the fault really happened, on every attempt of the job', () => {
    expect(fakes[1]!.stats().faulted['iam:ListServiceSpecificCredentials']).toBeGreaterThan(1);
  });

  it('records the fault on the git-credential scope alone; every other step succeeded', async () => {
    const db = faulted.t.current.db;
    const run = await getSyncRun(db, b.runId);
    expect(run?.steps[GIT_SCOPE]?.status).toBe('failed');
    for (const step of ['iam:authorization-details', 'iam:ssh-keys', 'iam:credential-report'])
      expect(run?.steps[step]?.status, step).toBe('succeeded');
    const problems = (await listSyncProblems(db, b.runId)).filter((p) => p.kind !== 'warning');
    expect(problems.map((p) => [p.kind, p.step, p.action])).toEqual([
      ['error', GIT_SCOPE, 'iam:ListServiceSpecificCredentials'],
    ]);
    expect(problems[0]?.code).toBe('aws_unavailable');
  });

  it('keeps the full GAAD inventory: every user stored, only the Git credentials not collected', async () => {
    const rows = async (side: typeof clean, connectionId: string) =>
      (
        await selectCurrent(side.t.current.db, 'iam_users', connectionId).selectAll().orderBy('arn').execute()
      ).map(({ user_name, service_specific_credentials, ssh_public_keys, attached_policy_arns }) => ({
        user_name,
        service_specific_credentials,
        ssh_public_keys,
        attached_policy_arns,
      }));
    const before = await rows(clean, a.connectionId);
    const after = await rows(faulted, b.connectionId);
    expect(after.length).toBe(before.length);
    expect(after.length).toBeGreaterThan(5);
    expect(after).toEqual(before.map((u) => ({ ...u, service_specific_credentials: null })));
    for (const t of ['iam_groups', 'iam_roles', 'iam_managed_policies'] as const) {
      const n = async (side: typeof clean, id: string) =>
        (await selectCurrent(side.t.current.db, t, id).select('arn').execute()).length;
      expect(await n(faulted, b.connectionId), t).toBe(await n(clean, a.connectionId));
    }
  });

  it('the access review behind /iam-users lists every user', async () => {
    const review = async (side: typeof clean, s: SyncedScenario) =>
      (
        await loadAccessReview(side.t.current.db, {
          connectionId: s.connectionId,
          runId: s.runId,
          rosterAsOf: new Date(),
        })
      ).entries
        .filter((e) => e.principalType === 'iam_user')
        .map((e) => e.name)
        .sort();
    const names = await review(faulted, b);
    expect(names.length).toBeGreaterThan(5);
    expect(names).toEqual(await review(clean, a));
  });

  it('only findings that needed the Git credentials change, to unknown naming the scope; every other finding is unchanged', async () => {
    let changed = 0;
    for (const checkId of CHECKS) {
      const byResource = async (side: typeof clean, s: SyncedScenario) =>
        new Map(
          (
            await listFindings(side.t.current.db, s.checkRunId, {
              checkId,
              limit: 10_000,
              resolve: Number.POSITIVE_INFINITY,
            })
          ).map((f) => [
            `${f.resource_type}:${f.resource_name}`,
            { status: f.status, reason: f.reason, evidence: JSON.stringify(f.evidence) },
          ]),
        );
      const before = await byResource(clean, a);
      const after = await byResource(faulted, b);
      expect([...after.keys()].sort(), `${checkId}: no finding disappears or appears`).toEqual(
        [...before.keys()].sort(),
      );
      expect(before.size).toBeGreaterThan(0);
      for (const [resource, finding] of after) {
        const was = before.get(resource)!;
        if (finding.status === was.status && finding.reason === was.reason) continue;
        changed++;
        if (finding.status === 'fail') {
          // Still failed by principals known to bypass review; the one whose credentials are now unknown
          // moves from the failure's list to the evidence's undecided principals, naming the scope.
          expect(was.status, `${checkId} ${resource}`).toBe('fail');
          expect(finding.evidence, `${checkId} ${resource}`).toMatch(/HTTPS Git credentials/);
          continue;
        }
        expect(finding.status, `${checkId} ${resource}: ${finding.reason}`).toBe('unknown');
        expect(finding.reason, `${checkId} ${resource}`).toMatch(/HTTPS Git credentials/);
      }
    }
    // ci-bot, at least.
    expect(changed).toBeGreaterThan(0);
  });
});
