import { useTestDatabase } from '@codecommit-evidence/testing';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchesByBytes, type CheckRunInput, insertCheckRun, listFindings } from './check-runs.js';
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
      where check_run_id = ${second.id}`.execute(db);
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

describe('batchesByBytes', () => {
  it('bounds each batch by rows and by bytes, and lets a single large row through alone', () => {
    const rows = [5, 5, 5, 20, 1, 1, 1, 1];
    const batches = batchesByBytes(rows, (n) => n, { maxRows: 3, maxBytes: 10 });
    expect(batches).toEqual([[5, 5], [5], [20], [1, 1, 1], [1]]);
  });
});
