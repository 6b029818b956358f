/**
 * Test fixture: a small IAM account in fake-aws with four roles the platform may assume (full read,
 * no GetAccountAuthorizationDetails, no SSH/Git/credential-report permissions) and connections to it
 * in a test database. Not built into dist.
 */

import {
  activateConnection,
  createConnection,
  createOrGetActiveSyncRun,
  createTenant,
  type Database,
  finishSyncRun,
} from '@codecommit-evidence/evidence-store';
import {
  type FakeAws,
  generateScenario,
  type PolicyDocument,
  type Scenario,
  type ScenarioRole,
  startFakeAws,
} from '@codecommit-evidence/fake-aws';
import {
  createSyncWorkerDeps,
  inMemoryJobHandle,
  runSyncJob,
  type SyncJobHandle,
  type SyncWorkerDeps,
} from '@codecommit-evidence/sync-support';
import { DelayedError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import {
  type IamSyncSettings,
  type SyncIamDeps,
  type SyncIamResult,
  syncIamJob,
} from '../src/processors/sync-iam.js';

export const ACCOUNT = '111122223333';
export const ROLES = {
  full: 'CodeCommitEvidence',
  noAuthorizationDetails: 'EvidenceNoAuthorizationDetails',
  limited: 'EvidenceLimited',
  /** Neither GetAccountAuthorizationDetails nor ListGroupsForUser: the fallback cannot list users fully. */
  noGroupListing: 'EvidenceNoGroupListing',
  noIam: 'EvidenceNoIam',
} as const;
export const DEV_POLICY_ARN = `arn:aws:iam::${ACCOUNT}:policy/DevPush`;
export const UNUSED_POLICY_ARN = `arn:aws:iam::${ACCOUNT}:policy/Unused`;

const deny = (actions: string[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Action: actions, Resource: '*' }],
});

const doc = (actions: string[], resource = '*'): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: actions, Resource: resource }],
});

/** The generated account plus what the paths must agree on: inline and customer managed policies. */
export function iamScenario(users = 12): Scenario {
  const s = generateScenario({
    repos: 0,
    prsPerRepo: 0,
    users,
    seed: 7,
    productRole: { roleName: ROLES.full, externalId: 'unused' },
  });
  const a = s.account;
  const product = a.roles.find((r) => r.roleName === ROLES.full)!;
  // Each connection has its own generated External ID (unique in the database); these test roles
  // trust any of ours, still refusing an AssumeRole without one.
  const trust = product.trustPolicy.Statement;
  for (const st of Array.isArray(trust) ? trust : [trust])
    st.Condition = { StringLike: { 'sts:ExternalId': 'cce-*' } };
  const platformRole = (roleName: string, denied: string[]): ScenarioRole => ({
    ...structuredClone(product),
    roleName,
    roleId: `AROA${roleName
      .toUpperCase()
      .replace(/[^A-Z]/g, '')
      .padEnd(17, 'X')
      .slice(0, 17)}`,
    inlinePolicies: [{ name: 'deny', document: deny(denied) }],
  });
  a.roles.push(
    platformRole(ROLES.noAuthorizationDetails, ['iam:GetAccountAuthorizationDetails']),
    platformRole(ROLES.limited, [
      'iam:ListSSHPublicKeys',
      'iam:ListServiceSpecificCredentials',
      'iam:GetCredentialReport',
      'iam:GenerateCredentialReport',
    ]),
    platformRole(ROLES.noGroupListing, ['iam:GetAccountAuthorizationDetails', 'iam:ListGroupsForUser']),
    platformRole(ROLES.noIam, ['iam:*']),
  );
  a.policies.push(
    {
      arn: DEV_POLICY_ARN,
      policyName: 'DevPush',
      policyId: 'ANPADEVPUSHPOLICY0001',
      path: '/',
      createDate: '2025-01-01T00:00:00Z',
      updateDate: '2025-06-01T00:00:00Z',
      defaultVersionId: 'v2',
      versions: [
        { versionId: 'v1', createDate: '2025-01-01T00:00:00Z', document: doc(['codecommit:GitPull']) },
        {
          versionId: 'v2',
          createDate: '2025-06-01T00:00:00Z',
          document: doc(
            ['codecommit:GitPull', 'codecommit:GitPush'],
            `arn:aws:codecommit:us-east-1:${ACCOUNT}:*`,
          ),
        },
      ],
    },
    {
      arn: UNUSED_POLICY_ARN,
      policyName: 'Unused',
      policyId: 'ANPAUNUSEDPOLICY00001',
      path: '/',
      createDate: '2025-01-01T00:00:00Z',
      updateDate: '2025-01-01T00:00:00Z',
      defaultVersionId: 'v1',
      versions: [{ versionId: 'v1', createDate: '2025-01-01T00:00:00Z', document: doc(['s3:GetObject']) }],
    },
  );
  const u1 = a.users[0]!;
  u1.attachedPolicies = [DEV_POLICY_ARN, 'arn:aws:iam::aws:policy/AWSCodeCommitReadOnly'];
  u1.inlinePolicies = [
    { name: 'z-last', document: doc(['codecommit:GetBranch']) },
    { name: 'a-first', document: doc(['codecommit:ListRepositories']) },
  ];
  u1.tags = [
    { Key: 'team', Value: 'platform' },
    { Key: 'email', Value: 'Alice@Example.com' },
  ];
  u1.groups = ['Developers', 'ReadOnly'];
  // Special values of the credential report: a password never used, and no password at all.
  u1.password = { enabled: true, lastUsed: null, lastChanged: '2026-01-01T00:00:00Z' };
  u1.mfaActive = false;
  a.users[1]!.password = null;
  a.users[1]!.mfaActive = false;
  a.users[1]!.accessKeys = [];
  a.groups.find((g) => g.groupName === 'Developers')!.inlinePolicies = [
    { name: 'dev-extra', document: doc(['codecommit:CreatePullRequest']) },
  ];
  a.groups.find((g) => g.groupName === 'ReadOnly')!.attachedPolicies.push(DEV_POLICY_ARN);
  const developer = a.roles.find((r) => r.roleName === 'Developer')!;
  developer.inlinePolicies = [{ name: 'merge', document: doc(['codecommit:MergePullRequestBySquash']) }];
  // What ListUsers and ListRoles leave out (issue 12, defect 2): the fallback must read them too.
  developer.permissionsBoundary = 'arn:aws:iam::aws:policy/AWSCodeCommitReadOnly';
  developer.tags = [{ Key: 'owner', Value: 'platform' }];
  a.users[1]!.permissionsBoundary = DEV_POLICY_ARN;
  return s;
}

export const silentLogger = pino({ level: 'silent' });

export function testSettings(overrides: Partial<IamSyncSettings['credentialReport']> = {}): IamSyncSettings {
  return {
    callConcurrency: 4,
    // Small pages, so that both paths really page.
    pageSize: 5,
    credentialReport: { pollIntervalMs: 100, maxWaitMs: 20_000, maxPolls: 50, ...overrides },
  };
}

export async function startIamFake(
  options: { scenario?: Scenario; credentialReportDelayMs?: number; clock?: () => number } = {},
): Promise<FakeAws> {
  return startFakeAws({
    scenario: options.scenario ?? iamScenario(),
    credentialReportDelayMs: options.credentialReportDelayMs ?? 250,
    ...(options.clock ? { clock: options.clock } : {}),
  });
}

export function testSyncDeps(
  db: Kysely<Database>,
  redis: Redis,
  prefix: string,
  fake: FakeAws,
): SyncWorkerDeps {
  return createSyncWorkerDeps({
    db,
    redis,
    logger: silentLogger,
    keyPrefix: prefix,
    limits: { codecommitRps: 1000, iamRps: 1000, accountConcurrency: 8, maxAttempts: 3, maxWaitMs: 10_000 },
    endpoint: fake.url,
    platformCredentials: fake.platformCredentials,
  });
}

/** An active connection to the fake account through one of the fixture's roles, and a queued run. */
export async function connectionWithRun(
  db: Kysely<Database>,
  roleName: string,
): Promise<{ connectionId: string; runId: number }> {
  const { tenant } = await createTenant(db, `tenant ${roleName} ${Math.random()}`);
  const c = await createConnection(db, { tenantId: tenant.id, name: roleName });
  await activateConnection(db, c.id, {
    roleArn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
    accountId: ACCOUNT,
    region: 'us-east-1',
    permissions: {},
    warnings: [],
  });
  const { run } = await createOrGetActiveSyncRun(db, c.id, 'api');
  return { connectionId: c.id, runId: run.id };
}

/** Closes the connection's run and opens the next one. */
export async function nextRun(db: Kysely<Database>, connectionId: string, runId: number): Promise<number> {
  await finishSyncRun(db, runId, 'succeeded');
  const { run } = await createOrGetActiveSyncRun(db, connectionId, 'api');
  return run.id;
}

/**
 * Runs the handler as the queue would, without one: each DelayedError is a re-schedule, honoured by
 * waiting the asked delay and running it again with the saved progress.
 */
export async function runToCompletion(
  payload: { connectionId: string; runId: number },
  deps: SyncIamDeps,
  control: SyncJobHandle & { delays: number[] } = inMemoryJobHandle(),
): Promise<{ result: SyncIamResult; delays: number[] }> {
  for (;;) {
    try {
      const result = await runSyncJob(syncIamJob, deps, payload, control);
      return { result, delays: control.delays };
    } catch (err) {
      if (!(err instanceof DelayedError)) throw err;
      await new Promise((r) => setTimeout(r, control.delays.at(-1) ?? 0));
    }
  }
}

/** A row without its version bookkeeping, to compare content across connections. */
export function content<T extends Record<string, unknown>>(
  row: T,
): Omit<T, 'id' | 'connection_id' | 'valid_from_run' | 'valid_to_run'> {
  const { id: _i, connection_id: _c, valid_from_run: _f, valid_to_run: _t, ...rest } = row;
  return rest;
}
