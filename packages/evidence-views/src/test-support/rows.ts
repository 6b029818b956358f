/**
 * Evidence rows as the sync workers write them, with defaults, for tests that fill an evidence store
 * by hand (`writeEvidence`). Not part of the package's API (excluded from the build).
 */
import type { EvidenceInput } from '@codecommit-evidence/evidence-store';

const DAY = 24 * 60 * 60 * 1000;
/**
 * The fixtures' "now": the clock at the test file's start. Dates the checks compare with the judged
 * instant (a run's finish, moments later) are relative to it, so the fixtures mean the same on any
 * date; one instant per file, so a row written twice is the same row.
 */
const FIXTURE_NOW = Date.now();
export const daysAgo = (days: number) => new Date(FIXTURE_NOW - days * DAY);

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;
export const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
export const groupArn = (name: string) => `arn:aws:iam::${ACCOUNT}:group/${name}`;
export const policyArn = (name: string) => `arn:aws:iam::${ACCOUNT}:policy/${name}`;
export const repoArn = (name: string) => `arn:aws:codecommit:${REGION}:${ACCOUNT}:${name}`;

export const ALLOW_ALL_CODECOMMIT = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'AllCodeCommit', Effect: 'Allow', Action: 'codecommit:*', Resource: '*' }],
};

export function repositoryRow(
  name: string,
  over: Partial<EvidenceInput<'repositories'>> = {},
): EvidenceInput<'repositories'> {
  return {
    repository_id: `id-${name}`,
    repository_name: name,
    arn: repoArn(name),
    account_id: ACCOUNT,
    description: null,
    default_branch: 'main',
    clone_url_http: `https://git-codecommit.${REGION}.amazonaws.com/v1/repos/${name}`,
    clone_url_ssh: `ssh://git-codecommit.${REGION}.amazonaws.com/v1/repos/${name}`,
    creation_date: new Date('2026-01-01T00:00:00.000Z'),
    last_modified_date: new Date('2026-01-02T00:00:00.000Z'),
    ...over,
  };
}

export function branchRow(repository: string, branch: string, commit = 'c0ffee'): EvidenceInput<'branches'> {
  return { repository_id: `id-${repository}`, branch_name: branch, commit_id: commit };
}

export function templateRow(
  name: string,
  over: Partial<EvidenceInput<'approval_rule_templates'>> = {},
): EvidenceInput<'approval_rule_templates'> {
  const refs = over.destination_references ?? ['refs/heads/main'];
  const required = over.required_approvals ?? 1;
  return {
    template_id: `tpl-${name}`,
    template_name: name,
    description: null,
    content: {
      Version: '2018-11-08',
      ...(refs.length > 0 ? { DestinationReferences: refs } : {}),
      Statements: [{ Type: 'Approvers', NumberOfApprovalsNeeded: required }],
    },
    destination_references: refs,
    required_approvals: required,
    approval_pool_members: [],
    rule_content_sha256: null,
    creation_date: new Date('2026-01-01T00:00:00.000Z'),
    last_modified_date: new Date('2026-01-01T00:00:00.000Z'),
    ...over,
  };
}

export function associationRow(
  repository: string,
  template: string,
): EvidenceInput<'repository_template_associations'> {
  return { repository_id: `id-${repository}`, template_name: template };
}

export function pullRequestRow(
  id: string,
  repository: string,
  over: Partial<EvidenceInput<'pull_requests'>> = {},
): EvidenceInput<'pull_requests'> {
  return {
    pull_request_id: id,
    repository_name: repository,
    title: `PR ${id}`,
    author_arn: userArn('alice'),
    status: 'CLOSED',
    is_merged: true,
    merged_by: userArn('alice'),
    merged_at: daysAgo(11),
    source_reference: 'refs/heads/feature',
    destination_reference: 'refs/heads/main',
    source_commit: 'aaa',
    destination_commit: 'bbb',
    merge_base: 'ccc',
    revision_id: `rev-${id}-1`,
    creation_date: daysAgo(12),
    last_activity_date: daysAgo(11),
    approval_rules: [],
    evaluation: null,
    override_state: { overridden: false, overrider: null },
    ...over,
  };
}

export function approvalRow(
  pullRequestId: string,
  revisionId: string,
  user: string,
  state: 'APPROVE' | 'REVOKE' = 'APPROVE',
): EvidenceInput<'pull_request_approvals'> {
  return { pull_request_id: pullRequestId, revision_id: revisionId, user_arn: user, approval_state: state };
}

export function userRow(
  name: string,
  over: Partial<EvidenceInput<'iam_users'>> = {},
): EvidenceInput<'iam_users'> {
  return {
    arn: userArn(name),
    user_name: name,
    user_id: `AIDA${name.toUpperCase()}`,
    path: '/',
    create_date: new Date('2026-01-01T00:00:00.000Z'),
    permissions_boundary_arn: null,
    tags: {},
    group_names: [],
    attached_policy_arns: [],
    inline_policies: [],
    ssh_public_keys: [],
    service_specific_credentials: [],
    ...over,
  };
}

export function groupRow(
  name: string,
  over: Partial<EvidenceInput<'iam_groups'>> = {},
): EvidenceInput<'iam_groups'> {
  return {
    arn: groupArn(name),
    group_name: name,
    group_id: `AGPA${name.toUpperCase()}`,
    path: '/',
    attached_policy_arns: [],
    inline_policies: [],
    ...over,
  };
}

export function roleRow(
  name: string,
  over: Partial<EvidenceInput<'iam_roles'>> = {},
): EvidenceInput<'iam_roles'> {
  return {
    arn: roleArn(name),
    role_name: name,
    role_id: `AROA${name.toUpperCase()}`,
    path: '/',
    create_date: new Date('2026-01-01T00:00:00.000Z'),
    assume_role_policy: null,
    permissions_boundary_arn: null,
    tags: {},
    attached_policy_arns: [],
    inline_policies: [],
    ...over,
  };
}

export function managedPolicyRow(
  arn: string,
  document: unknown,
  over: Partial<EvidenceInput<'iam_managed_policies'>> = {},
): EvidenceInput<'iam_managed_policies'> {
  return {
    arn,
    policy_name: arn.split('/').pop() ?? arn,
    policy_id: null,
    path: '/',
    default_version_id: 'v1',
    document,
    is_aws_managed: arn.includes(':aws:policy/'),
    ...over,
  };
}

export function credentialReportRow(
  name: string,
  over: Partial<EvidenceInput<'iam_credential_report_rows'>> = {},
): EvidenceInput<'iam_credential_report_rows'> {
  const isRoot = name === '<root_account>';
  const row: EvidenceInput<'iam_credential_report_rows'> = {
    arn: isRoot ? `arn:aws:iam::${ACCOUNT}:root` : userArn(name),
    user_name: name,
    is_root: isRoot,
    user_creation_time: new Date('2026-01-01T00:00:00.000Z'),
    password_enabled: false,
    password_last_used: null,
    password_last_used_state: 'N/A',
    password_last_changed: null,
    mfa_active: false,
    access_key_1_active: false,
    access_key_1_last_used: null,
    access_key_1_last_rotated: null,
    access_key_2_active: false,
    access_key_2_last_used: null,
    access_key_2_last_rotated: null,
    raw: {},
    ...over,
  };
  row.raw = {
    user: name,
    arn: row.arn,
    password_enabled: String(row.password_enabled),
    mfa_active: String(row.mfa_active),
    access_key_1_active: String(row.access_key_1_active),
    access_key_2_active: String(row.access_key_2_active),
    ...(over.raw ?? {}),
  };
  return row;
}
