import { evaluateAllChecks } from '@codecommit-evidence/domain';
import type { EvidenceInput, EvidenceRow, EvidenceTable } from '@codecommit-evidence/evidence-store';
import { describe, expect, it } from 'vitest';
import { buildAccessReview } from './access-review.js';
import { type AssembleContext, assembleCheckEvidence, type RunEvidenceRows } from './check-evidence.js';
import { type ProblemInput, SYNC_JOB_FAILED } from './completeness.js';
import { linkUserToPerson } from './people.js';
import {
  ACCOUNT,
  ALLOW_ALL_CODECOMMIT,
  approvalRow,
  associationRow,
  credentialReportRow,
  groupRow,
  managedPolicyRow,
  policyArn,
  pullRequestRow,
  REGION,
  repositoryRow,
  roleRow,
  templateRow,
  userArn,
  userRow,
} from './test-support/rows.js';

let nextId = 1;
function stored<T extends EvidenceTable>(rows: EvidenceInput<T>[]): EvidenceRow<T>[] {
  return rows.map(
    (r) =>
      ({
        ...r,
        id: nextId++,
        connection_id: 'c',
        valid_from_run: 1,
        valid_to_run: null,
        content_hash: '',
      }) as unknown as EvidenceRow<T>,
  );
}

const DEV = policyArn('dev');
const NOW = new Date('2026-11-26T12:00:00.000Z');
const context: AssembleContext = {
  syncRunId: 9,
  accountId: ACCOUNT,
  region: REGION,
  evaluatedAt: NOW,
  auditWindowDays: 30,
};

function rows(problems: ProblemInput[] = []): RunEvidenceRows {
  return {
    repositories: stored<'repositories'>([repositoryRow('infra'), repositoryRow('app')]),
    templates: stored<'approval_rule_templates'>([templateRow('require-one')]),
    associations: stored<'repository_template_associations'>([associationRow('app', 'require-one')]),
    pullRequests: stored<'pull_requests'>([
      pullRequestRow('10', 'app', { merged_at: new Date('2026-11-20T00:00:00.000Z') }),
      pullRequestRow('9', 'app', { merged_at: new Date('2026-11-19T00:00:00.000Z') }),
    ]),
    approvals: stored<'pull_request_approvals'>([
      approvalRow('10', 'rev-10-1', userArn('carol')),
      approvalRow('9', 'rev-9-1', userArn('carol')),
    ]),
    users: stored<'iam_users'>([
      userRow('carol', { group_names: ['Developers'] }),
      userRow('alice', { group_names: ['Developers'], tags: { email: 'alice@example.com' } }),
      userRow('bob'),
    ]),
    groups: stored<'iam_groups'>([groupRow('Developers', { attached_policy_arns: [DEV] })]),
    roles: stored<'iam_roles'>([roleRow('Admin', { attached_policy_arns: [DEV] })]),
    managedPolicies: stored<'iam_managed_policies'>([managedPolicyRow(DEV, ALLOW_ALL_CODECOMMIT)]),
    credentialReport: stored<'iam_credential_report_rows'>([
      credentialReportRow('<root_account>', { mfa_active: false }),
      credentialReportRow('alice', { password_enabled: true, mfa_active: true }),
      credentialReportRow('carol', {
        access_key_2_active: true,
        access_key_2_last_used: new Date('2026-11-25T00:00:00.000Z'),
      }),
    ]),
    problems,
    people: [{ email: 'alice@example.com', name: null, status: 'offboarded', offboarded_at: '2026-11-26' }],
    identityLinks: [{ iam_user_arn: userArn('carol'), person_email: 'carol@example.com' }],
  };
}

const problem = (p: Partial<ProblemInput>): ProblemInput => ({
  step: '',
  kind: 'error',
  code: 'x',
  action: '',
  resource: '',
  message: 'failed',
  ...p,
});

describe('assembleCheckEvidence', () => {
  it('builds the run, principals with their access, the root, the roster and repositories in a stable order', () => {
    const { evidence, notes } = assembleCheckEvidence(rows(), context);
    expect(notes).toEqual([]);
    expect(evidence.run).toEqual({
      syncRunId: '9',
      accountId: ACCOUNT,
      region: REGION,
      evaluatedAt: NOW,
      auditWindowDays: 30,
      completeness: { missingPermissions: [], failedSteps: [] },
    });
    expect(evidence.users.map((u) => [u.userName, u.access.hasAccess, u.access.level])).toEqual([
      ['alice', true, 'admin'],
      ['bob', false, 'none'],
      ['carol', true, 'admin'],
    ]);
    expect(evidence.roles.map((r) => [r.roleName, r.access.hasAccess])).toEqual([['Admin', true]]);
    expect(evidence.root).toMatchObject({ mfaActive: false });
    expect(evidence.people).toEqual([
      {
        email: 'alice@example.com',
        name: '',
        status: 'offboarded',
        offboardedAt: new Date('2026-11-26T00:00:00.000Z'),
      },
    ]);
    expect(
      evidence.repositories.map((r) => [
        r.name,
        r.approvalRuleTemplates?.map((t) => t.name),
        r.pullRequests?.map((p) => p.id),
      ]),
    ).toEqual([
      ['app', ['require-one'], ['9', '10']],
      ['infra', [], []],
    ]);
    // A user absent from the credential report: unknown credentials, not "none".
    expect(evidence.users.find((u) => u.userName === 'bob')?.credentials.passwordEnabled).toBeNull();
  });

  it('says "not collected" for each repository whose step has a gap, and only for it', () => {
    const { evidence, completeness } = assembleCheckEvidence(
      rows([
        problem({
          step: 'codecommit:pull-requests:app',
          kind: 'missing_permission',
          action: 'codecommit:GetPullRequest',
        }),
        problem({ step: 'codecommit:approval-rule-templates', message: 'Rate exceeded' }),
      ]),
      context,
    );
    const app = evidence.repositories.find((r) => r.name === 'app');
    const infra = evidence.repositories.find((r) => r.name === 'infra');
    expect(app?.pullRequests).toBeNull();
    expect(infra?.pullRequests).toEqual([]);
    expect(app?.approvalRuleTemplates).toBeNull();
    expect(infra?.approvalRuleTemplates).toBeNull();
    expect(completeness.missingPermissions).toEqual([
      { action: 'codecommit:GetPullRequest', step: 'codecommit:pull-requests:app' },
    ]);
  });

  it('hands approvals of every revision to the peer-review check; a gap on the approval history is not one on the pull requests', () => {
    const base = rows([
      problem({
        step: 'codecommit:pull-request-history:app',
        kind: 'missing_permission',
        action: 'codecommit:DescribePullRequestEvents',
      }),
    ]);
    const { evidence } = assembleCheckEvidence(
      {
        ...base,
        pullRequests: [
          ...base.pullRequests,
          ...stored<'pull_requests'>([
            pullRequestRow('11', 'app', {
              merged_at: new Date('2026-11-21T00:00:00.000Z'),
              revision_id: 'rev-11-2',
            }),
          ]),
        ],
        // Repo-sync stores an earlier revision's approvals (from DescribePullRequestEvents) next to the final one's.
        approvals: [
          ...base.approvals,
          ...stored<'pull_request_approvals'>([approvalRow('11', 'rev-11-1', userArn('carol'))]),
        ],
      },
      context,
    );
    const app = evidence.repositories.find((r) => r.name === 'app');
    expect(app?.pullRequests?.find((p) => p.id === '11')?.approvals).toEqual([
      { revisionId: 'rev-11-1', userArn: userArn('carol'), state: 'APPROVE' },
    ]);
    const review = evaluateAllChecks(evidence).find((r) => r.checkId === 'codecommit-peer-review');
    const finding = review?.findings.find((f) => f.resourceName === 'app');
    expect(finding?.status).toBe('fail');
    expect(finding?.reason).toContain(
      'pull request 11 (approved only on an earlier revision (rev-11-1), not on its final revision rev-11-2)',
    );
  });

  it('judges the last known IAM users when this run could not read them (the checks make them unknown), roles stay uncollected', () => {
    for (const p of [
      problem({ step: 'iam:authorization-details', code: SYNC_JOB_FAILED }),
      problem({
        step: 'iam:authorization-details',
        kind: 'missing_permission',
        action: 'iam:GetAccountAuthorizationDetails',
      }),
      // The per-user fallback could not list the users either.
      problem({ step: 'iam:users', kind: 'missing_permission', action: 'iam:ListUsers' }),
    ]) {
      const { evidence, notes } = assembleCheckEvidence(rows([p]), context);
      // Missing data never makes a principal vanish: the users still current at this run are judged,
      // and the domain's missing-data rule keeps every one of their findings from passing.
      expect(evidence.users).toHaveLength(3);
      expect(evidence.roles).toEqual([]);
      expect(notes.map((n) => n.code)).toEqual(['iam_not_collected']);
    }
    const rolesOnly = assembleCheckEvidence(
      rows([problem({ step: 'iam:roles', kind: 'missing_permission', action: 'iam:ListRoles' })]),
      context,
    );
    expect(rolesOnly.evidence.users).toHaveLength(3);
    expect(rolesOnly.evidence.roles).toEqual([]);
  });

  it('keeps the last known repositories when the repository inventory failed, for the access analysis', () => {
    const { evidence } = assembleCheckEvidence(
      rows([problem({ step: 'codecommit:repositories', code: SYNC_JOB_FAILED })]),
      context,
    );
    expect(evidence.repositories.map((r) => [r.name, r.pullRequests, r.approvalRuleTemplates])).toEqual([
      ['app', null, null],
      ['infra', null, null],
    ]);
    expect(evidence.users.find((u) => u.userName === 'alice')?.access.hasAccess).toBe(true);
  });
});

describe('effective access in the assembly', () => {
  const assumeAdmin = {
    name: 'assume-admin',
    document: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${ACCOUNT}:role/Admin` },
      ],
    },
  };
  const withTrust = (r: RunEvidenceRows, problems: ProblemInput[] = []): RunEvidenceRows => ({
    ...r,
    users: stored<'iam_users'>([userRow('dora', { inline_policies: [assumeAdmin] })]),
    roles: stored<'iam_roles'>([
      roleRow('Admin', {
        attached_policy_arns: [DEV],
        assume_role_policy: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' },
          ],
        },
      }),
    ]),
    problems,
  });

  it("follows each role's stored trust policy, and asks every CodeCommit Region of the partition", () => {
    const { evidence } = assembleCheckEvidence(withTrust(rows()), context);
    const dora = evidence.users[0]!.access;
    expect(dora).toMatchObject({ hasAccess: true, ownAccess: false });
    expect(dora.viaRoles?.map((p) => p.role.name)).toEqual(['Admin']);
    expect(dora.considered?.regions).toBeGreaterThan(20);
    const gov = assembleCheckEvidence(withTrust(rows()), { ...context, region: 'us-gov-west-1' }).evidence;
    expect(gov.users[0]!.access.considered?.regions).toBe(2);
  });

  it('without roles (a gap on iam:roles), a user that may assume one is unknown, not "no access"', () => {
    const { evidence } = assembleCheckEvidence(
      withTrust(rows(), [
        problem({ step: 'iam:roles', kind: 'missing_permission', action: 'iam:ListRoles' }),
      ]),
      context,
    );
    expect(evidence.users[0]!.access).toMatchObject({
      hasAccess: 'unknown',
      otherAccountRoles: [{ why: 'roles_not_collected' }],
    });
  });
});

describe('the access review', () => {
  it('names the person each user belongs to exactly as the offboarding check does', () => {
    const { evidence } = assembleCheckEvidence(rows(), context);
    const [offboarding] = evaluateAllChecks(evidence);
    for (const finding of offboarding?.findings ?? []) {
      const user = evidence.users.find((u) => u.arn === finding.resourceId);
      if (!user) continue;
      const link = linkUserToPerson(user, evidence);
      expect({ method: link.method, email: link.email }).toEqual({
        method: (finding.evidence.link as { method: string | null }).method,
        email: (finding.evidence.link as { email: string | null }).email,
      });
    }
    expect(offboarding?.findings.map((f) => [f.resourceName, f.status])).toEqual([
      ['alice', 'fail'],
      ['carol', 'unknown'],
    ]);
  });

  it('lists access level, person and link, MFA and last use per principal', () => {
    const { evidence } = assembleCheckEvidence(rows(), context);
    const review = buildAccessReview(evidence);
    expect(
      review.map((e) => [e.principalType, e.name, e.hasAccess, e.level, e.linkMethod, e.linkedEmail]),
    ).toEqual([
      ['iam_user', 'alice', 'yes', 'admin', 'email_tag', 'alice@example.com'],
      ['iam_user', 'bob', 'no', 'none', null, null],
      ['iam_user', 'carol', 'yes', 'admin', 'explicit', 'carol@example.com'],
      ['iam_role', 'Admin', 'yes', 'admin', null, null],
    ]);
    const alice = review[0]!;
    expect(alice).toMatchObject({
      person: { email: 'alice@example.com', status: 'offboarded', offboardedAt: '2026-11-26' },
      consolePassword: true,
      mfaActive: true,
      repositoryCount: 2,
      grantedBy: [`managed policy ${DEV} via group Developers`],
      usableCredentials: ['console password'],
    });
    const carol = review[2]!;
    expect(carol).toMatchObject({
      person: null,
      usableCredentials: ['active access key 2'],
      lastUsed: '2026-11-25T00:00:00.000Z',
      accessKeys: [
        { id: '1', active: false, lastUsed: null },
        { id: '2', active: true, lastUsed: '2026-11-25T00:00:00.000Z' },
      ],
    });
  });
});
