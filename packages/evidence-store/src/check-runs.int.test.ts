import { useTestDatabase } from '@codecommit-evidence/testing';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkRunAt, connectionWithFinishedRun } from '../test/check-run-fixtures.js';
import {
  batchesByBytes,
  type CheckRunInput,
  getCheckRunAt,
  insertCheckRun,
  listFindings,
} from './check-runs.js';
import { createConnection } from './connections.js';
import { createOrGetActiveSyncRun, finishSyncRun } from './sync-runs.js';
import { createTenant } from './tenants.js';

describe('check runs with shared evidence', () => {
  const t = useTestDatabase();
  let input: CheckRunInput;

  beforeAll(async () => {
    const db = t.current.db;
    const { tenant } = await createTenant(db, 'acme');
    const c = await createConnection(db, { tenantId: tenant.id, name: 'prod' });
    const { run } = await createOrGetActiveSyncRun(db, c.id, 'api');
    await finishSyncRun(db, run.id, 'succeeded');
    const statements = Array.from({ length: 3 }, (_, i) => ({
      policy: `managed policy p${i}`,
      statement: { Effect: 'Allow', Action: 'codecommit:*', Resource: '*', Sid: 'x'.repeat(400) },
    }));
    const principals = Array.from({ length: 300 }, (_, i) => ({
      arn: `arn:aws:iam::111122223333:user/u${i}`,
      name: `u${i}`,
      actions: [{ action: 'codecommit:GitPush', decision: 'allow' }],
      statements,
    }));
    input = {
      connectionId: c.id,
      syncRunId: run.id,
      trigger: 'on_demand',
      rosterAsOf: new Date(0),
      evaluatedAt: new Date(),
      partial: false,
      notes: [],
      results: [
        {
          checkId: 'codecommit-branch-protection-admins',
          status: 'fail',
          counts: { pass: 0, fail: 200, unknown: 0, not_applicable: 0 },
          findings: Array.from({ length: 200 }, (_, i) => ({
            resourceType: 'repository',
            resourceId: `repo-${i}`,
            resourceName: `repo-${i}`,
            status: 'fail' as const,
            reason: `repo-${i} can be changed without review`,
            evidence: { defaultBranch: 'main', principalsThatMayBypass: principals },
          })),
        },
      ],
    };
  });

  it('stores shared parts once per connection, a second unchanged run adds none, and reads resolve them', async () => {
    const db = t.current.db;
    const blobs = async () =>
      (await sql<{ n: number }>`select count(*)::int as n from check_evidence_blobs`.execute(db)).rows[0]!.n;
    const first = await insertCheckRun(db, input);
    const afterFirst = await blobs();
    expect(afterFirst).toBeGreaterThan(0);
    expect(afterFirst).toBeLessThanOrEqual(3);
    const second = await insertCheckRun(db, { ...input, rosterAsOf: new Date(1) });
    expect(await blobs()).toBe(afterFirst);

    const sizes = await sql<{ max: number }>`select max(pg_column_size(evidence))::int as max from findings
      where check_run_id = ${first.id}`.execute(db);
    expect(sizes.rows[0]!.max).toBeLessThanOrEqual(16 * 1024);

    const stored = await listFindings(db, first.id, { limit: 5 });
    expect(stored[0]!.evidence).toMatchObject({
      principalsThatMayBypass: { $ref: expect.stringMatching(/^sha256:/) },
    });
    const resolved = await listFindings(db, second.id, { limit: 5, resolve: Number.POSITIVE_INFINITY });
    expect(resolved.map((f) => f.evidence)).toEqual(
      input.results[0]!.findings.slice(0, 5).map((f) => f.evidence),
    );
  });
});

describe('findings unchanged since an earlier check run', () => {
  const t = useTestDatabase();

  it('are not written again; a changed check writes its own; every run (by id or by date) reads exactly its findings', async () => {
    const db = t.current.db;
    const of = await connectionWithFinishedRun(db);
    const finding = (i: number, status: 'pass' | 'fail') => ({
      resourceType: 'iam_user',
      resourceId: `arn:aws:iam::111122223333:user/u${i}`,
      resourceName: `u${i}`,
      status,
      reason: `u${i} is ${status}`,
      evidence: { user: `u${i}`, statements: ['s'.repeat(2000)] },
    });
    const counts = { pass: 0, fail: 0, unknown: 0, not_applicable: 0 };
    const runWith = (mfa: ReturnType<typeof finding>[], at: number): CheckRunInput =>
      checkRunAt(of, at, [
        {
          checkId: 'codecommit-offboarded-user-access',
          status: 'pass',
          counts,
          findings: Array.from({ length: 50 }, (_, i) => finding(i, 'pass')),
        },
        { checkId: 'codecommit-user-mfa', status: 'fail', counts, findings: mfa },
      ]);
    const findingRows = async () =>
      (await sql<{ n: number }>`select count(*)::int as n from findings`.execute(db)).rows[0]!.n;
    const mfa1 = Array.from({ length: 30 }, (_, i) => finding(i, 'pass'));
    const first = await insertCheckRun(db, runWith(mfa1, 1000));
    expect(await findingRows()).toBe(80);
    const second = await insertCheckRun(db, runWith(mfa1, 2000));
    expect(await findingRows()).toBe(80);
    // One finding changed in one check: that check is written again, the other still shared.
    const mfa3 = mfa1.map((f, i) => (i === 7 ? finding(7, 'fail') : f));
    const third = await insertCheckRun(db, runWith(mfa3, 3000));
    expect(await findingRows()).toBe(110);
    // Back to the first answer: shared with the first run's rows again.
    const fourth = await insertCheckRun(db, runWith(mfa1, 4000));
    expect(await findingRows()).toBe(110);

    const read = async (checkRunId: number, checkId: string) =>
      (await listFindings(db, checkRunId, { checkId, resolve: Number.POSITIVE_INFINITY })).map((f) => ({
        checkRunId: f.check_run_id,
        name: f.resource_name,
        status: f.status,
        reason: f.reason,
        evidence: f.evidence,
      }));
    const expected = (checkRunId: number, fs: ReturnType<typeof finding>[]) =>
      fs.map((f) => ({
        checkRunId,
        name: f.resourceName,
        status: f.status,
        reason: f.reason,
        evidence: f.evidence,
      }));
    for (const [r, mfa] of [
      [first, mfa1],
      [second, mfa1],
      [third, mfa3],
      [fourth, mfa1],
    ] as const) {
      expect(await read(r.id, 'codecommit-user-mfa')).toEqual(expected(r.id, mfa));
      expect(await read(r.id, 'codecommit-offboarded-user-access')).toEqual(
        expected(
          r.id,
          Array.from({ length: 50 }, (_, i) => finding(i, 'pass')),
        ),
      );
      // ?at= picks the run by its evaluation time; its findings are its own answer.
      const atRun = await getCheckRunAt(db, of.connectionId, r.evaluated_at);
      expect(atRun?.id).toBe(r.id);
      expect((await listFindings(db, r.id)).length).toBe(80);
    }
    // Keyset paging over shared rows, with a status filter.
    const failing = await listFindings(db, third.id, { checkId: 'codecommit-user-mfa', status: 'fail' });
    expect(failing.map((f) => f.resource_name)).toEqual(['u7']);
    const page1 = await listFindings(db, fourth.id, { checkId: 'codecommit-user-mfa', limit: 20 });
    const page2 = await listFindings(db, fourth.id, {
      checkId: 'codecommit-user-mfa',
      limit: 20,
      afterId: page1.at(-1)!.id,
    });
    expect([...page1, ...page2].map((f) => f.resource_name)).toEqual(mfa1.map((f) => f.resourceName));
  });
});

describe('batchesByBytes', () => {
  it('bounds each batch by rows and by bytes, and lets a single large row through alone', () => {
    const rows = [5, 5, 5, 20, 1, 1, 1, 1];
    const batches = batchesByBytes(rows, (n) => n, { maxRows: 3, maxBytes: 10 });
    expect(batches).toEqual([[5, 5], [5], [20], [1, 1, 1], [1]]);
  });
});
