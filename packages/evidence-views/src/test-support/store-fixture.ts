/**
 * A small account written straight into a test's evidence store, run by run, as the sync workers
 * would: the shared fixture of the evaluator's and the API's integration tests.
 *
 * Run 1: repositories `app` (template `require-one` covering main) and `infra` (no template);
 *   users alice (email tag, group Developers, console password + MFA), bob (explicit link to an
 *   offboarded person, inline policy `bob-codecommit`, access key 1 active), carol (no link, group
 *   Developers, SSH key only); role Admin (codecommit:*); PR 1 in app by alice approved by carol on its
 *   final revision.
 * Run 2: bob's inline policy is gone (the "policy change").
 * Run 3 (optional): the credential report is denied (`iam:GetCredentialReport`).
 */
import {
  activateConnection,
  createConnection,
  createOrGetActiveSyncRun,
  createTenant,
  type Database,
  markSyncRunStarted,
  recordSyncProblem,
  upsertIdentityLinks,
  upsertPeople,
  writeEvidence,
} from '@codecommit-evidence/evidence-store';
import type { Kysely } from 'kysely';
import {
  ACCOUNT,
  ALLOW_ALL_CODECOMMIT,
  approvalRow,
  associationRow,
  branchRow,
  credentialReportRow,
  daysAgo,
  groupRow,
  managedPolicyRow,
  policyArn,
  pullRequestRow,
  REGION,
  repositoryRow,
  roleArn,
  roleRow,
  templateRow,
  userArn,
  userRow,
} from './rows.js';

export * from './rows.js';

export const DEVELOPERS_POLICY = policyArn('codecommit-developers');
export const ADMIN_POLICY = policyArn('codecommit-admin');

export interface FixtureConnection {
  tenantId: string;
  apiKey: string;
  connectionId: string;
}

/** A tenant with an active connection to account {@link ACCOUNT} in {@link REGION}. */
export async function createActiveConnection(
  db: Kysely<Database>,
  name = 'acme',
): Promise<FixtureConnection> {
  const { tenant, apiKey } = await createTenant(db, name);
  const connection = await createConnection(db, { tenantId: tenant.id, name: `${name} prod` });
  await activateConnection(db, connection.id, {
    roleArn: roleArn('cce-reader'),
    accountId: ACCOUNT,
    region: REGION,
    permissions: {},
    warnings: [],
  });
  return { tenantId: tenant.id, apiKey, connectionId: connection.id };
}

/** The roster: alice active, bob offboarded on 2026-01-01. bob is linked explicitly (his user name is not an email). */
export async function seedRoster(db: Kysely<Database>, tenantId: string): Promise<void> {
  await upsertPeople(db, tenantId, [
    { email: 'alice@example.com', name: 'Alice', status: 'active', offboardedAt: null },
    { email: 'bob@example.com', name: 'Bob', status: 'offboarded', offboardedAt: '2026-01-01' },
  ]);
  await upsertIdentityLinks(db, tenantId, [{ iamUserArn: userArn('bob'), personEmail: 'bob@example.com' }]);
}

/** Starts a sync run (queued -> running), as the first child job of a flow would. */
export async function startRun(db: Kysely<Database>, connectionId: string): Promise<number> {
  const { run, created } = await createOrGetActiveSyncRun(db, connectionId, 'api');
  if (!created) throw new Error(`a sync run (${run.id}) is already active`);
  await markSyncRunStarted(db, run.id);
  return run.id;
}

export interface RunOptions {
  /** Whether bob still has his inline CodeCommit policy (run 1: yes, run 2: no). */
  bobHasPolicy: boolean;
  /** Record the credential report as denied, and write no report rows (run 3). */
  credentialReportDenied?: boolean;
}

/** Writes everything one sync run sees. */
export async function writeRunEvidence(
  db: Kysely<Database>,
  target: { connectionId: string; runId: number },
  options: RunOptions,
): Promise<void> {
  await writeEvidence(db, 'repositories', target, [repositoryRow('app'), repositoryRow('infra')]);
  await writeEvidence(db, 'branches', target, [
    branchRow('app', 'main'),
    branchRow('app', 'feature'),
    branchRow('infra', 'main'),
  ]);
  await writeEvidence(db, 'approval_rule_templates', target, [
    templateRow('require-one', { destination_references: ['refs/heads/main'] }),
  ]);
  await writeEvidence(db, 'repository_template_associations', target, [associationRow('app', 'require-one')]);
  await writeEvidence(db, 'pull_requests', target, [
    pullRequestRow('1', 'app', {
      revision_id: 'rev-1-2',
      creation_date: daysAgo(7),
      merged_at: daysAgo(6),
      last_activity_date: daysAgo(6),
    }),
    pullRequestRow('2', 'app', { status: 'OPEN', is_merged: false, merged_at: null, merged_by: null }),
  ]);
  await writeEvidence(db, 'pull_request_approvals', target, [
    approvalRow('1', 'rev-1-1', userArn('bob')),
    approvalRow('1', 'rev-1-2', userArn('carol')),
  ]);

  await writeEvidence(db, 'iam_managed_policies', target, [
    managedPolicyRow(DEVELOPERS_POLICY, ALLOW_ALL_CODECOMMIT),
    managedPolicyRow(ADMIN_POLICY, ALLOW_ALL_CODECOMMIT),
  ]);
  await writeEvidence(db, 'iam_groups', target, [
    groupRow('Developers', { attached_policy_arns: [DEVELOPERS_POLICY] }),
  ]);
  await writeEvidence(db, 'iam_users', target, [
    userRow('alice', { tags: { Email: 'Alice@Example.com' }, group_names: ['Developers'] }),
    userRow('bob', {
      inline_policies: options.bobHasPolicy
        ? [
            {
              name: 'bob-codecommit',
              document: {
                Version: '2012-10-17',
                Statement: [
                  { Effect: 'Allow', Action: ['codecommit:GitPull', 'codecommit:GitPush'], Resource: '*' },
                ],
              },
            },
          ]
        : [],
    }),
    userRow('carol', {
      group_names: ['Developers'],
      ssh_public_keys: [{ id: 'APKACAROL', status: 'Active', uploadDate: '2026-02-01T00:00:00.000Z' }],
    }),
  ]);
  await writeEvidence(db, 'iam_roles', target, [roleRow('Admin', { attached_policy_arns: [ADMIN_POLICY] })]);

  if (options.credentialReportDenied) {
    await recordSyncProblem(db, target.runId, {
      step: 'iam:credential-report',
      kind: 'missing_permission',
      code: 'access_denied',
      action: 'iam:GetCredentialReport',
      message: 'User is not authorized to perform: iam:GetCredentialReport',
    });
    return;
  }
  await writeEvidence(db, 'iam_credential_report_rows', target, [
    credentialReportRow('<root_account>', { mfa_active: true }),
    credentialReportRow('alice', {
      password_enabled: true,
      mfa_active: true,
      // An hour before the run: after any offboarding date up to yesterday, on any date.
      password_last_used: daysAgo(1 / 24),
    }),
    credentialReportRow('bob', {
      access_key_1_active: true,
      access_key_1_last_used: new Date('2026-03-01T00:00:00.000Z'),
    }),
    credentialReportRow('carol'),
  ]);
}
