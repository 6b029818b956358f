import { getSyncRun, writeEvidence } from '@codecommit-evidence/evidence-store';
import { jobIds } from '@codecommit-evidence/queues';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  api,
  CUSTOMER_ACCOUNT_ID,
  createRole,
  newConnection,
  newTenant,
  policyWithout,
  REPO_REGION,
  useHarness,
} from '../../test-support/harness.js';
import { PERMISSION_ACTIONS } from '../permissions.js';
import { buildServer } from '../server.js';
import { MANAGED_CODECOMMIT_POLICY, MANAGED_IAM_POLICY } from '../setup-kit.js';

const h = useHarness();
let apiKey: string;

beforeAll(async () => {
  apiKey = (await newTenant(h.current.app)).apiKey;
});

/** A pending connection and a role made from its setup kit, as the customer would. */
async function connectionWithRole(
  roleName: string,
  shape: (kit: any) => { trust?: Record<string, unknown>; inline?: any; managed?: string[] } = (kit) => ({
    trust: kit.trustPolicy,
    inline: kit.permissionsPolicy,
  }),
) {
  const { connection, setupKit } = await newConnection(h.current.app, apiKey, { name: roleName });
  const s = shape(setupKit);
  const roleArn = await createRole(h.current.fake, roleName, s.trust ?? setupKit.trustPolicy, {
    ...(s.inline ? { inline: s.inline } : {}),
    ...(s.managed ? { managed: s.managed } : {}),
  });
  return { id: connection.id as string, externalId: connection.externalId, setupKit, roleArn };
}

const connect = (id: string, body: unknown) =>
  api(h.current.app, 'POST', `/v1/connections/${id}/connect`, { token: apiKey, body });

describe('connect', () => {
  it('connects a role made from the setup kit: active, scheduled, first sync enqueued', async () => {
    const { id, roleArn, externalId } = await connectionWithRole('EvidenceOk');
    h.current.fake.resetStats();
    const res = await connect(id, { roleArn: `  ${roleArn}\n`, region: REPO_REGION });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.connection).toMatchObject({
      id,
      status: 'active',
      roleArn,
      awsAccountId: CUSTOMER_ACCOUNT_ID,
      region: REPO_REGION,
      warnings: [],
    });
    expect(res.body.probe.permissions.missingCore).toEqual([]);
    expect(res.body.probe.permissions.missingOptional).toEqual([]);
    expect(res.body.probe.permissions.granted.length).toBe(PERMISSION_ACTIONS.length);
    expect(res.body.probe.regionHasRepositories).toBe(true);

    // Two AssumeRole calls (with and without External ID), one probe per permission.
    const stats = h.current.fake.stats();
    expect(stats.calls['sts:AssumeRole']).toBe(2);
    const probeCalls = Object.entries(stats.calls).filter(([k]) => !k.startsWith('sts:'));
    expect(probeCalls.reduce((n, [, v]) => n + v, 0)).toBe(PERMISSION_ACTIONS.length);
    expect(stats.denied).toEqual({ 'sts:AssumeRole': 1 });
    expect(res.body.probe.awsCalls['sts:AssumeRole']).toBe(2);

    // The first run and its flow.
    const runId = res.body.syncRunId as number;
    const run = await getSyncRun(h.current.db, runId);
    expect(run).toMatchObject({ connection_id: id, trigger: 'connect', status: 'queued' });
    const parent = await h.current.queues.checks.getJob(jobIds.evaluate(runId));
    expect(parent?.name).toBe('evaluate-checks');
    expect(parent?.data).toEqual({ connectionId: id, runId, trigger: 'sync' });
    expect((await h.current.queues['repo-sync'].getJob(jobIds.syncRepositories(runId)))?.name).toBe(
      'sync-repositories',
    );
    expect((await h.current.queues['iam-sync'].getJob(jobIds.syncIam(runId)))?.name).toBe('sync-iam');

    // The periodic sync: one job scheduler, default 6 hours.
    const scheduler = await h.current.queues.checks.getJobScheduler(jobIds.scheduler(id));
    expect(scheduler?.every).toBe(360 * 60_000);

    // A sync requested now returns the queued run instead of a second one.
    const again = await api(h.current.app, 'POST', `/v1/connections/${id}/syncs`, { token: apiKey });
    expect(again.status).toBe(202);
    expect(again.body.syncRun.id).toBe(runId);

    const shown = await api(h.current.app, 'GET', `/v1/connections/${id}`, { token: apiKey });
    expect(shown.body.connection.lastSyncRun).toMatchObject({
      id: runId,
      status: 'queued',
      trigger: 'connect',
    });

    // No temporary credential or External ID in the logs; no credential in the database.
    const logs = h.current.logs.join('');
    // Requests are logged (so the absence checks below can fail), without headers or secrets.
    expect(logs).toContain(`/v1/connections/${id}/connect`);
    expect(logs).not.toContain('authorization');
    expect(logs).not.toContain(ADMIN_TOKEN);
    expect(logs).not.toContain(externalId);
    expect(logs).not.toContain(apiKey);
    expect(logs).not.toMatch(/ASIA[A-Z0-9]{12,}/);
    const row = JSON.stringify(
      await h.current.db.selectFrom('connections').selectAll().where('id', '=', id).execute(),
    );
    expect(row).not.toMatch(/ASIA[A-Z0-9]{12,}|SecretAccessKey|sessionToken/i);
  });

  it.each([
    ['a space inside', (arn: string) => arn.replace('role/', 'role/ '), 'role-name', ' '],
    ['the wrong service', (arn: string) => arn.replace(':iam:', ':s3:'), 'service', undefined],
    [
      'an 11-digit account',
      (arn: string) => arn.replace(CUSTOMER_ACCOUNT_ID, '11112222333'),
      'account',
      undefined,
    ],
    [
      'a 13-digit account',
      (arn: string) => arn.replace(CUSTOMER_ACCOUNT_ID, '1111222233334'),
      'account',
      undefined,
    ],
    [
      'a letter in the account',
      (arn: string) => arn.replace(CUSTOMER_ACCOUNT_ID, '11112222333O'),
      'account',
      'O',
    ],
  ])('refuses an ARN with %s before calling AWS', async (_label, mangle, part, character) => {
    const id = (await newConnection(h.current.app, apiKey)).connection.id;
    h.current.fake.resetStats();
    const res = await connect(id, {
      roleArn: mangle(`arn:aws:iam::${CUSTOMER_ACCOUNT_ID}:role/Evidence`),
      region: REPO_REGION,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_role_arn');
    expect(res.body.error.details.part).toBe(part);
    if (character) expect(res.body.error.details.character).toBe(character);
    expect(h.current.fake.stats().calls).toEqual({});
    const shown = await api(h.current.app, 'GET', `/v1/connections/${id}`, { token: apiKey });
    expect(shown.body.connection).toMatchObject({ status: 'pending', roleArn: null });
    expect(shown.body.connection.lastConnectError.code).toBe('invalid_role_arn');
  });

  it.each([
    ['us-east-7', 'invalid_region'],
    ['US-EAST-1', 'invalid_region'],
    ['mars-1', 'invalid_region'],
    ['ca-west-1', 'codecommit_not_in_region'],
  ])('refuses the region %s with %s', async (region, code) => {
    const id = (await newConnection(h.current.app, apiKey)).connection.id;
    const res = await connect(id, { roleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT_ID}:role/Evidence`, region });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
  });

  it('refuses a role in another partition than the region', async () => {
    const id = (await newConnection(h.current.app, apiKey)).connection.id;
    const res = await connect(id, {
      roleArn: `arn:aws-cn:iam::${CUSTOMER_ACCOUNT_ID}:role/Evidence`,
      region: 'us-east-1',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('region_partition_mismatch');
  });

  it('a role that does not exist: role_not_found_or_not_trusted, with what to check in order', async () => {
    const id = (await newConnection(h.current.app, apiKey)).connection.id;
    const res = await connect(id, {
      roleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT_ID}:role/NoSuchRole`,
      region: REPO_REGION,
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('role_not_found_or_not_trusted');
    expect(res.body.error.details.checks).toHaveLength(4);
    expect(res.body.error.details.checks[0]).toMatch(/role exists/);
    expect(res.body.error.details.checks[1]).toContain('444455556666');
    expect(res.body.error.details.checks[2]).toMatch(/External ID/);
  });

  it('a trust policy naming another account: role_not_found_or_not_trusted', async () => {
    const { id, roleArn } = await connectionWithRole('EvidenceOtherAccount', (kit) => ({
      trust: JSON.parse(JSON.stringify(kit.trustPolicy).replace('444455556666', '999988887777')),
      inline: kit.permissionsPolicy,
    }));
    const res = await connect(id, { roleArn, region: REPO_REGION });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('role_not_found_or_not_trusted');
  });

  it('a wrong External ID (StringEquals): AWS cannot tell it from a missing role, and says so', async () => {
    const { id, roleArn, externalId } = await connectionWithRole('EvidenceWrongId', (kit) => ({
      trust: JSON.parse(JSON.stringify(kit.trustPolicy).replace(kit.externalId, 'cce-someone-elses-id')),
      inline: kit.permissionsPolicy,
    }));
    const res = await connect(id, { roleArn, region: REPO_REGION });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('role_not_found_or_not_trusted');
    expect(res.body.error.message).toContain('External ID does not match');
    expect(externalId).toBeTruthy();
  });

  it('a wrong External ID that is not required (StringEqualsIfExists): external_id_mismatch', async () => {
    const { id, roleArn, externalId } = await connectionWithRole('EvidenceIfExists', (kit) => ({
      trust: {
        ...kit.trustPolicy,
        Statement: [
          {
            ...kit.trustPolicy.Statement[0],
            Condition: { StringEqualsIfExists: { 'sts:ExternalId': 'cce-stale-id' } },
          },
        ],
      },
      inline: kit.permissionsPolicy,
    }));
    const res = await connect(id, { roleArn, region: REPO_REGION });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('external_id_mismatch');
    expect(res.body.error.details.expectedCondition).toEqual({
      StringEquals: { 'sts:ExternalId': externalId },
    });
  });

  it('a trust policy without the External ID condition: external_id_not_enforced, ARN not kept', async () => {
    const { id, roleArn } = await connectionWithRole('EvidenceNoExternalId', (kit) => {
      const { Condition: _dropped, ...statement } = kit.trustPolicy.Statement[0];
      return { trust: { ...kit.trustPolicy, Statement: [statement] }, inline: kit.permissionsPolicy };
    });
    const res = await connect(id, { roleArn, region: REPO_REGION });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('external_id_not_enforced');
    expect(res.body.error.message).toContain('confused-deputy');
    const shown = await api(h.current.app, 'GET', `/v1/connections/${id}`, { token: apiKey });
    expect(shown.body.connection).toMatchObject({
      status: 'pending',
      roleArn: null,
      awsAccountId: null,
      region: null,
    });
    expect(JSON.stringify(shown.body)).not.toContain(roleArn);
    expect(await h.current.queues.checks.getJobScheduler(jobIds.scheduler(id))).toBeUndefined();
  });

  it('a role missing core and optional permissions: missing_permissions listing each and the checks it disables', async () => {
    const { id, roleArn } = await connectionWithRole('EvidenceMissingCore', (kit) => ({
      inline: policyWithout(kit.permissionsPolicy, [
        'codecommit:ListBranches',
        'codecommit:GetPullRequestApprovalStates',
        'iam:GetCredentialReport',
      ]),
    }));
    const res = await connect(id, { roleArn, region: REPO_REGION });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('missing_permissions');
    expect(res.body.error.details.missingCore).toEqual(['codecommit:ListBranches']);
    expect(res.body.error.details.missingOptional).toEqual([
      'codecommit:GetPullRequestApprovalStates',
      'iam:GetCredentialReport',
    ]);
    const approvals = res.body.error.details.missing.find(
      (m: any) => m.action === 'codecommit:GetPullRequestApprovalStates',
    );
    expect(approvals).toMatchObject({ tier: 'optional', disables: ['codecommit-peer-review'] });
    const shown = await api(h.current.app, 'GET', `/v1/connections/${id}`, { token: apiKey });
    expect(shown.body.connection.status).toBe('pending');
  });

  it('both IAM user inventories missing is a core gap; one of them is enough', async () => {
    const both = await connectionWithRole('EvidenceNoIamInventory', (kit) => ({
      inline: policyWithout(kit.permissionsPolicy, ['iam:GetAccountAuthorizationDetails', 'iam:ListUsers']),
    }));
    const refused = await connect(both.id, { roleArn: both.roleArn, region: REPO_REGION });
    expect(refused.status).toBe(422);
    expect(refused.body.error.details.missingCore).toEqual([
      'iam:GetAccountAuthorizationDetails',
      'iam:ListUsers',
    ]);

    const one = await connectionWithRole('EvidenceListUsersOnly', (kit) => ({
      inline: policyWithout(kit.permissionsPolicy, ['iam:GetAccountAuthorizationDetails']),
    }));
    const ok = await connect(one.id, { roleArn: one.roleArn, region: REPO_REGION });
    expect(ok.status).toBe(200);
    expect(ok.body.probe.permissions.notNeeded).toEqual(['iam:GetAccountAuthorizationDetails']);
    expect(ok.body.connection.warnings).toEqual([]);
  });

  it('a role missing only optional permissions connects, with a warning per action', async () => {
    const { id, roleArn } = await connectionWithRole('EvidenceMissingOptional', (kit) => ({
      inline: policyWithout(kit.permissionsPolicy, [
        'iam:ListSSHPublicKeys',
        'codecommit:GetPullRequestOverrideState',
      ]),
    }));
    const res = await connect(id, { roleArn, region: REPO_REGION });
    expect(res.status).toBe(200);
    expect(res.body.connection.status).toBe('active');
    const warned = res.body.connection.warnings.map((w: any) => [w.code, w.details.action]);
    expect(warned).toEqual([
      ['missing_permission', 'codecommit:GetPullRequestOverrideState'],
      ['missing_permission', 'iam:ListSSHPublicKeys'],
    ]);
    expect(res.body.connection.warnings[1].details.disables).toEqual([
      'codecommit-offboarded-user-access',
      'codecommit-branch-protection-admins',
    ]);
  });

  it('a least-privilege role scoped to named repositories connects: repository probes use real repositories', async () => {
    const names = (h.current.fake.scenario().account.regions[REPO_REGION]?.repositories ?? []).map(
      (r) => r.repositoryName,
    );
    expect(names.length).toBeGreaterThan(1);
    // Only the last repository is in scope, so the first candidates are denied and the probe moves on.
    const scoped = `arn:aws:codecommit:${REPO_REGION}:${CUSTOMER_ACCOUNT_ID}:${names.at(-1)}`;
    const { id, roleArn } = await connectionWithRole('EvidenceScoped', (kit) => {
      const [codecommit, iam] = kit.permissionsPolicy.Statement;
      const accountWide = [
        'codecommit:ListRepositories',
        'codecommit:ListApprovalRuleTemplates',
        'codecommit:GetApprovalRuleTemplate',
        'codecommit:ListRepositoriesForApprovalRuleTemplate',
      ];
      return {
        inline: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: accountWide, Resource: '*' },
            {
              Effect: 'Allow',
              Action: codecommit.Action.filter((a: string) => !accountWide.includes(a)),
              Resource: [scoped],
            },
            iam,
          ],
        },
      };
    });
    const res = await connect(id, { roleArn, region: REPO_REGION });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const missing = res.body.probe.permissions.missingCore.concat(res.body.probe.permissions.missingOptional);
    expect(
      missing.filter((m: { action: string }) =>
        /ListBranches|BatchGetRepositories|ListPullRequests|GetBranch|ListAssociated/.test(m.action),
      ),
    ).toEqual([]);
  });

  it('an empty region connects with no_repositories_in_region', async () => {
    const { id, roleArn } = await connectionWithRole('EvidenceEmptyRegion');
    const res = await connect(id, { roleArn, region: 'eu-west-1' });
    expect(res.status).toBe(200);
    expect(res.body.probe.regionHasRepositories).toBe(false);
    expect(res.body.connection.warnings.map((w: any) => w.code)).toEqual(['no_repositories_in_region']);
    expect(res.body.connection.region).toBe('eu-west-1');
  });

  it("the managed-policy alternative: AWSCodeCommitReadOnly alone lacks exactly the IAM reads the kit's note names", async () => {
    const alone = await connectionWithRole('EvidenceManagedOnly', () => ({
      managed: [MANAGED_CODECOMMIT_POLICY],
    }));
    const res = await connect(alone.id, { roleArn: alone.roleArn, region: REPO_REGION });
    expect(res.status).toBe(200);
    const lacking = res.body.connection.warnings.map((w: any) => w.details.action).sort();
    const named = alone.setupKit.managedPolicyAlternative.iamStatement.Action.filter(
      (a: string) => a !== 'iam:ListUsers' && a !== 'iam:GetAccountAuthorizationDetails',
    );
    expect(lacking).toEqual([...named].sort());
    for (const a of lacking) expect(alone.setupKit.managedPolicyAlternative.note).toContain(a);

    const both = await connectionWithRole('EvidenceManagedBoth', () => ({
      managed: [MANAGED_CODECOMMIT_POLICY, MANAGED_IAM_POLICY],
    }));
    const ok = await connect(both.id, { roleArn: both.roleArn, region: REPO_REGION });
    expect(ok.status).toBe(200);
    expect(ok.body.connection.warnings).toEqual([]);
  });

  it('one connect at a time per connection: a concurrent call gets connect_in_progress', async () => {
    const { id, roleArn } = await connectionWithRole('EvidenceConcurrent');
    h.current.fake.setOptions({ latencyMs: 30 });
    try {
      const [first, second] = await Promise.all([
        connect(id, { roleArn, region: REPO_REGION }),
        connect(id, { roleArn, region: REPO_REGION }),
      ]);
      expect([first.status, second.status].sort()).toEqual([200, 409]);
      const refused = first.status === 409 ? first : second;
      expect(refused.body.error.code).toBe('connect_in_progress');
    } finally {
      h.current.fake.setOptions({ latencyMs: 0 });
    }
    // The lock is released: a later connect goes through.
    expect((await connect(id, { roleArn, region: REPO_REGION })).status).toBe(200);
  });

  it('a failed reconnect leaves an active connection as it was, and records why', async () => {
    const { id, roleArn } = await connectionWithRole('EvidenceReconnect');
    expect((await connect(id, { roleArn, region: REPO_REGION })).status).toBe(200);
    const bad = await connect(id, {
      roleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT_ID}:role/Gone`,
      region: REPO_REGION,
    });
    expect(bad.body.error.code).toBe('role_not_found_or_not_trusted');
    const shown = await api(h.current.app, 'GET', `/v1/connections/${id}`, { token: apiKey });
    expect(shown.body.connection).toMatchObject({ status: 'active', roleArn, region: REPO_REGION });
    expect(shown.body.connection.lastConnectError.code).toBe('role_not_found_or_not_trusted');
    expect(await h.current.queues.checks.getJobScheduler(jobIds.scheduler(id))).toBeDefined();
  });

  it('an empty Region can be corrected; a connection holding evidence cannot be re-pointed elsewhere', async () => {
    const { id, roleArn } = await connectionWithRole('EvidenceRepoint');
    // Connected to the wrong (empty) Region first: nothing synced yet, so the Region can be changed.
    expect((await connect(id, { roleArn, region: 'eu-west-1' })).status).toBe(200);
    const moved = await connect(id, { roleArn, region: REPO_REGION });
    expect(moved.status).toBe(200);
    // Once repository evidence exists, another Region would mix two histories.
    await writeEvidence(
      h.current.deps.db,
      'repositories',
      { connectionId: id, runId: moved.body.syncRunId },
      [
        {
          repository_id: 'repo-1',
          repository_name: 'web-app',
          arn: `arn:aws:codecommit:${REPO_REGION}:${CUSTOMER_ACCOUNT_ID}:web-app`,
          account_id: CUSTOMER_ACCOUNT_ID,
          description: null,
          default_branch: 'main',
          clone_url_http: null,
          clone_url_ssh: null,
          creation_date: null,
          last_modified_date: null,
        },
      ],
    );
    const refused = await connect(id, { roleArn, region: 'eu-west-1' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('connection_target_changed');
    expect(refused.body.error.details).toEqual({
      current: { accountId: CUSTOMER_ACCOUNT_ID, region: REPO_REGION },
      requested: { accountId: CUSTOMER_ACCOUNT_ID, region: 'eu-west-1' },
    });
    const shown = await api(h.current.app, 'GET', `/v1/connections/${id}`, { token: apiKey });
    expect(shown.body.connection).toMatchObject({ status: 'active', region: REPO_REGION });
    // The same target again is a plain reconnect.
    expect((await connect(id, { roleArn, region: REPO_REGION })).status).toBe(200);
  });

  it('a deleted connection cannot be connected: it is read-only', async () => {
    const { id, roleArn } = await connectionWithRole('EvidenceDeleted');
    expect((await api(h.current.app, 'DELETE', `/v1/connections/${id}`, { token: apiKey })).status).toBe(204);
    const res = await connect(id, { roleArn, region: REPO_REGION });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('connection_deleted');
  });

  it('AWS failing (5xx after the SDK retries) answers 503 aws_unavailable and changes nothing', async () => {
    const { id, roleArn } = await connectionWithRole('EvidenceAwsDown');
    h.current.fake.setOptions({ faultRate: 1 });
    try {
      const res = await connect(id, { roleArn, region: REPO_REGION });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('aws_unavailable');
    } finally {
      h.current.fake.setOptions({ faultRate: 0 });
    }
    const shown = await api(h.current.app, 'GET', `/v1/connections/${id}`, { token: apiKey });
    expect(shown.body.connection).toMatchObject({ status: 'pending', roleArn: null });
  });

  it("AWS refusing the platform's own credentials is platform_credentials_invalid (503), not the customer's fault", async () => {
    const { id, roleArn } = await connectionWithRole('EvidenceBadPlatform');
    const app = await buildServer({
      ...h.current.deps,
      aws: {
        ...h.current.deps.aws,
        platformCredentials: { accessKeyId: 'AKIAUNKNOWNPLATFORM1', secretAccessKey: 'x' },
      },
    });
    try {
      const res = await api(app, 'POST', `/v1/connections/${id}/connect`, {
        token: apiKey,
        body: { roleArn, region: REPO_REGION },
      });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('platform_credentials_invalid');
    } finally {
      await app.close();
    }
  });
});
