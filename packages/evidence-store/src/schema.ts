import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** JSON stored in a jsonb column: written as a string (see `json()`), read back parsed. */
export type Json<T> = ColumnType<T, string, string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** Written once, with the application's clock (no database default: see the application-clock migration). */
type Created = ColumnType<Date, Date | string, never>;

export interface TenantsTable {
  id: Generated<string>;
  name: string;
  created_at: Created;
}

export interface ApiKeysTable {
  id: Generated<string>;
  tenant_id: string;
  key_hash: string;
  key_prefix: string;
  created_at: Created;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  /** Set when the key is rotated: valid until then (the grace period), refused after. */
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export type ConnectionStatus = 'pending' | 'active' | 'error' | 'deleted';

export interface ConnectionsTable {
  id: Generated<string>;
  tenant_id: string;
  name: string;
  external_id: string;
  role_arn: string | null;
  aws_account_id: string | null;
  region: string | null;
  status: ColumnType<ConnectionStatus, ConnectionStatus | undefined, ConnectionStatus>;
  sync_interval_minutes: ColumnType<number, number | undefined, number>;
  audit_window_days: ColumnType<number, number | undefined, number>;
  permissions: Json<unknown> | null;
  warnings: ColumnType<unknown[], string | undefined, string>;
  last_error: Json<unknown> | null;
  connected_at: Timestamp | null;
  created_at: Created;
  updated_at: Timestamp;
  deleted_at: Timestamp | null;
}

export type SyncTrigger = 'connect' | 'schedule' | 'api';
export type SyncRunStatus = 'queued' | 'running' | 'succeeded' | 'partial' | 'failed';

/** Per-step progress of a run, keyed by step name (`iam:users`, `codecommit:repo:<name>`, …). */
export interface SyncStepState {
  status: 'running' | 'succeeded' | 'failed' | 'skipped';
  startedAt?: string;
  finishedAt?: string;
  detail?: string;
}

export interface SyncRunsTable {
  id: Generated<number>;
  connection_id: string;
  trigger: SyncTrigger;
  status: ColumnType<SyncRunStatus, SyncRunStatus | undefined, SyncRunStatus>;
  steps: ColumnType<Record<string, SyncStepState>, string | undefined, string>;
  error: Json<unknown> | null;
  created_at: Created;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  /** The connection's account, Region and audit window when the run was created. */
  aws_account_id: ColumnType<string | null, never, never>;
  region: ColumnType<string | null, never, never>;
  audit_window_days: ColumnType<number | null, never, never>;
}

export interface SyncRunAwsCallsTable {
  sync_run_id: number;
  operation: string;
  calls: number;
  throttled: number;
}

export type SyncProblemKind = 'missing_permission' | 'error' | 'warning';

export interface SyncRunProblemsTable {
  id: Generated<number>;
  sync_run_id: number;
  step: string;
  kind: SyncProblemKind;
  code: string;
  action: ColumnType<string, string | undefined, string>;
  resource: ColumnType<string, string | undefined, string>;
  message: string;
  created_at: Created;
}

/** Columns every temporal evidence table has. */
export interface VersionColumns {
  id: Generated<number>;
  connection_id: string;
  valid_from_run: number;
  valid_to_run: number | null;
  content_hash: string;
}

export interface RepositoriesTable extends VersionColumns {
  repository_id: string;
  repository_name: string;
  arn: string;
  account_id: string | null;
  description: string | null;
  default_branch: string | null;
  clone_url_http: string | null;
  clone_url_ssh: string | null;
  creation_date: Timestamp | null;
  last_modified_date: Timestamp | null;
}

export interface BranchesTable extends VersionColumns {
  repository_id: string;
  branch_name: string;
  commit_id: string | null;
}

export interface ApprovalRuleTemplatesTable extends VersionColumns {
  template_id: string;
  template_name: string;
  description: string | null;
  /** The template's rule content as AWS returns it (parsed). */
  content: Json<unknown>;
  /** Empty means every branch. */
  destination_references: Json<string[]>;
  required_approvals: number;
  approval_pool_members: Json<string[]>;
  rule_content_sha256: string | null;
  creation_date: Timestamp | null;
  last_modified_date: Timestamp | null;
}

export interface RepositoryTemplateAssociationsTable extends VersionColumns {
  repository_id: string;
  template_name: string;
}

export interface PullRequestEvaluation {
  approved: boolean;
  overridden: boolean;
  approvalRulesSatisfied: string[];
  approvalRulesNotSatisfied: string[];
}

export interface PullRequestOverrideState {
  overridden: boolean;
  overrider: string | null;
}

export interface PullRequestApprovalRule {
  name: string;
  content: unknown;
  originTemplate: string | null;
}

export interface PullRequestsTable extends VersionColumns {
  pull_request_id: string;
  repository_name: string;
  title: string | null;
  author_arn: string | null;
  status: 'OPEN' | 'CLOSED';
  is_merged: boolean;
  merged_by: string | null;
  merged_at: Timestamp | null;
  source_reference: string | null;
  destination_reference: string | null;
  source_commit: string | null;
  destination_commit: string | null;
  merge_base: string | null;
  /** The final (current) revision. */
  revision_id: string | null;
  creation_date: Timestamp | null;
  last_activity_date: Timestamp | null;
  /** Null on an OPEN pull request: not recorded while open (repo-sync `openPullRequestRow`). */
  approval_rules: Json<PullRequestApprovalRule[]> | null;
  evaluation: Json<PullRequestEvaluation> | null;
  override_state: Json<PullRequestOverrideState> | null;
}

export interface PullRequestApprovalsTable extends VersionColumns {
  pull_request_id: string;
  revision_id: string;
  user_arn: string;
  approval_state: 'APPROVE' | 'REVOKE';
}

export interface PullRequestEventsTable extends VersionColumns {
  pull_request_id: string;
  event_key: string;
  event_type: string;
  event_date: Timestamp | null;
  actor_arn: string | null;
  details: Json<unknown>;
}

export interface InlinePolicy {
  name: string;
  document: unknown;
}

export interface IamUsersTable extends VersionColumns {
  arn: string;
  user_name: string;
  user_id: string | null;
  path: string | null;
  create_date: Timestamp | null;
  permissions_boundary_arn: string | null;
  tags: Json<Record<string, string>>;
  group_names: Json<string[]>;
  attached_policy_arns: Json<string[]>;
  inline_policies: Json<InlinePolicy[]>;
  /** null: not collected (permission missing); [] collected and none. */
  ssh_public_keys: Json<{ id: string; status: string; uploadDate: string | null }[]> | null;
  service_specific_credentials: Json<{ id: string; serviceName: string; status: string }[]> | null;
}

export interface IamGroupsTable extends VersionColumns {
  arn: string;
  group_name: string;
  group_id: string | null;
  path: string | null;
  attached_policy_arns: Json<string[]>;
  inline_policies: Json<InlinePolicy[]>;
}

export interface IamRolesTable extends VersionColumns {
  arn: string;
  role_name: string;
  role_id: string | null;
  path: string | null;
  create_date: Timestamp | null;
  assume_role_policy: Json<unknown> | null;
  permissions_boundary_arn: string | null;
  tags: Json<Record<string, string>>;
  attached_policy_arns: Json<string[]>;
  inline_policies: Json<InlinePolicy[]>;
}

export interface IamManagedPoliciesTable extends VersionColumns {
  arn: string;
  policy_name: string;
  policy_id: string | null;
  path: string | null;
  default_version_id: string | null;
  document: Json<unknown> | null;
  is_aws_managed: boolean;
}

export interface IamCredentialReportRowsTable extends VersionColumns {
  arn: string;
  user_name: string;
  is_root: boolean;
  user_creation_time: Timestamp | null;
  password_enabled: boolean | null;
  password_last_used: Timestamp | null;
  /** Why password_last_used is null: 'no_information', 'not_supported', 'N/A', or null when it has a date. */
  password_last_used_state: string | null;
  password_last_changed: Timestamp | null;
  mfa_active: boolean | null;
  access_key_1_active: boolean | null;
  access_key_1_last_used: Timestamp | null;
  access_key_1_last_rotated: Timestamp | null;
  access_key_2_active: boolean | null;
  access_key_2_last_used: Timestamp | null;
  access_key_2_last_rotated: Timestamp | null;
  /** The report's row as AWS wrote it: what an auditor sees as evidence. */
  raw: Json<Record<string, string>>;
}

export interface PeopleTable {
  id: Generated<number>;
  tenant_id: string;
  email: string;
  name: string | null;
  status: 'active' | 'offboarded';
  offboarded_at: ColumnType<string | null, string | null, string | null>;
  valid_from: Timestamp;
  valid_to: Timestamp | null;
}

export interface IdentityLinksTable {
  id: Generated<number>;
  tenant_id: string;
  iam_user_arn: string;
  person_email: string;
  valid_from: Timestamp;
  valid_to: Timestamp | null;
}

export type FindingStatus = 'pass' | 'fail' | 'unknown' | 'not_applicable';

export interface CheckRunsTable {
  id: Generated<number>;
  connection_id: string;
  sync_run_id: number;
  trigger: 'sync' | 'on_demand';
  roster_as_of: Timestamp;
  evaluated_at: Created;
  partial: ColumnType<boolean, boolean | undefined, boolean>;
  notes: ColumnType<unknown[], string | undefined, string>;
}

export interface CheckResultsTable {
  id: Generated<number>;
  check_run_id: number;
  check_id: string;
  status: FindingStatus;
  counts: Json<Record<FindingStatus, number>>;
  /** SHA-256 of the check's stored findings (null for results written before it existed). */
  findings_digest: ColumnType<string | null, string | null | undefined, string | null>;
  /** The check run whose `findings` rows hold this result's findings; null: its own. */
  findings_check_run_id: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface FindingsTable {
  id: Generated<number>;
  check_run_id: number;
  check_id: string;
  resource_type: string;
  resource_id: string;
  resource_name: string;
  status: FindingStatus;
  reason: string;
  evidence: Json<unknown>;
}

/** A part of findings' evidence shared by many, stored once per connection by the digest of its JSON. */
export interface CheckEvidenceBlobsTable {
  connection_id: string;
  digest: string;
  body: Json<unknown>;
  first_check_run_id: number;
}

/** A sync run whose derived access is written (its `sync_run_access` rows, all of them). */
export interface SyncRunAccessStateTable {
  sync_run_id: number;
  connection_id: string;
  completeness: Json<unknown>;
  principals: number;
  derived_at: Timestamp;
}

/** One principal of a sync run as `/iam-users` and the access review show it, roster aside. */
export interface SyncRunAccessTable {
  sync_run_id: number;
  principal_type: 'iam_user' | 'iam_role';
  name: string;
  arn: string;
  has_access: 'yes' | 'no' | 'unknown';
  entry: Json<Record<string, unknown>>;
  /** The first repositories it reaches (all of them when `repositories_digest` is null). */
  repositories: Json<unknown[]>;
  /** The whole list in `access_repository_lists`, when longer than `repositories`. */
  repositories_digest: string | null;
  tags: Json<Record<string, string>>;
}

export interface AccessRepositoryListsTable {
  connection_id: string;
  digest: string;
  repositories: Json<unknown[]>;
}

export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  connections: ConnectionsTable;
  sync_runs: SyncRunsTable;
  sync_run_aws_calls: SyncRunAwsCallsTable;
  sync_run_problems: SyncRunProblemsTable;
  repositories: RepositoriesTable;
  branches: BranchesTable;
  approval_rule_templates: ApprovalRuleTemplatesTable;
  repository_template_associations: RepositoryTemplateAssociationsTable;
  pull_requests: PullRequestsTable;
  pull_request_approvals: PullRequestApprovalsTable;
  pull_request_events: PullRequestEventsTable;
  iam_users: IamUsersTable;
  iam_groups: IamGroupsTable;
  iam_roles: IamRolesTable;
  iam_managed_policies: IamManagedPoliciesTable;
  iam_credential_report_rows: IamCredentialReportRowsTable;
  people: PeopleTable;
  identity_links: IdentityLinksTable;
  check_runs: CheckRunsTable;
  check_results: CheckResultsTable;
  check_evidence_blobs: CheckEvidenceBlobsTable;
  findings: FindingsTable;
  sync_run_access_state: SyncRunAccessStateTable;
  sync_run_access: SyncRunAccessTable;
  access_repository_lists: AccessRepositoryListsTable;
}

/** The temporal evidence tables and the natural key of each (what identifies one resource). */
export const EVIDENCE_KEYS = {
  repositories: ['repository_id'],
  branches: ['repository_id', 'branch_name'],
  approval_rule_templates: ['template_id'],
  repository_template_associations: ['repository_id', 'template_name'],
  pull_requests: ['pull_request_id'],
  pull_request_approvals: ['pull_request_id', 'revision_id', 'user_arn'],
  pull_request_events: ['pull_request_id', 'event_key'],
  iam_users: ['arn'],
  iam_groups: ['arn'],
  iam_roles: ['arn'],
  iam_managed_policies: ['arn'],
  iam_credential_report_rows: ['arn'],
} as const;

export type EvidenceTable = keyof typeof EVIDENCE_KEYS;

/** The content of one evidence row: everything but the version bookkeeping. */
export type EvidenceContent<T extends EvidenceTable> = Omit<Insertable<Database[T]>, keyof VersionColumns>;
export type EvidenceRow<T extends EvidenceTable> = Selectable<Database[T]>;
