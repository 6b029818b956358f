/**
 * Evaluation cost follows what is distinct (access analysed once per distinct policy set, bypass
 * decided once per principal policy set × repository resource class), and the answers stay those of
 * the straightforward path: on a generated account synced through the real workers, both evaluations
 * give the same results, finding by finding.
 */
import { evaluateAllChecks, evaluateBranchProtectionAdmins } from '@codecommit-evidence/domain';
import { getConnectionById, getSyncRun } from '@codecommit-evidence/evidence-store';
import { assembleCheckEvidence, loadRunEvidenceRows } from '@codecommit-evidence/evidence-views';
import { useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SyncedAccount, syncGeneratedAccount } from './bench/synced-account.js';

describe('optimised evaluation on a generated account (200 repositories x 500 users)', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  let account: SyncedAccount;

  beforeAll(async () => {
    account = await syncGeneratedAccount(
      t.current.url,
      r.current.url,
      { repos: 200, prs: 2, users: 500, groups: 4 },
      { prefix: r.current.prefix },
    );
  }, 240_000);

  it('gives the straightforward evaluation’s results, finding by finding', async () => {
    const db = t.current.db;
    const connection = (await getConnectionById(db, account.connectionId))!;
    const run = (await getSyncRun(db, account.runId))!;
    expect(run.status).toBe('succeeded');
    const rows = await loadRunEvidenceRows(db, {
      connectionId: account.connectionId,
      tenantId: connection.tenant_id,
      runId: account.runId,
      rosterAsOf: run.finished_at!,
    });
    expect(rows.users).toHaveLength(500);
    expect(rows.repositories).toHaveLength(200);
    const context = {
      syncRunId: run.id,
      accountId: run.aws_account_id ?? '',
      region: run.region ?? '',
      evaluatedAt: run.finished_at!,
      auditWindowDays: 90,
    };
    const optimised = assembleCheckEvidence(rows, context);
    const straightforward = assembleCheckEvidence(rows, context, { straightforward: true });
    expect(optimised.evidence.users).toHaveLength(500);

    const fast = evaluateAllChecks(optimised.evidence);
    const slow = evaluateAllChecks(straightforward.evidence).map((result) =>
      result.checkId === 'codecommit-branch-protection-admins'
        ? evaluateBranchProtectionAdmins(straightforward.evidence, { decideOncePerClass: false })
        : result,
    );
    expect(fast.map((c) => c.checkId)).toEqual(slow.map((c) => c.checkId));
    for (const [i, result] of fast.entries()) {
      const reference = slow[i]!;
      expect(result.status, result.checkId).toBe(reference.status);
      expect(result.counts, result.checkId).toEqual(reference.counts);
      expect(result.findings.length, result.checkId).toBe(reference.findings.length);
      for (const [j, finding] of result.findings.entries()) {
        expect(finding, `${result.checkId} ${finding.resourceId}`).toEqual(reference.findings[j]);
      }
    }
    // The account exercises every status the checks give on it, not only passes.
    const statuses = new Set(fast.flatMap((c) => c.findings.map((f) => f.status)));
    expect(statuses.has('fail')).toBe(true);
    expect(statuses.has('pass')).toBe(true);
  }, 240_000);
});
