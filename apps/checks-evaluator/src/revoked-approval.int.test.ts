/**
 * Issue 12, defect 3: a revoked approval is named. In the demo account, pull request 3 of
 * payments-service was approved by alice on its final (only) revision; here alice then revokes it.
 * AWS's GetPullRequestApprovalStates no longer lists a revoked approval, so only the approval events
 * tell it; before the fix repo-sync dropped the final revision's events and the finding said "no
 * approval by anyone other than its author" instead of CHECKS.md's "its approval was revoked by …".
 */
import { fileURLToPath } from 'node:url';
import { listFindings, selectCurrent } from '@codecommit-evidence/evidence-store';
import { type FakeAws, startFakeAws } from '@codecommit-evidence/fake-aws';
import { useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SyncedScenario, syncThroughWorkers } from '../test-support/sync-through-workers.js';

const DEMO = fileURLToPath(new URL('../../../scenarios/demo.json', import.meta.url));
const ALICE = 'arn:aws:iam::111122223333:user/alice';

describe('a revoked approval on the final revision', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  let fake: FakeAws;
  let synced: SyncedScenario | undefined;

  beforeAll(async () => {
    fake = await startFakeAws({ scenario: DEMO, shiftDates: true, credentialReportDelayMs: 0 });
    fake.updateScenario((draft) => {
      const pr = draft.account.regions['us-east-1']!.pullRequests.find((p) => p.pullRequestId === '3')!;
      pr.approvals.push({ revisionId: pr.revisions.at(-1)!, userArn: ALICE, state: 'REVOKE' });
    });
    synced = await syncThroughWorkers({
      db: t.current.db,
      databaseUrl: t.current.url,
      redis: r.current,
      fake,
      accountId: '111122223333',
      region: 'us-east-1',
      tenantName: 'Acme Corp',
      connectionName: 'acme-prod',
      people: [],
      log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    });
  }, 120_000);

  afterAll(async () => {
    await synced?.close();
    await fake?.close();
  });

  it('stores the revoke and the peer-review finding names who revoked', async () => {
    const approvals = await selectCurrent(t.current.db, 'pull_request_approvals', synced!.connectionId)
      .where('pull_request_id', '=', '3')
      .selectAll()
      .execute();
    expect(approvals.map((a) => [a.user_arn, a.approval_state])).toEqual([[ALICE, 'REVOKE']]);

    const [finding] = await listFindings(t.current.db, synced!.checkRunId, {
      checkId: 'codecommit-peer-review',
      limit: 100,
      resolve: Number.POSITIVE_INFINITY,
    }).then((rows) => rows.filter((f) => f.resource_name === 'payments-service'));
    expect(finding?.status).toBe('fail');
    expect(finding?.reason).toContain(`its approval was revoked by ${ALICE}`);
    expect(finding?.reason).not.toContain('no approval by anyone other than its author');
  });
});
