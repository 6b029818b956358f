/**
 * Issue 16's "done when": `scenarios/effective-access.json` synced through the real workers against
 * fake-aws and evaluated. CodeCommit reached only through a role is access (offboarded: fail; active
 * with a console password: judged by the MFA check), through a chain of two roles too; a grant scoped to
 * a Region that is not synced is access; a trust policy that requires MFA is named in the MFA finding;
 * a branch-protection Deny conditioned on aws:SourceIp gives `unknown` with the key in the reason.
 */
import { fileURLToPath } from 'node:url';
import { listCheckResults, listFindings } from '@codecommit-evidence/evidence-store';
import { type FakeAws, startFakeAws } from '@codecommit-evidence/fake-aws';
import { useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SyncedScenario, syncThroughWorkers } from '../test-support/sync-through-workers.js';

const SCENARIO = fileURLToPath(new URL('../../../scenarios/effective-access.json', import.meta.url));
const DAY = 24 * 60 * 60 * 1000;

describe('effective access: role assumption, every Region, true reasons', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  let fake: FakeAws;
  let synced: SyncedScenario | undefined;

  beforeAll(async () => {
    const now = Date.now();
    const offboarded = new Date(now - 30 * DAY).toISOString().slice(0, 10);
    const person = (name: string, status: 'active' | 'offboarded') => ({
      email: `${name}@acme.example`,
      name,
      status,
      offboardedAt: status === 'offboarded' ? offboarded : null,
    });
    fake = await startFakeAws({ scenario: SCENARIO, credentialReportDelayMs: 0 });
    synced = await syncThroughWorkers({
      db: t.current.db,
      databaseUrl: t.current.url,
      redis: r.current,
      fake,
      accountId: '111122223333',
      region: 'eu-west-1',
      tenantName: 'Acme Corp',
      connectionName: 'acme-effective-access',
      people: [
        ...['olivia', 'wes', 'chen', 'zoe'].map((n) => person(n, 'offboarded')),
        ...['adam', 'mia', 'nora', 'ivan'].map((n) => person(n, 'active')),
      ],
      log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    });
  }, 120_000);

  afterAll(async () => {
    await synced?.close();
    await fake?.close();
  });

  const findings = async (checkId: string) => {
    const rows = await listFindings(t.current.db, synced!.checkRunId, {
      checkId,
      limit: 1000,
      resolve: Number.POSITIVE_INFINITY,
    });
    return Object.fromEntries(
      rows.map((f) => [f.resource_type === 'root' ? 'root' : f.resource_name, f] as const),
    );
  };
  const statuses = (rows: Record<string, { status: string }>) =>
    Object.fromEntries(Object.entries(rows).map(([name, f]) => [name, f.status]));

  it('offboarded users keep access through a role, a chain of two roles, or another Region: fail', async () => {
    const rows = await findings('codecommit-offboarded-user-access');
    expect(statuses(rows)).toEqual({
      olivia: 'fail',
      chen: 'fail',
      wes: 'fail',
      zoe: 'pass',
      adam: 'pass',
      mia: 'pass',
      ivan: 'pass',
    });
    expect(rows.olivia!.reason).toContain(
      'via sts:AssumeRole into role Dev (managed policy AWSCodeCommitPowerUser',
    );
    expect(rows.chen!.reason).toContain('via sts:AssumeRole into role Jump, then role Deep');
    expect(rows.wes!.reason).toContain('in us-west-2 (inline policy west-only');
    // "No access" only when no path exists, naming what was considered.
    expect(rows.zoe!.reason).toMatch(
      /^Access removed: .* no IAM policy allows it any CodeCommit action on the 1 synced repositories or in any of the \d+ CodeCommit Regions, and it may assume none of the 5 roles/,
    );
    const evidence = rows.chen!.evidence as {
      access: { viaRoles: { path: string; steps: { roleArn: string; trustedBy: unknown[] }[] }[] };
    };
    expect(evidence.access.viaRoles[0]!.steps.map((s) => s.roleArn.split('/').pop())).toEqual([
      'Jump',
      'Deep',
    ]);
    expect(evidence.access.viaRoles[0]!.steps[1]!.trustedBy).toHaveLength(1);
  });

  it('an active console user whose only path is a role is judged by the MFA check; a trust policy requiring MFA is named', async () => {
    const rows = await findings('codecommit-user-mfa');
    expect(statuses(rows)).toEqual({
      root: 'pass',
      adam: 'fail',
      mia: 'pass',
      nora: 'pass',
      olivia: 'not_applicable',
      chen: 'not_applicable',
      wes: 'not_applicable',
      ivan: 'not_applicable',
    });
    expect(rows.adam!.reason).toContain('via sts:AssumeRole into role Dev');
    expect(rows.adam!.reason).toContain('but no MFA device');
    expect(rows.mia!.reason).toContain('role MfaAdmin');
    expect(rows.mia!.reason).toContain('requires MFA (aws:MultiFactorAuthPresent), and MFA is active');
    expect(rows.nora!.reason).toContain('it has no MFA device, so it cannot assume the role');
    expect(rows.mia!.evidence).toMatchObject({
      mfaRequiredBy: [
        {
          conditionKeys: ['aws:MultiFactorAuthPresent'],
          trustedBy: [
            {
              policy: 'trust policy of arn:aws:iam::111122223333:role/MfaAdmin',
              statement: { Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } },
            },
          ],
        },
      ],
    });
  });

  it('a branch-protection Deny conditioned on aws:SourceIp is unknown, with the key in the reason', async () => {
    const rows = await findings('codecommit-branch-protection-admins');
    expect(statuses(rows)).toEqual({ app: 'unknown' });
    expect(rows.app!.reason).toContain('user ivan');
    expect(rows.app!.reason).toContain('depends on aws:SourceIp, which varies per request');
    const results = await listCheckResults(t.current.db, synced!.checkRunId);
    expect(Object.fromEntries(results.map((x) => [x.check_id, x.status]))).toMatchObject({
      'codecommit-offboarded-user-access': 'fail',
      'codecommit-user-mfa': 'fail',
      'codecommit-branch-protection-admins': 'unknown',
    });
  });
});
