import {
  getRunAccessState,
  getSyncRun,
  listCheckResults,
  listFindings,
  listSyncProblems,
  upsertPeople,
} from '@codecommit-evidence/evidence-store';
import { loadAccessReview } from '@codecommit-evidence/evidence-views';
import {
  createActiveConnection,
  type FixtureConnection,
  seedRoster,
  startRun,
  userArn,
  writeRunEvidence,
} from '@codecommit-evidence/evidence-views/test-support';
import { useTestDatabase } from '@codecommit-evidence/testing';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateChecks } from './evaluate-checks.js';

const log = pino({ level: 'silent' });
const t = useTestDatabase();

async function findingsOf(checkRunId: number, checkId: string) {
  const rows = await listFindings(t.current.db, checkRunId, { checkId, resolve: Number.POSITIVE_INFINITY });
  return Object.fromEntries(
    rows.map((f) => [f.resource_name, { status: f.status, reason: f.reason, evidence: f.evidence }]),
  );
}

async function statusesOf(checkRunId: number) {
  const results = await listCheckResults(t.current.db, checkRunId);
  return Object.fromEntries(results.map((r) => [r.check_id, r.status]));
}

describe('evaluate-checks against a hand-written evidence store', () => {
  let c: FixtureConnection;
  let run1: number;
  let run2: number;
  let checkRun1: number;
  let checkRun2: number;

  beforeAll(async () => {
    const db = t.current.db;
    c = await createActiveConnection(db);
    await seedRoster(db, c.tenantId);
    run1 = await startRun(db, c.connectionId);
    await writeRunEvidence(db, { connectionId: c.connectionId, runId: run1 }, { bobHasPolicy: true });
    checkRun1 = (
      await evaluateChecks({ connectionId: c.connectionId, runId: run1, trigger: 'sync' }, { db, log })
    ).checkRunId;
    run2 = await startRun(db, c.connectionId);
    await writeRunEvidence(db, { connectionId: c.connectionId, runId: run2 }, { bobHasPolicy: false });
    checkRun2 = (
      await evaluateChecks({ connectionId: c.connectionId, runId: run2, trigger: 'sync' }, { db, log })
    ).checkRunId;
  });

  it('finishes the sync run it is the parent of', async () => {
    const run = await getSyncRun(t.current.db, run1);
    expect(run?.status).toBe('succeeded');
    expect(run?.finished_at).toBeInstanceOf(Date);
  });

  it('derives the run’s access once, as the access review reads it (a re-evaluation writes it again never)', async () => {
    const db = t.current.db;
    const state = await getRunAccessState(db, run1);
    expect(state?.principals).toBe(4);
    const review = await loadAccessReview(db, {
      connectionId: c.connectionId,
      runId: run1,
      rosterAsOf: new Date(),
    });
    expect(review.entries.map((e) => [e.name, e.hasAccess, e.level, e.linkMethod])).toEqual([
      ['alice', 'yes', 'admin', 'email_tag'],
      ['bob', 'yes', 'write', 'explicit'],
      ['carol', 'yes', 'admin', null],
      ['Admin', 'yes', 'admin', null],
    ]);
    await evaluateChecks(
      {
        connectionId: c.connectionId,
        runId: run1,
        trigger: 'on_demand',
        rosterAsOf: new Date(1).toISOString(),
      },
      { db, log },
    );
    expect((await getRunAccessState(db, run1))?.derived_at).toEqual(state?.derived_at);
  });

  it('judges run 1: offboarded bob keeps access through his inline policy', async () => {
    expect(await statusesOf(checkRun1)).toEqual({
      'codecommit-offboarded-user-access': 'fail',
      'codecommit-user-mfa': 'pass',
      'codecommit-branch-protection-admins': 'fail',
      'codecommit-peer-review': 'fail',
    });
    const offboarded = await findingsOf(checkRun1, 'codecommit-offboarded-user-access');
    expect(Object.keys(offboarded).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(offboarded.bob?.status).toBe('fail');
    expect(offboarded.bob?.reason).toContain('inline policy bob-codecommit');
    expect(offboarded.bob?.reason).toContain('active access key 1');
    expect(offboarded.alice?.status).toBe('pass');
    expect(offboarded.alice?.evidence).toMatchObject({
      link: { method: 'email_tag', email: 'alice@example.com' },
    });
    expect(offboarded.carol?.status).toBe('unknown');
    expect(offboarded.carol?.reason).toContain('not linked to a person');

    const mfa = await findingsOf(checkRun1, 'codecommit-user-mfa');
    expect(mfa.alice?.status).toBe('pass');
    expect(mfa.bob?.status).toBe('not_applicable');
    expect(mfa.carol?.status).toBe('not_applicable');
    expect(mfa[`root user of 111122223333`]?.status).toBe('pass');

    const protection = await findingsOf(checkRun1, 'codecommit-branch-protection-admins');
    expect(protection.app?.status).toBe('fail');
    expect(protection.app?.reason).toContain('Admin');
    expect(protection.infra?.status).toBe('fail');

    const review = await findingsOf(checkRun1, 'codecommit-peer-review');
    expect(review.app?.status).toBe('pass');
    expect(review.infra?.status).toBe('fail');
  });

  it('judges run 2, after the policy change: bob has no access any more', async () => {
    const offboarded = await findingsOf(checkRun2, 'codecommit-offboarded-user-access');
    expect(offboarded.bob?.status).toBe('pass');
    expect(offboarded.bob?.reason).toMatch(/^Access removed/);
    expect((await statusesOf(checkRun2))['codecommit-offboarded-user-access']).toBe('unknown');
  });

  it('re-evaluating the older run gives its old answer', async () => {
    const again = await evaluateChecks(
      { connectionId: c.connectionId, runId: run1, trigger: 'on_demand' },
      { db: t.current.db, log, requestedAt: new Date() },
    );
    expect(again.reused).toBe(false);
    expect(again.checkRunId).toBeGreaterThan(checkRun2);
    expect(await statusesOf(again.checkRunId)).toEqual(await statusesOf(checkRun1));
    const before = await listFindings(t.current.db, checkRun1);
    const after = await listFindings(t.current.db, again.checkRunId);
    const strip = (rows: typeof before) =>
      rows.map(({ check_id, resource_id, status, reason, evidence }) => ({
        check_id,
        resource_id,
        status,
        reason,
        evidence,
      }));
    expect(strip(after)).toEqual(strip(before));
  });

  it('a retried evaluation writes no second check run', async () => {
    const requestedAt = new Date();
    const payload = { connectionId: c.connectionId, runId: run2, trigger: 'on_demand' as const };
    const first = await evaluateChecks(payload, { db: t.current.db, log, requestedAt });
    const retry = await evaluateChecks(payload, { db: t.current.db, log, requestedAt });
    expect(retry).toMatchObject({ checkRunId: first.checkRunId, reused: true });
    const syncAgain = await evaluateChecks({ ...payload, trigger: 'sync' }, { db: t.current.db, log });
    expect(syncAgain).toMatchObject({ checkRunId: checkRun2, reused: true });
  });

  it('a roster change and an on-demand evaluation flag a newly offboarded person', async () => {
    const db = t.current.db;
    const yesterday = new Date(Date.now() - 24 * 3600 * 1000).toISOString().slice(0, 10);
    const beforeChange = new Date();
    // The change is valid from its own instant on; make sure it is a later millisecond than beforeChange.
    await new Promise((r) => setTimeout(r, 5));
    await upsertPeople(db, c.tenantId, [
      { email: 'alice@example.com', name: 'Alice', status: 'offboarded', offboardedAt: yesterday },
    ]);
    const result = await evaluateChecks(
      {
        connectionId: c.connectionId,
        runId: run2,
        trigger: 'on_demand',
        rosterAsOf: new Date().toISOString(),
      },
      { db, log },
    );
    const offboarded = await findingsOf(result.checkRunId, 'codecommit-offboarded-user-access');
    expect(offboarded.alice?.status).toBe('fail');
    expect(offboarded.alice?.reason).toContain(
      'offboarded person alice@example.com (linked by its email tag)',
    );
    expect(offboarded.alice?.evidence).toMatchObject({
      usedAfterOffboarding: [expect.stringContaining('console password')],
    });

    // The roster as it was before the change still gives the earlier answer.
    const asBefore = await evaluateChecks(
      {
        connectionId: c.connectionId,
        runId: run2,
        trigger: 'on_demand',
        rosterAsOf: beforeChange.toISOString(),
      },
      { db, log },
    );
    expect((await findingsOf(asBefore.checkRunId, 'codecommit-offboarded-user-access')).alice?.status).toBe(
      'pass',
    );
    await upsertPeople(db, c.tenantId, [
      { email: 'alice@example.com', name: 'Alice', status: 'active', offboardedAt: null },
    ]);
  });

  it('a missing permission gives unknown findings that name it, and a partial run', async () => {
    const db = t.current.db;
    const run3 = await startRun(db, c.connectionId);
    await writeRunEvidence(
      db,
      { connectionId: c.connectionId, runId: run3 },
      { bobHasPolicy: false, credentialReportDenied: true },
    );
    const result = await evaluateChecks(
      { connectionId: c.connectionId, runId: run3, trigger: 'sync' },
      { db, log },
    );
    expect(result.syncRunStatus).toBe('partial');
    expect(result.partial).toBe(true);
    const mfa = await findingsOf(result.checkRunId, 'codecommit-user-mfa');
    // The rows of run 2's report are still in the store, but run 3 could not read the report: unknown.
    expect(mfa.alice?.status).toBe('unknown');
    expect(mfa.alice?.reason).toContain(
      'missing permission iam:GetCredentialReport (sync step iam:credential-report)',
    );
    expect(mfa['root user of 111122223333']?.status).toBe('unknown');
    expect(mfa['root user of 111122223333']?.reason).toContain('iam:GetCredentialReport');
    expect((await statusesOf(result.checkRunId))['codecommit-user-mfa']).toBe('unknown');
    const checkRun = await db
      .selectFrom('check_runs')
      .selectAll()
      .where('id', '=', result.checkRunId)
      .executeTakeFirstOrThrow();
    expect(checkRun.partial).toBe(true);
    expect(checkRun.notes[0]).toMatchObject({
      code: 'evidence',
      missingPermissions: [{ action: 'iam:GetCredentialReport', step: 'iam:credential-report' }],
    });
  });

  it('records children that failed for good and sets the run partial, or failed when both did', async () => {
    const db = t.current.db;
    const run4 = await startRun(db, c.connectionId);
    await writeRunEvidence(db, { connectionId: c.connectionId, runId: run4 }, { bobHasPolicy: false });
    const r4 = await evaluateChecks(
      { connectionId: c.connectionId, runId: run4, trigger: 'sync' },
      {
        db,
        log,
        childFailures: { [`{cce}:iam-sync:run-${run4}-iam`]: 'access_denied: the role may read no IAM' },
      },
    );
    expect(r4.syncRunStatus).toBe('partial');
    const problems = await listSyncProblems(db, run4);
    expect(problems.map((p) => [p.step, p.kind, p.code])).toEqual([
      ['iam:authorization-details', 'error', 'sync_job_failed'],
      ['iam:credential-report', 'error', 'sync_job_failed'],
      ['iam:ssh-keys', 'error', 'sync_job_failed'],
      ['iam:git-credentials', 'error', 'sync_job_failed'],
    ]);
    // Users of earlier runs are not passed off as this run's: the inventory is unknown, and each user
    // judged before is still there (no finding vanishes) but none passes: unknown naming the gap, or
    // a fail seen in the last known evidence.
    const offboarded = await findingsOf(r4.checkRunId, 'codecommit-offboarded-user-access');
    expect(Object.keys(offboarded)).toContain('AWS account 111122223333');
    expect(Object.keys(offboarded).length).toBeGreaterThan(1);
    for (const [name, f] of Object.entries(offboarded)) {
      expect(['unknown', 'fail'], name).toContain(f?.status);
      if (f?.status === 'unknown') expect(f.reason, name).toMatch(/sync step iam:[a-z-]+ failed/);
    }
    expect(offboarded['AWS account 111122223333']?.status).toBe('unknown');
    expect(offboarded['AWS account 111122223333']?.reason).toContain(
      'sync step iam:authorization-details failed',
    );

    const run5 = await startRun(db, c.connectionId);
    const r5 = await evaluateChecks(
      { connectionId: c.connectionId, runId: run5, trigger: 'sync' },
      {
        db,
        log,
        childFailures: {
          [`{cce}:iam-sync:run-${run5}-iam`]: 'boom',
          [`{cce}:repo-sync:run-${run5}-repositories`]: 'boom',
        },
      },
    );
    expect(r5.syncRunStatus).toBe('failed');
    expect((await getSyncRun(db, run5))?.error).toMatchObject({ code: 'sync_jobs_failed' });
  });

  it('refuses a run of another connection and a run not yet finished, for good', async () => {
    const db = t.current.db;
    const other = await createActiveConnection(db, 'other');
    await expect(
      evaluateChecks({ connectionId: other.connectionId, runId: run1, trigger: 'on_demand' }, { db, log }),
    ).rejects.toMatchObject({ name: 'ChecksEvaluatorError', code: 'sync_run_not_found' });
    const running = await startRun(db, other.connectionId);
    await expect(
      evaluateChecks({ connectionId: other.connectionId, runId: running, trigger: 'on_demand' }, { db, log }),
    ).rejects.toMatchObject({ code: 'sync_run_not_finished' });
  });

  it('keeps bob linked to the offboarded person through the explicit link', async () => {
    const offboarded = await findingsOf(checkRun1, 'codecommit-offboarded-user-access');
    expect(offboarded.bob?.evidence).toMatchObject({
      link: { method: 'explicit', email: 'bob@example.com', personStatus: 'offboarded' },
    });
    expect(userArn('bob')).toContain(':user/bob');
  });
});
