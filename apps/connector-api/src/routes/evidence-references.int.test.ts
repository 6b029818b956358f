import { finishSyncRun, insertCheckRun, isEvidenceRef } from '@codecommit-evidence/evidence-store';
import {
  createActiveConnection,
  type FixtureConnection,
  startRun,
} from '@codecommit-evidence/evidence-views/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, useHarness } from '../../test-support/harness.js';

const h = useHarness();

describe('evidence shared by findings, stored once and referenced', () => {
  let a: FixtureConnection;
  let b: FixtureConnection;
  const principals = Array.from({ length: 200 }, (_, i) => ({
    arn: `arn:aws:iam::111122223333:user/u${i}`,
    type: 'user',
    name: `u${i}`,
    actions: [{ action: 'codecommit:GitPush', decision: 'allow' }],
  }));

  beforeAll(async () => {
    const db = h.current.db;
    a = await createActiveConnection(db, 'acme');
    b = await createActiveConnection(db, 'globex');
    const runId = await startRun(db, a.connectionId);
    await finishSyncRun(db, runId, 'succeeded');
    await insertCheckRun(db, {
      connectionId: a.connectionId,
      syncRunId: runId,
      trigger: 'sync',
      rosterAsOf: new Date(),
      evaluatedAt: new Date(),
      partial: false,
      notes: [],
      results: [
        {
          checkId: 'codecommit-branch-protection-admins',
          status: 'fail',
          counts: { pass: 0, fail: 3, unknown: 0, not_applicable: 0 },
          findings: ['app', 'lib', 'web'].map((name) => ({
            resourceType: 'repository',
            resourceId: name,
            resourceName: name,
            status: 'fail' as const,
            reason: `${name} can be changed without review`,
            evidence: { defaultBranch: 'main', principalsThatMayBypass: principals },
          })),
        },
      ],
    });
  });

  it('findings hold a reference; the API answers it for the owner only; the JSON export carries it', async () => {
    const base = `/v1/connections/${a.connectionId}`;
    const page = await api(
      h.current.app,
      'GET',
      `${base}/checks/codecommit-branch-protection-admins/findings`,
      {
        token: a.apiKey,
      },
    );
    expect(page.status).toBe(200);
    const findings = (page.body as { findings: { evidence: Record<string, unknown> }[] }).findings;
    expect(findings).toHaveLength(3);
    const ref = findings[0]!.evidence['principalsThatMayBypass'];
    expect(isEvidenceRef(ref)).toBe(true);
    // Three findings, one stored list.
    expect(new Set(findings.map((f) => JSON.stringify(f.evidence['principalsThatMayBypass']))).size).toBe(1);
    const digest = (ref as { $ref: string }).$ref;

    const resolved = await api(h.current.app, 'GET', `${base}/evidence-references/${digest}`, {
      token: a.apiKey,
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toEqual({ ref: digest, evidence: principals });

    const other = await api(h.current.app, 'GET', `${base}/evidence-references/${digest}`, {
      token: b.apiKey,
    });
    expect(other.status).toBe(404);
    const bad = await api(h.current.app, 'GET', `${base}/evidence-references/not-a-digest`, {
      token: a.apiKey,
    });
    expect(bad.status).toBe(400);

    const exported = await api(h.current.app, 'GET', `${base}/exports/check-results.json`, {
      token: a.apiKey,
    });
    expect(exported.status).toBe(200);
    const body = exported.body as {
      references: Record<string, unknown>;
      checks: { id: string; findings: unknown[] }[];
    };
    expect(body.references[digest]).toEqual(principals);
    expect(body.checks.find((c) => c.id === 'codecommit-branch-protection-admins')?.findings).toHaveLength(3);
  });
});
