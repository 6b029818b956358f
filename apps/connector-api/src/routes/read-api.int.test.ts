import { CHECKS, evaluateAllChecks } from '@codecommit-evidence/domain';
import {
  type Database,
  finishSyncRun,
  insertCheckRun,
  upsertPeople,
} from '@codecommit-evidence/evidence-store';
import { loadCheckEvidence } from '@codecommit-evidence/evidence-views';
import {
  createActiveConnection,
  type FixtureConnection,
  roleArn,
  seedRoster,
  startRun,
  userArn,
  writeRunEvidence,
} from '@codecommit-evidence/evidence-views/test-support';
import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsvObjects } from '../../test-support/csv-reader.js';
import { api, useHarness } from '../../test-support/harness.js';

const h = useHarness();

/**
 * What the checks-evaluator does at the end of a sync (apps do not import apps): finish the run,
 * evaluate the evidence as of it, append one check run.
 */
async function finishAndEvaluate(db: Kysely<Database>, connectionId: string, runId: number): Promise<number> {
  await finishSyncRun(db, runId, 'succeeded');
  const loaded = await loadCheckEvidence(db, { connectionId, runId, rosterAsOf: new Date() });
  const results = evaluateAllChecks(loaded.evidence);
  const checkRun = await insertCheckRun(db, {
    connectionId,
    syncRunId: runId,
    trigger: 'sync',
    rosterAsOf: new Date(),
    evaluatedAt: new Date(),
    partial: false,
    notes: [
      {
        code: 'evidence',
        judgedAt: loaded.evidence.run.evaluatedAt.toISOString(),
        missingPermissions: [],
        failedSteps: [],
      },
    ],
    results: results.map((r) => ({ ...r, findings: r.findings.map((f) => ({ ...f })) })),
  });
  return checkRun.id;
}

describe('read API and exports over a hand-written evidence store', () => {
  let a: FixtureConnection;
  let b: FixtureConnection;
  let run1: number;
  let run2: number;
  let checkRun1: number;
  let checkRun2: number;
  let between: Date;
  const base = () => `/v1/connections/${a.connectionId}`;
  const get = (path: string, token = a.apiKey) => api(h.current.app, 'GET', path, { token });

  beforeAll(async () => {
    const db = h.current.db;
    a = await createActiveConnection(db, 'acme');
    b = await createActiveConnection(db, 'globex');
    await seedRoster(db, a.tenantId);
    run1 = await startRun(db, a.connectionId);
    await writeRunEvidence(db, { connectionId: a.connectionId, runId: run1 }, { bobHasPolicy: true });
    checkRun1 = await finishAndEvaluate(db, a.connectionId, run1);
    await new Promise((r) => setTimeout(r, 20));
    between = new Date();
    await new Promise((r) => setTimeout(r, 20));
    run2 = await startRun(db, a.connectionId);
    await writeRunEvidence(db, { connectionId: a.connectionId, runId: run2 }, { bobHasPolicy: false });
    checkRun2 = await finishAndEvaluate(db, a.connectionId, run2);
  });

  describe('GET /v1/connections/{id}/checks', () => {
    it('answers the latest check run: every check with title, controls, status, counts and how to fix', async () => {
      const res = await get(`${base()}/checks`);
      expect(res.status).toBe(200);
      expect(res.body.checkRun).toMatchObject({
        id: checkRun2,
        syncRunId: run2,
        trigger: 'sync',
        partial: false,
      });
      expect(res.body.checkRun.judgedAt).toEqual(expect.any(String));
      expect(res.body.checks.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual([
        ['codecommit-offboarded-user-access', 'unknown'],
        ['codecommit-user-mfa', 'pass'],
        ['codecommit-branch-protection-admins', 'fail'],
        ['codecommit-peer-review', 'fail'],
      ]);
      const offboarded = res.body.checks[0];
      expect(offboarded.title).toBe('AWS CodeCommit access should be removed for offboarded users');
      expect(offboarded.controls.soc2).toContain('CC6.2');
      expect(offboarded.counts).toEqual({ pass: 2, fail: 0, unknown: 1, not_applicable: 0 });
      expect(offboarded.howToFix).toContain('delete-login-profile');
    });

    it('answers history by sync run, by check run and by date', async () => {
      const byRun = await get(`${base()}/checks?runId=${run1}`);
      expect(byRun.body.checkRun.id).toBe(checkRun1);
      expect(byRun.body.checks[0].status).toBe('fail');
      expect((await get(`${base()}/checks?checkRunId=${checkRun2}`)).body.checkRun.id).toBe(checkRun2);
      expect((await get(`${base()}/checks?at=${between.toISOString()}`)).body.checkRun.id).toBe(checkRun1);
      // A date alone is the end of that day: today's last check run.
      const today = new Date().toISOString().slice(0, 10);
      expect((await get(`${base()}/checks?at=${today}`)).body.checkRun.id).toBe(checkRun2);
      const before = await get(`${base()}/checks?at=2000-01-01`);
      expect(before.status).toBe(404);
      expect(before.body.error.code).toBe('not_found');
      expect((await get(`${base()}/checks?runId=999999`)).status).toBe(404);
      expect((await get(`${base()}/checks?checkRunId=999999`)).status).toBe(404);
    });

    it('answers 400 naming the field for bad query parameters', async () => {
      for (const [query, field] of [
        ['runId=abc', 'querystring.runId'],
        ['at=yesterday', 'querystring.at'],
        ['at=2026-02-30T25:00:00Z', 'querystring.at'],
        ['bogus=1', 'querystring.bogus'],
        [`runId=${run1}&at=2026-01-01`, 'querystring.at'],
      ] as const) {
        const res = await get(`${base()}/checks?${query}`);
        expect(res.status, query).toBe(400);
        expect(res.body.error.code).toBe('invalid_request');
        expect(res.body.error.message, query).toContain(field);
      }
    });
  });

  describe('GET /v1/connections/{id}/checks/{checkId}', () => {
    it('lists findings, filterable by status', async () => {
      const res = await get(`${base()}/checks/codecommit-offboarded-user-access?runId=${run1}&status=fail`);
      expect(res.status).toBe(200);
      expect(res.body.check).toMatchObject({ id: 'codecommit-offboarded-user-access', status: 'fail' });
      expect(res.body.findings).toHaveLength(1);
      expect(res.body.findings[0]).toMatchObject({
        resourceType: 'iam_user',
        resourceId: userArn('bob'),
        resourceName: 'bob',
        status: 'fail',
        evidence: { link: { method: 'explicit', email: 'bob@example.com' } },
      });
      expect(res.body.nextCursor).toBeNull();
      const alias = await get(
        `${base()}/checks/codecommit-offboarded-user-access/findings?runId=${run1}&status=fail`,
      );
      expect(alias.body.findings).toEqual(res.body.findings);
    });

    it('pages by cursor without losing or repeating a finding', async () => {
      const all = await get(`${base()}/checks/codecommit-offboarded-user-access?runId=${run1}`);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: Awaited<ReturnType<typeof get>> = await get(
          `${base()}/checks/codecommit-offboarded-user-access?runId=${run1}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(res.body.findings.length).toBeLessThanOrEqual(1);
        seen.push(...res.body.findings.map((f: { resourceName: string }) => f.resourceName));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all.body.findings.map((f: { resourceName: string }) => f.resourceName));
      expect(seen).toHaveLength(3);
    });

    it('searches findings by subject (?search=), case-insensitively, with paging and the status filter', async () => {
      const path = `${base()}/checks/codecommit-offboarded-user-access?runId=${run1}`;
      const names = async (query: string) =>
        (await get(`${path}&${query}`)).body.findings.map((f: { resourceName: string }) => f.resourceName);
      expect(await names('search=BO')).toEqual(['bob']);
      expect(await names('search=o&status=fail')).toEqual(['bob']);
      expect(await names('search=%25')).toEqual([]);
      const all = await names('search=o');
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: Awaited<ReturnType<typeof get>> = await get(
          `${path}&search=o&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...res.body.findings.map((f: { resourceName: string }) => f.resourceName));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all);
      for (const bad of ['search=', `search=${'x'.repeat(201)}`, 'search=a%00b', 'search=a%0Ab']) {
        const res = await get(`${path}&${bad}`);
        expect(res.status, bad).toBe(400);
        expect(res.body.error.message, bad).toContain('querystring.search');
      }
    });

    it('answers 404 for an unknown check and 400 for a bad cursor, status or limit', async () => {
      expect((await get(`${base()}/checks/no-such-check`)).status).toBe(404);
      for (const [query, field] of [
        ['cursor=garbage', 'querystring.cursor'],
        ['status=failed', 'querystring.status'],
        ['limit=501', 'querystring.limit'],
        ['limit=0', 'querystring.limit'],
      ] as const) {
        const res = await get(`${base()}/checks/codecommit-user-mfa?${query}`);
        expect(res.status, query).toBe(400);
        expect(res.body.error.message).toContain(field);
      }
    });
  });

  it('GET /v1/connections/{id}/check-runs lists the history, newest first, paginated', async () => {
    const res = await get(`${base()}/check-runs?limit=1`);
    expect(res.status).toBe(200);
    expect(res.body.checkRuns.map((r: { id: number }) => r.id)).toEqual([checkRun2]);
    expect(res.body.checkRuns[0].results['codecommit-offboarded-user-access']).toBe('unknown');
    // Counts per check, as each result stored them: the history chart's failing counts.
    const checks = await get(`${base()}/checks?checkRunId=${checkRun2}`);
    for (const check of checks.body.checks)
      expect(res.body.checkRuns[0].counts[check.id], check.id).toEqual(check.counts);
    const next = await get(`${base()}/check-runs?limit=1&cursor=${res.body.nextCursor}`);
    expect(next.body.checkRuns.map((r: { id: number }) => r.id)).toEqual([checkRun1]);
    expect(next.body.checkRuns[0].results['codecommit-offboarded-user-access']).toBe('fail');
    expect(next.body.nextCursor).toBeNull();
  });

  describe('evidence reads', () => {
    it('lists repositories as of the latest finished run, with their templates, paginated', async () => {
      const first = await get(`${base()}/repositories?limit=1`);
      expect(first.status).toBe(200);
      expect(first.body.syncRun).toMatchObject({ id: run2, status: 'succeeded' });
      expect(first.body.repositories).toEqual([
        expect.objectContaining({
          name: 'app',
          defaultBranch: 'main',
          approvalRuleTemplates: ['require-one'],
        }),
      ]);
      const second = await get(`${base()}/repositories?limit=1&cursor=${first.body.nextCursor}`);
      expect(second.body.repositories.map((r: { name: string }) => r.name)).toEqual(['infra']);
      expect(second.body.repositories[0].approvalRuleTemplates).toEqual([]);
      expect(second.body.nextCursor).toBeNull();
    });

    it('lists branches of a repository, marking the default one', async () => {
      const res = await get(`${base()}/repositories/app/branches?runId=${run1}`);
      expect(res.status).toBe(200);
      expect(res.body.syncRun.id).toBe(run1);
      expect(res.body.branches).toEqual([
        { name: 'feature', commitId: 'c0ffee', isDefault: false },
        { name: 'main', commitId: 'c0ffee', isDefault: true },
      ]);
      expect((await get(`${base()}/repositories/nope/branches`)).status).toBe(404);
    });

    it('pages pull requests and branches by cursor without losing or repeating one', async () => {
      for (const [path, list, key] of [
        ['/pull-requests', 'pullRequests', 'pullRequestId'],
        [`/repositories/app/branches?runId=${run1}`, 'branches', 'name'],
      ] as const) {
        const all = (await get(`${base()}${path}`)).body[list].map((x: Record<string, string>) => x[key]);
        expect(all.length, path).toBeGreaterThan(1);
        const paged: string[] = [];
        let cursor: string | null = null;
        do {
          const sep = path.includes('?') ? '&' : '?';
          const res = await get(`${base()}${path}${sep}limit=1${cursor ? `&cursor=${cursor}` : ''}`);
          expect(res.status).toBe(200);
          paged.push(...res.body[list].map((x: Record<string, string>) => x[key]));
          cursor = res.body.nextCursor;
        } while (cursor);
        expect(paged, path).toEqual(all);
      }
    });

    it('lists pull requests with approvals, by repository', async () => {
      const res = await get(`${base()}/pull-requests?repository=app`);
      expect(res.status).toBe(200);
      const pr1 = res.body.pullRequests.find((p: { pullRequestId: string }) => p.pullRequestId === '1');
      expect(pr1).toMatchObject({
        repository: 'app',
        isMerged: true,
        revisionId: 'rev-1-2',
        authorArn: userArn('alice'),
      });
      expect(pr1.approvals).toEqual([
        { revisionId: 'rev-1-1', userArn: userArn('bob'), state: 'APPROVE', onFinalRevision: false },
        { revisionId: 'rev-1-2', userArn: userArn('carol'), state: 'APPROVE', onFinalRevision: true },
      ]);
      expect(res.body.pullRequests).toHaveLength(2);
      expect((await get(`${base()}/pull-requests?repository=infra`)).body.pullRequests).toEqual([]);
      expect((await get(`${base()}/pull-requests?repository=nope`)).status).toBe(404);
    });

    it('lists IAM users with their effective access, person, MFA and last use, as of each run', async () => {
      const latest = await get(`${base()}/iam-users`);
      expect(latest.status).toBe(200);
      const byName = (body: { iamUsers: { name: string }[] }) =>
        Object.fromEntries(body.iamUsers.map((u) => [u.name, u]));
      const now = byName(latest.body);
      expect(Object.keys(now)).toEqual(['alice', 'bob', 'carol']);
      expect(now.alice).toMatchObject({
        hasAccess: 'yes',
        level: 'admin',
        linkMethod: 'email_tag',
        person: { email: 'alice@example.com', status: 'active' },
        consolePassword: true,
        mfaActive: true,
        lastUsed: expect.any(String),
      });
      expect(now.bob).toMatchObject({ hasAccess: 'no', level: 'none', linkMethod: 'explicit' });
      expect(now.carol).toMatchObject({
        hasAccess: 'yes',
        person: null,
        usableCredentials: ['active SSH key APKACAROL'],
      });
      const past = byName((await get(`${base()}/iam-users?runId=${run1}`)).body);
      expect(past.bob).toMatchObject({
        hasAccess: 'yes',
        level: 'write',
        grantedBy: [`inline policy bob-codecommit of ${userArn('bob')}`],
      });

      const paged = await get(`${base()}/iam-users?limit=2`);
      expect(paged.body.iamUsers.map((u: { name: string }) => u.name)).toEqual(['alice', 'bob']);
      const rest = await get(`${base()}/iam-users?limit=2&cursor=${paged.body.nextCursor}`);
      expect(rest.body.iamUsers.map((u: { name: string }) => u.name)).toEqual(['carol']);
    });

    it('joins the roster per request while the run’s access is computed once', async () => {
      const alice = async () =>
        (await get(`${base()}/iam-users`)).body.iamUsers.find((u: { name: string }) => u.name === 'alice');
      expect((await alice()).person.status).toBe('active');
      await upsertPeople(h.current.db, a.tenantId, [
        { email: 'alice@example.com', name: 'Alice', status: 'offboarded', offboardedAt: '2026-11-01' },
      ]);
      expect((await alice()).person).toMatchObject({ status: 'offboarded', offboardedAt: '2026-11-01' });
      const whileOffboarded = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 5));
      await upsertPeople(h.current.db, a.tenantId, [
        { email: 'alice@example.com', name: 'Alice', status: 'active', offboardedAt: null },
      ]);
      expect((await alice()).person.status).toBe('active');
      // A past review can be reproduced with the roster as it was.
      const past = await get(`${base()}/iam-users?rosterAsOf=${encodeURIComponent(whileOffboarded)}`);
      expect(past.body.iamUsers.find((u: { name: string }) => u.name === 'alice').person.status).toBe(
        'offboarded',
      );
      const review = await get(
        `${base()}/exports/access-review.json?rosterAsOf=${encodeURIComponent(whileOffboarded)}`,
      );
      expect(review.body.principals.find((p: { name: string }) => p.name === 'alice').person.status).toBe(
        'offboarded',
      );
      expect((await get(`${base()}/iam-users?rosterAsOf=yesterday`)).status).toBe(400);
    });

    it('reads each run’s stored access; a run without it (evaluated before it was stored) is derived on its first read, once', async () => {
      const db = h.current.db;
      // As a run evaluated before sync_run_access existed: nothing derived.
      await db.deleteFrom('sync_run_access_state').where('sync_run_id', '=', run2).execute();
      const [one, two] = await Promise.all([get(`${base()}/iam-users`), get(`${base()}/iam-users`)]);
      expect([one.status, two.status]).toEqual([200, 200]);
      expect(two.body.iamUsers).toEqual(one.body.iamUsers);
      const state = await db
        .selectFrom('sync_run_access_state')
        .selectAll()
        .where('sync_run_id', '=', run2)
        .executeTakeFirstOrThrow();
      expect(state.principals).toBe(4);
      // Later reads page the stored rows: nothing is computed per request (a changed row shows).
      await db
        .updateTable('sync_run_access')
        .set({ entry: sql`jsonb_set(entry, '{level}', '"read"')` })
        .where('sync_run_id', '=', run2)
        .where('name', '=', 'alice')
        .execute();
      const alice = (await get(`${base()}/iam-users`)).body.iamUsers.find(
        (u: { name: string }) => u.name === 'alice',
      );
      expect(alice.level).toBe('read');
      const review = await get(`${base()}/exports/access-review.json`);
      expect(review.body.principals.find((p: { name: string }) => p.name === 'alice').level).toBe('read');
      await db
        .updateTable('sync_run_access')
        .set({ entry: sql`jsonb_set(entry, '{level}', '"admin"')` })
        .where('sync_run_id', '=', run2)
        .where('name', '=', 'alice')
        .execute();
    });

    it('answers 404 for an unknown or unfinished sync run', async () => {
      expect((await get(`${base()}/repositories?runId=999999`)).status).toBe(404);
      const running = await startRun(h.current.db, b.connectionId);
      const res = await get(`/v1/connections/${b.connectionId}/repositories?runId=${running}`, b.apiKey);
      expect(res.status).toBe(404);
      // b has no finished run at all.
      expect(
        (await get(`/v1/connections/${b.connectionId}/iam-users`, b.apiKey)).body.error.details.reason,
      ).toBe('no_finished_sync_run');
    });
  });

  describe('exports', () => {
    it('check results as CSV: one line per finding, every check present, RFC 4180, as a download', async () => {
      const res = await h.current.app.inject({
        method: 'GET',
        url: `${base()}/exports/check-results.csv?runId=${run1}`,
        headers: { authorization: `Bearer ${a.apiKey}` },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="check-results-${a.connectionId}-${checkRun1}.csv"`,
      );
      const rows = parseCsvObjects(res.body);
      const findings = await h.current.db
        .selectFrom('findings')
        .select(['id'])
        .where('check_run_id', '=', checkRun1)
        .execute();
      expect(rows).toHaveLength(findings.length);
      expect(rows.every((r) => r.generated_at && !Number.isNaN(Date.parse(r.generated_at)))).toBe(true);
      expect(new Set(rows.map((r) => r.check_id)).size).toBe(4);
      const bob = rows.find(
        (r) => r.check_id === 'codecommit-offboarded-user-access' && r.resource_name === 'bob',
      );
      expect(bob).toMatchObject({
        check_status: 'fail',
        finding_status: 'fail',
        check_run_id: String(checkRun1),
      });
      // Evidence is JSON, full of commas and quotes: it survives the round trip exactly.
      const stored = await h.current.db
        .selectFrom('findings')
        .select(['reason', 'evidence'])
        .where('check_run_id', '=', checkRun1)
        .where('resource_id', '=', userArn('bob'))
        .where('check_id', '=', 'codecommit-offboarded-user-access')
        .executeTakeFirstOrThrow();
      expect(bob?.evidence).toMatch(/[",]/);
      expect(JSON.parse(bob?.evidence ?? '')).toEqual(stored.evidence);
      expect(bob?.reason).toBe(stored.reason);
      expect(bob?.controls).toContain('SOC 2 CC6.2');
    });

    it('check results as JSON, with findings under each check', async () => {
      const res = await get(`${base()}/exports/check-results.json`);
      expect(res.status).toBe(200);
      expect(res.headers['content-disposition']).toContain('attachment;');
      expect(res.body.checkRun.id).toBe(checkRun2);
      const offboarded = res.body.checks.find(
        (c: { id: string }) => c.id === 'codecommit-offboarded-user-access',
      );
      expect(
        offboarded.findings.map((f: { resourceName: string; status: string }) => [f.resourceName, f.status]),
      ).toEqual([
        ['alice', 'pass'],
        ['bob', 'pass'],
        ['carol', 'unknown'],
      ]);
    });

    it('the access review lists every principal with CodeCommit access: level, person, link, MFA, last use', async () => {
      const res = await h.current.app.inject({
        method: 'GET',
        url: `${base()}/exports/access-review.csv?runId=${run1}`,
        headers: { authorization: `Bearer ${a.apiKey}` },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="access-review-${a.connectionId}-${run1}.csv"`,
      );
      const rows = parseCsvObjects(res.body);
      expect(
        rows.map((r) => [
          r.principal_type,
          r.name,
          r.has_access,
          r.access_level,
          r.person_email,
          r.person_status,
          r.link_method,
        ]),
      ).toEqual([
        ['iam_user', 'alice', 'yes', 'admin', 'alice@example.com', 'active', 'email_tag'],
        ['iam_user', 'bob', 'yes', 'write', 'bob@example.com', 'offboarded', 'explicit'],
        ['iam_user', 'carol', 'yes', 'admin', '', 'not_linked', ''],
        ['iam_role', 'Admin', 'yes', 'admin', '', '', ''],
      ]);
      const bob = rows[1];
      expect(bob).toMatchObject({
        access_key_1_active: 'true',
        access_key_1_last_used: '2026-03-01T00:00:00.000Z',
        offboarded_at: '2026-01-01',
      });
      expect(rows[0]).toMatchObject({ mfa_active: 'true', console_password: 'true' });
      // Reproducible on its own: every line names its sync run, check run, roster instant and time.
      expect(Object.keys(rows[0] ?? {}).slice(0, 4)).toEqual([
        'sync_run_id',
        'check_run_id',
        'roster_as_of',
        'generated_at',
      ]);
      for (const r of rows)
        expect(r).toMatchObject({
          sync_run_id: String(run1),
          check_run_id: String(checkRun1),
          roster_as_of: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
          generated_at: r.roster_as_of,
        });
      expect(rows[3]?.arn).toBe(roleArn('Admin'));

      // After the policy change bob has no access: not in the review of the latest run.
      const latest = await get(`${base()}/exports/access-review.json`);
      expect(latest.body.principals.map((p: { name: string }) => p.name)).toEqual([
        'alice',
        'carol',
        'Admin',
      ]);
      const all = await get(`${base()}/exports/access-review.json?scope=all`);
      expect(all.body.principals.map((p: { name: string }) => p.name)).toEqual([
        'alice',
        'bob',
        'carol',
        'Admin',
      ]);
    });
  });

  describe('GET /v1/connections/{id}/checks/{checkId}/changes', () => {
    it('answers, page by page, exactly the difference of the two runs’ failing findings, for every check', async () => {
      const failing = async (checkRunId: number, checkId: string) =>
        new Map<string, string>(
          (
            await get(`${base()}/checks/${checkId}?checkRunId=${checkRunId}&status=fail&limit=500`)
          ).body.findings.map((f: { resourceId: string; reason: string }) => [f.resourceId, f.reason]),
        );
      const changes = async (from: number, to: number, checkId: string, change: string) => {
        const seen: { resourceId: string; reason: string }[] = [];
        let cursor: string | null = null;
        do {
          const res: Awaited<ReturnType<typeof get>> = await get(
            `${base()}/checks/${checkId}/changes?from=${from}&to=${to}&change=${change}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
          );
          expect(res.status).toBe(200);
          expect(res.body).toMatchObject({ from: { id: from }, to: { id: to }, checkId, change });
          seen.push(...res.body.findings);
          cursor = res.body.nextCursor;
        } while (cursor);
        return seen;
      };
      let changed = 0;
      for (const checkId of CHECKS.map((c) => c.id)) {
        const [before, after] = await Promise.all([failing(checkRun1, checkId), failing(checkRun2, checkId)]);
        const newFailures = await changes(checkRun1, checkRun2, checkId, 'new_failures');
        const fixed = await changes(checkRun1, checkRun2, checkId, 'fixed');
        // New failures as they fail in the later run, fixed ones as they failed in the earlier one.
        expect(new Map(newFailures.map((f) => [f.resourceId, f.reason])), checkId).toEqual(
          new Map([...after].filter(([r]) => !before.has(r))),
        );
        expect(new Map(fixed.map((f) => [f.resourceId, f.reason])), checkId).toEqual(
          new Map([...before].filter(([r]) => !after.has(r))),
        );
        changed += newFailures.length + fixed.length;
      }
      // bob lost his policy between the runs: at least his offboarded finding is fixed.
      expect(changed).toBeGreaterThan(0);
      const bob = await changes(checkRun1, checkRun2, 'codecommit-offboarded-user-access', 'fixed');
      expect(bob.map((f) => f.resourceId)).toContain(userArn('bob'));
    });

    it('refuses what it cannot answer: a missing run, an unknown run, an unknown check', async () => {
      const path = `${base()}/checks/codecommit-user-mfa/changes`;
      const missing = await get(`${path}?to=${checkRun2}&change=fixed`);
      expect(missing.status).toBe(400);
      expect(JSON.stringify(missing.body)).toContain('querystring.from');
      expect((await get(`${path}?from=${checkRun1}&to=${checkRun2}&change=gone`)).status).toBe(400);
      expect((await get(`${path}?from=999999&to=${checkRun2}&change=fixed`)).status).toBe(404);
      const check = await get(
        `${base()}/checks/no-such-check/changes?from=${checkRun1}&to=${checkRun2}&change=fixed`,
      );
      expect(check.status).toBe(404);
    });
  });

  it('documents every read and export route in the OpenAPI document', async () => {
    const doc = await h.current.app.inject({ method: 'GET', url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    const paths = Object.keys(JSON.parse(doc.body).paths);
    for (const p of [
      '/v1/connections/{id}/checks',
      '/v1/connections/{id}/checks/{checkId}',
      '/v1/connections/{id}/checks/{checkId}/findings',
      '/v1/connections/{id}/checks/{checkId}/changes',
      '/v1/connections/{id}/check-runs',
      '/v1/connections/{id}/repositories',
      '/v1/connections/{id}/repositories/{name}/branches',
      '/v1/connections/{id}/pull-requests',
      '/v1/connections/{id}/iam-users',
      '/v1/connections/{id}/exports/check-results.csv',
      '/v1/connections/{id}/exports/check-results.json',
      '/v1/connections/{id}/exports/access-review.csv',
      '/v1/connections/{id}/exports/access-review.json',
    ])
      expect(paths, p).toContain(p);
  });

  it('keeps tenants apart: another tenant gets 404 on every read and export, no key gets 401', async () => {
    const paths = [
      '/checks',
      `/checks?runId=${run1}`,
      '/checks/codecommit-user-mfa',
      '/checks/codecommit-user-mfa/findings',
      `/checks/codecommit-offboarded-user-access/changes?from=${checkRun1}&to=${checkRun2}&change=fixed`,
      '/check-runs',
      '/repositories',
      '/repositories/app/branches',
      '/pull-requests',
      '/iam-users',
      '/exports/check-results.csv',
      '/exports/check-results.json',
      '/exports/access-review.csv',
      '/exports/access-review.json',
    ];
    for (const p of paths) {
      const other = await get(`${base()}${p}`, b.apiKey);
      expect(other.status, p).toBe(404);
      expect(other.body.error.code).toBe('not_found');
      expect(JSON.stringify(other.body)).not.toContain('alice');
      const anonymous = await api(h.current.app, 'GET', `${base()}${p}`);
      expect(anonymous.status, p).toBe(401);
    }
    expect((await get(`/v1/connections/not-a-uuid/checks`)).status).toBe(404);
  });
});
