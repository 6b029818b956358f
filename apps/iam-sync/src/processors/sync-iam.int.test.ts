import {
  getAwsCalls,
  getSyncRun,
  listSyncProblems,
  selectAsOf,
  selectCurrent,
} from '@codecommit-evidence/evidence-store';
import type { FakeAws } from '@codecommit-evidence/fake-aws';
import { useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  connectionWithRun,
  content,
  DEV_POLICY_ARN,
  iamScenario,
  nextRun,
  ROLES,
  runToCompletion,
  startIamFake,
  testSettings,
  testSyncDeps,
  UNUSED_POLICY_ARN,
} from '../../test-support/iam-fixture.js';

const IDENTITY_TABLES = ['iam_users', 'iam_groups', 'iam_roles', 'iam_managed_policies'] as const;

describe('sync-iam against fake-aws', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  let fake: FakeAws;
  beforeAll(async () => {
    fake = await startIamFake();
  });
  afterAll(async () => {
    await fake?.close();
  });
  const deps = (settings = testSettings()) => ({
    ...testSyncDeps(t.current.db, r.current.redis, r.current.prefix, fake),
    settings,
  });
  const rows = async (
    table: (typeof IDENTITY_TABLES)[number] | 'iam_credential_report_rows',
    connectionId: string,
  ) =>
    (await selectCurrent(t.current.db, table, connectionId).selectAll().orderBy('arn').execute()).map((x) =>
      content(x as Record<string, unknown>),
    );

  it('stores the same identities and policies on both paths', async () => {
    fake.setScenario(iamScenario());
    const viaDetails = await connectionWithRun(t.current.db, ROLES.full);
    const viaCalls = await connectionWithRun(t.current.db, ROLES.noAuthorizationDetails);
    fake.resetStats();
    const a = await runToCompletion(viaDetails, deps());
    const detailsStats = fake.stats();
    fake.resetStats();
    const b = await runToCompletion(viaCalls, deps());
    const callsStats = fake.stats();

    expect(a.result.identities.path).toBe('authorization-details');
    expect(b.result.identities.path).toBe('per-entity');
    for (const table of IDENTITY_TABLES) {
      const left = await rows(table, viaDetails.connectionId);
      expect(left.length).toBeGreaterThan(0);
      expect(await rows(table, viaCalls.connectionId), table).toEqual(left);
    }

    // What the rows hold, not just that they agree.
    const users = await rows('iam_users', viaDetails.connectionId);
    expect(users).toHaveLength(12);
    const alice = users.find((u) => u.user_name === 'user-00001')!;
    expect(alice).toMatchObject({
      arn: `arn:aws:iam::${ACCOUNT}:user/user-00001`,
      tags: { email: 'Alice@Example.com', team: 'platform' },
      group_names: ['Developers', 'ReadOnly'],
      attached_policy_arns: [DEV_POLICY_ARN, 'arn:aws:iam::aws:policy/AWSCodeCommitReadOnly'],
    });
    expect((alice.inline_policies as { name: string }[]).map((p) => p.name)).toEqual(['a-first', 'z-last']);
    expect(alice.inline_policies).toContainEqual({
      name: 'a-first',
      document: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['codecommit:ListRepositories'], Resource: '*' }],
      },
    });
    expect(alice.create_date).toBeInstanceOf(Date);
    expect(Array.isArray(alice.ssh_public_keys)).toBe(true);
    expect(Array.isArray(alice.service_specific_credentials)).toBe(true);
    const policies = await rows('iam_managed_policies', viaDetails.connectionId);
    const dev = policies.find((p) => p.arn === DEV_POLICY_ARN)!;
    expect(dev).toMatchObject({ default_version_id: 'v2', is_aws_managed: false, policy_name: 'DevPush' });
    expect(JSON.stringify(dev.document)).toContain('codecommit:GitPush');
    expect(
      policies.find((p) => p.arn === 'arn:aws:iam::aws:policy/AWSCodeCommitReadOnly')?.is_aws_managed,
    ).toBe(true);
    expect(policies.map((p) => p.arn)).not.toContain(UNUSED_POLICY_ARN);
    // Both paths keep each role's trust policy (GAAD's AssumeRolePolicyDocument; ListRoles' on the
    // fallback): the access analysis follows role assumption through it.
    const rolesViaCalls = await rows('iam_roles', viaCalls.connectionId);
    const developer = rolesViaCalls.find((r) => r.role_name === 'Developer')!;
    expect(developer.assume_role_policy).toMatchObject({
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' },
      ],
    });
    expect(rolesViaCalls.every((r) => r.assume_role_policy !== null)).toBe(true);
    const groups = await rows('iam_groups', viaDetails.connectionId);
    expect(groups.find((g) => g.group_name === 'Developers')?.inline_policies).toHaveLength(1);

    // The preferred path is a handful of pages; the fallback several calls per user, each policy once.
    expect(detailsStats.calls['iam:GetAccountAuthorizationDetails']).toBeGreaterThan(1);
    expect(detailsStats.calls['iam:ListUsers']).toBeUndefined();
    expect(callsStats.denied['iam:GetAccountAuthorizationDetails']).toBe(1);
    expect(callsStats.calls['iam:ListGroupsForUser']).toBe(12);
    // GetUser and GetRole: the boundaries and role tags ListUsers and ListRoles leave out.
    expect(callsStats.calls['iam:GetUser']).toBe(12);
    expect(callsStats.calls['iam:GetRole']).toBe(rolesViaCalls.length);
    expect(users.find((u) => u.user_name === 'user-00002')?.permissions_boundary_arn).toBe(DEV_POLICY_ARN);
    expect(developer).toMatchObject({
      permissions_boundary_arn: 'arn:aws:iam::aws:policy/AWSCodeCommitReadOnly',
      tags: { owner: 'platform' },
    });
    expect(callsStats.calls['iam:GetPolicy']).toBe(policies.length);
    expect(callsStats.calls['iam:GetPolicyVersion']).toBe(policies.length);

    // Every call is counted into the run, per operation.
    const counted = await getAwsCalls(t.current.db, viaCalls.runId);
    for (const [op, n] of Object.entries(callsStats.calls)) {
      if (op.startsWith('iam:')) expect(counted[op]?.calls, op).toBe(n);
    }
    const run = await getSyncRun(t.current.db, viaCalls.runId);
    expect(run?.steps['iam:authorization-details']?.status).toBe('skipped');
    expect(run?.steps['iam:users']?.status).toBe('succeeded');
    // The fallback covered the denial: a warning, not a missing permission (no data gap).
    const problems = await listSyncProblems(t.current.db, viaCalls.runId);
    expect(problems.map((p) => [p.kind, p.action])).toEqual([
      ['warning', 'iam:GetAccountAuthorizationDetails'],
    ]);
  });

  it('writes nothing new on an unchanged re-sync; retires a deleted user; versions a policy change', async () => {
    fake.setScenario(iamScenario());
    const c = await connectionWithRun(t.current.db, ROLES.full);
    await runToCompletion(c, deps());
    const run2 = await nextRun(t.current.db, c.connectionId, c.runId);
    fake.resetStats();
    const again = await runToCompletion({ ...c, runId: run2 }, deps());
    const writes = again.result.identities.writes as Record<string, { inserted: number; retired: number }>;
    for (const table of IDENTITY_TABLES)
      expect(writes[table], table).toMatchObject({ inserted: 0, retired: 0 });
    expect(again.result.credentialReport).toMatchObject({
      status: 'stored',
      writes: { inserted: 0 },
      retired: 0,
    });
    // The report younger than 4 hours is reused: not generated again.
    expect(fake.stats().calls['iam:GenerateCredentialReport']).toBeUndefined();
    for (const table of [...IDENTITY_TABLES, 'iam_credential_report_rows'] as const) {
      const versions = await t.current.db
        .selectFrom(table)
        .select('id')
        .where('connection_id', '=', c.connectionId)
        .where('valid_from_run', '=', run2)
        .execute();
      expect(versions, table).toHaveLength(0);
    }

    fake.updateScenario((s) => {
      s.account.users = s.account.users.filter((u) => u.userName !== 'user-00003');
      s.account.policies.find((p) => p.arn === DEV_POLICY_ARN)!.defaultVersionId = 'v1';
    });
    const run3 = await nextRun(t.current.db, c.connectionId, run2);
    const third = await runToCompletion({ ...c, runId: run3 }, deps());
    expect((third.result.identities.writes as Record<string, { retired: number }>).iam_users?.retired).toBe(
      1,
    );

    const gone = await t.current.db
      .selectFrom('iam_users')
      .selectAll()
      .where('connection_id', '=', c.connectionId)
      .where('user_name', '=', 'user-00003')
      .execute();
    // Marked removed as of run 3, not erased.
    expect(gone).toHaveLength(1);
    expect(gone[0]?.valid_to_run).toBe(run3);
    const asOf = async (runId: number) =>
      selectAsOf(t.current.db, 'iam_users', c.connectionId, runId).selectAll().execute();
    expect((await asOf(run2)).map((u) => u.user_name)).toContain('user-00003');
    expect((await asOf(run3)).map((u) => u.user_name)).not.toContain('user-00003');
    const policyAsOf = async (runId: number) =>
      selectAsOf(t.current.db, 'iam_managed_policies', c.connectionId, runId)
        .selectAll()
        .where('arn', '=', DEV_POLICY_ARN)
        .executeTakeFirstOrThrow();
    expect((await policyAsOf(run2)).default_version_id).toBe('v2');
    expect(JSON.stringify((await policyAsOf(run2)).document)).toContain('GitPush');
    expect((await policyAsOf(run3)).default_version_id).toBe('v1');
    expect(JSON.stringify((await policyAsOf(run3)).document)).not.toContain('GitPush');
    // The deleted user's credential-report row is retired with it.
    const reportRows = await rows('iam_credential_report_rows', c.connectionId);
    expect(reportRows.map((x) => x.user_name)).not.toContain('user-00003');
  });

  it('generates a missing report, re-schedules while it is in progress, and stores special values as what they mean', async () => {
    fake.setScenario(iamScenario());
    fake.setOptions({ credentialReportDelayMs: 700 });
    const c = await connectionWithRun(t.current.db, ROLES.full);
    fake.resetStats();
    const { result, delays } = await runToCompletion(c, deps());
    fake.setOptions({ credentialReportDelayMs: 250 });
    expect(result.credentialReport.status).toBe('stored');
    // ReportNotPresent, then ReportInProgress at least once: each a re-schedule, not a wait in the job.
    expect(delays.length).toBeGreaterThanOrEqual(2);
    expect(fake.stats().calls['iam:GenerateCredentialReport']).toBe(1);
    // The identities were fetched once, before the first re-schedule.
    expect(fake.stats().calls['iam:GetAccountAuthorizationDetails']).toBe(
      // 12 users, 3 groups, 6 roles, 6 managed policies (2 local, 4 AWS ones in use), pages of 5.
      Math.ceil((12 + 3 + 6 + 6) / 5),
    );

    const report = await rows('iam_credential_report_rows', c.connectionId);
    expect(report).toHaveLength(13);
    const root = report.find((x) => x.is_root)!;
    expect(root).toMatchObject({
      arn: `arn:aws:iam::${ACCOUNT}:root`,
      user_name: '<root_account>',
      password_enabled: null,
      mfa_active: true,
    });
    expect((root.raw as Record<string, string>).password_enabled).toBe('not_supported');
    const neverUsed = report.find((x) => x.user_name === 'user-00001')!;
    expect(neverUsed).toMatchObject({
      password_enabled: true,
      password_last_used: null,
      password_last_used_state: 'no_information',
      mfa_active: false,
    });
    expect(neverUsed.password_last_changed).toEqual(new Date('2026-01-01T00:00:00Z'));
    const noPassword = report.find((x) => x.user_name === 'user-00002')!;
    expect(noPassword).toMatchObject({
      password_enabled: false,
      password_last_used: null,
      password_last_used_state: 'N/A',
      access_key_1_active: false,
      access_key_1_last_used: null,
    });
    expect((noPassword.raw as Record<string, string>).access_key_1_last_used_date).toBe('N/A');
    const run = await getSyncRun(t.current.db, c.runId);
    expect(run?.steps['iam:credential-report']).toMatchObject({ status: 'succeeded' });
  });

  it('regenerates an expired report', async () => {
    let offsetMs = 0;
    const aged = await startIamFake({ clock: () => Date.now() + offsetMs });
    try {
      const d = {
        ...testSyncDeps(t.current.db, r.current.redis, r.current.prefix, aged),
        settings: testSettings(),
      };
      const c = await connectionWithRun(t.current.db, ROLES.full);
      const first = await runToCompletion(c, d);
      offsetMs = 5 * 3600_000;
      // Sessions issued before the jump are expired in the fake's time; our cache goes by the real clock.
      d.aws.credentialCache.clear();
      aged.resetStats();
      const run2 = await nextRun(t.current.db, c.connectionId, c.runId);
      const second = await runToCompletion({ ...c, runId: run2 }, d);
      expect(aged.stats().calls['iam:GenerateCredentialReport']).toBe(1);
      expect(second.delays.length).toBeGreaterThanOrEqual(1);
      expect(first.result.credentialReport.status).toBe('stored');
      expect(second.result.credentialReport.status).toBe('stored');
      const t1 = Date.parse((first.result.credentialReport as { generatedTime: string }).generatedTime);
      const t2 = Date.parse((second.result.credentialReport as { generatedTime: string }).generatedTime);
      expect(t2 - t1).toBeGreaterThan(4 * 3600_000);
    } finally {
      await aged.close();
    }
  });

  it('fails only the report step, with its reason, when the report never completes', async () => {
    fake.setScenario(iamScenario());
    fake.setOptions({ credentialReportDelayMs: 3_600_000 });
    try {
      const c = await connectionWithRun(t.current.db, ROLES.full);
      const { result, delays } = await runToCompletion(c, deps(testSettings({ maxPolls: 3 })));
      expect(delays).toHaveLength(2);
      expect(result.credentialReport.status).toBe('failed');
      const run = await getSyncRun(t.current.db, c.runId);
      expect(run?.steps['iam:credential-report']?.status).toBe('failed');
      expect(run?.steps['iam:credential-report']?.detail).toMatch(
        /not finished the credential report after 3 polls/,
      );
      const problems = await listSyncProblems(t.current.db, c.runId);
      expect(problems).toContainEqual(
        expect.objectContaining({
          step: 'iam:credential-report',
          kind: 'error',
          code: 'credential_report_timeout',
        }),
      );
      // The identities written before the wait stay.
      expect(await rows('iam_users', c.connectionId)).toHaveLength(12);
      expect(await rows('iam_credential_report_rows', c.connectionId)).toHaveLength(0);
    } finally {
      fake.setOptions({ credentialReportDelayMs: 250 });
    }
  });

  it('records missing permissions and still syncs the rest', async () => {
    fake.setScenario(iamScenario());
    const c = await connectionWithRun(t.current.db, ROLES.limited);
    const { result } = await runToCompletion(c, deps());
    expect(result.credentialReport).toEqual({
      status: 'failed',
      reason: 'missing permission iam:GetCredentialReport',
    });
    const problems = await listSyncProblems(t.current.db, c.runId);
    const missing = problems.filter((p) => p.kind === 'missing_permission').map((p) => [p.step, p.action]);
    expect(missing.sort()).toEqual([
      ['iam:credential-report', 'iam:GetCredentialReport'],
      ['iam:git-credentials', 'iam:ListServiceSpecificCredentials'],
      ['iam:ssh-keys', 'iam:ListSSHPublicKeys'],
    ]);
    const users = await rows('iam_users', c.connectionId);
    expect(users).toHaveLength(12);
    for (const u of users) {
      // null: not collected, as opposed to [] (collected, none).
      expect(u.ssh_public_keys).toBeNull();
      expect(u.service_specific_credentials).toBeNull();
    }
    expect((await rows('iam_managed_policies', c.connectionId)).length).toBeGreaterThan(0);
    const run = await getSyncRun(t.current.db, c.runId);
    expect(run?.steps['iam:authorization-details']?.status).toBe('succeeded');
    expect(run?.steps['iam:ssh-keys']?.status).toBe('failed');
    expect(run?.steps['iam:credential-report']?.status).toBe('failed');
  });

  it('keeps the previous evidence when a core listing is denied, and still syncs the report', async () => {
    fake.setScenario(iamScenario());
    const c = await connectionWithRun(t.current.db, ROLES.full);
    await runToCompletion(c, deps());
    // The customer tightens the role: the fallback path can no longer list the users' groups.
    await t.current.db
      .updateTable('connections')
      .set({ role_arn: `arn:aws:iam::${ACCOUNT}:role/${ROLES.noGroupListing}` })
      .where('id', '=', c.connectionId)
      .execute();
    const run2 = await nextRun(t.current.db, c.connectionId, c.runId);
    const { result } = await runToCompletion({ ...c, runId: run2 }, deps());
    expect(result.credentialReport.status).toBe('stored');
    const problems = await listSyncProblems(t.current.db, run2);
    expect(problems).toContainEqual(
      expect.objectContaining({
        kind: 'missing_permission',
        step: 'iam:users',
        action: 'iam:ListGroupsForUser',
      }),
    );
    const run = await getSyncRun(t.current.db, run2);
    expect(run?.steps['iam:users']?.status).toBe('failed');
    expect(run?.steps['iam:ssh-keys']?.status).toBe('skipped');
    // An incomplete listing retires nothing: run 1's users are still the current evidence.
    const open = await selectCurrent(t.current.db, 'iam_users', c.connectionId).selectAll().execute();
    expect(open).toHaveLength(12);
    expect(open.every((u) => u.valid_from_run === c.runId)).toBe(true);
  });

  it('keeps every stored user untouched when ListSSHPublicKeys or ListServiceSpecificCredentials answers invalid', async () => {
    // Issue 11: an invalid answer faulted its scope but rewrote every user with the keys as null.
    for (const fault of [
      {
        operation: 'iam:ListSSHPublicKeys',
        kind: 'wrong-type',
        member: 'SSHPublicKeys',
        step: 'iam:ssh-keys',
      },
      {
        operation: 'iam:ListServiceSpecificCredentials',
        kind: 'wrong-type',
        member: 'ServiceSpecificCredentials',
        step: 'iam:git-credentials',
      },
    ] as const) {
      fake.setScenario(iamScenario());
      const c = await connectionWithRun(t.current.db, ROLES.full);
      await runToCompletion(c, deps());
      const before = await rows('iam_users', c.connectionId);
      expect(before.some((u) => (u.ssh_public_keys as unknown[]).length > 0)).toBe(true);
      const run2 = await nextRun(t.current.db, c.connectionId, c.runId);
      const { step, ...rule } = fault;
      fake.setFaults([rule]);
      try {
        await runToCompletion({ ...c, runId: run2 }, deps());
      } finally {
        fake.setFaults([]);
      }
      const problems = await listSyncProblems(t.current.db, run2);
      expect(
        problems.filter((p) => p.kind === 'error').map((p) => [p.step, p.code]),
        fault.operation,
      ).toEqual([[step, 'aws_response_invalid']]);
      expect((await getSyncRun(t.current.db, run2))?.steps[step]?.status).toBe('failed');
      // No user versioned or closed by this run: the stored evidence is what run 1 left.
      expect(await rows('iam_users', c.connectionId), fault.operation).toEqual(before);
      const touched = await t.current.db
        .selectFrom('iam_users')
        .select('id')
        .where('connection_id', '=', c.connectionId)
        .where((eb) => eb.or([eb('valid_from_run', '=', run2), eb('valid_to_run', '=', run2)]))
        .execute();
      expect(touched, fault.operation).toHaveLength(0);
    }
  });

  it('fails for good, with the reason on the run, when the role may read nothing in IAM', async () => {
    fake.setScenario(iamScenario());
    const c = await connectionWithRun(t.current.db, ROLES.noIam);
    await expect(runToCompletion(c, deps())).rejects.toMatchObject({
      name: 'SyncError',
      code: 'access_denied',
    });
    const actions = (await listSyncProblems(t.current.db, c.runId))
      .filter((p) => p.kind === 'missing_permission')
      .map((p) => p.action);
    expect(actions).toEqual(
      expect.arrayContaining(['iam:ListUsers', 'iam:ListRoles', 'iam:GetCredentialReport']),
    );
    expect(await rows('iam_users', c.connectionId)).toHaveLength(0);
  });
});
