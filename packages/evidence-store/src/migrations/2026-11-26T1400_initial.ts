import { type Kysely, sql } from 'kysely';

/**
 * The whole initial schema. Frozen in time: never import application code here, never edit after it
 * has shipped; change the schema with a new migration.
 *
 * Evidence tables are temporal: each row is one version of one AWS resource, valid for the sync runs
 * `valid_from_run <= run < valid_to_run` (open-ended while `valid_to_run` is null). A re-sync that sees
 * the same content writes nothing; a change closes the current version and opens a new one; a resource
 * gone from AWS has its current version closed (never deleted). A partial unique index keeps at most
 * one open version per natural key.
 */

type Db = Kysely<any>;

const EVIDENCE_TABLES: { name: string; keys: string[]; columns: (t: any) => any }[] = [
  {
    name: 'repositories',
    keys: ['repository_id'],
    columns: (t) =>
      t
        .addColumn('repository_id', 'text', (c: any) => c.notNull())
        .addColumn('repository_name', 'text', (c: any) => c.notNull())
        .addColumn('arn', 'text', (c: any) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('description', 'text')
        .addColumn('default_branch', 'text')
        .addColumn('clone_url_http', 'text')
        .addColumn('clone_url_ssh', 'text')
        .addColumn('creation_date', 'timestamptz')
        .addColumn('last_modified_date', 'timestamptz'),
  },
  {
    name: 'branches',
    keys: ['repository_id', 'branch_name'],
    columns: (t) =>
      t
        .addColumn('repository_id', 'text', (c: any) => c.notNull())
        .addColumn('branch_name', 'text', (c: any) => c.notNull())
        .addColumn('commit_id', 'text'),
  },
  {
    name: 'approval_rule_templates',
    keys: ['template_id'],
    columns: (t) =>
      t
        .addColumn('template_id', 'text', (c: any) => c.notNull())
        .addColumn('template_name', 'text', (c: any) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('content', 'jsonb', (c: any) => c.notNull())
        .addColumn('destination_references', 'jsonb', (c: any) => c.notNull())
        .addColumn('required_approvals', 'integer', (c: any) => c.notNull())
        .addColumn('approval_pool_members', 'jsonb', (c: any) => c.notNull())
        .addColumn('rule_content_sha256', 'text')
        .addColumn('creation_date', 'timestamptz')
        .addColumn('last_modified_date', 'timestamptz'),
  },
  {
    name: 'repository_template_associations',
    keys: ['repository_id', 'template_name'],
    columns: (t) =>
      t
        .addColumn('repository_id', 'text', (c: any) => c.notNull())
        .addColumn('template_name', 'text', (c: any) => c.notNull()),
  },
  {
    name: 'pull_requests',
    keys: ['pull_request_id'],
    columns: (t) =>
      t
        .addColumn('pull_request_id', 'text', (c: any) => c.notNull())
        .addColumn('repository_name', 'text', (c: any) => c.notNull())
        .addColumn('title', 'text')
        .addColumn('author_arn', 'text')
        .addColumn('status', 'text', (c: any) => c.notNull())
        .addColumn('is_merged', 'boolean', (c: any) => c.notNull())
        .addColumn('merged_by', 'text')
        .addColumn('merged_at', 'timestamptz')
        .addColumn('source_reference', 'text')
        .addColumn('destination_reference', 'text')
        .addColumn('source_commit', 'text')
        .addColumn('destination_commit', 'text')
        .addColumn('merge_base', 'text')
        .addColumn('revision_id', 'text')
        .addColumn('creation_date', 'timestamptz')
        .addColumn('last_activity_date', 'timestamptz')
        .addColumn('approval_rules', 'jsonb', (c: any) => c.notNull())
        .addColumn('evaluation', 'jsonb')
        .addColumn('override_state', 'jsonb'),
  },
  {
    name: 'pull_request_approvals',
    keys: ['pull_request_id', 'revision_id', 'user_arn'],
    columns: (t) =>
      t
        .addColumn('pull_request_id', 'text', (c: any) => c.notNull())
        .addColumn('revision_id', 'text', (c: any) => c.notNull())
        .addColumn('user_arn', 'text', (c: any) => c.notNull())
        .addColumn('approval_state', 'text', (c: any) => c.notNull()),
  },
  {
    name: 'pull_request_events',
    keys: ['pull_request_id', 'event_key'],
    columns: (t) =>
      t
        .addColumn('pull_request_id', 'text', (c: any) => c.notNull())
        .addColumn('event_key', 'text', (c: any) => c.notNull())
        .addColumn('event_type', 'text', (c: any) => c.notNull())
        .addColumn('event_date', 'timestamptz')
        .addColumn('actor_arn', 'text')
        .addColumn('details', 'jsonb', (c: any) => c.notNull()),
  },
  {
    name: 'iam_users',
    keys: ['arn'],
    columns: (t) =>
      t
        .addColumn('arn', 'text', (c: any) => c.notNull())
        .addColumn('user_name', 'text', (c: any) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('path', 'text')
        .addColumn('create_date', 'timestamptz')
        .addColumn('permissions_boundary_arn', 'text')
        .addColumn('tags', 'jsonb', (c: any) => c.notNull())
        .addColumn('group_names', 'jsonb', (c: any) => c.notNull())
        .addColumn('attached_policy_arns', 'jsonb', (c: any) => c.notNull())
        .addColumn('inline_policies', 'jsonb', (c: any) => c.notNull())
        .addColumn('ssh_public_keys', 'jsonb')
        .addColumn('service_specific_credentials', 'jsonb'),
  },
  {
    name: 'iam_groups',
    keys: ['arn'],
    columns: (t) =>
      t
        .addColumn('arn', 'text', (c: any) => c.notNull())
        .addColumn('group_name', 'text', (c: any) => c.notNull())
        .addColumn('group_id', 'text')
        .addColumn('path', 'text')
        .addColumn('attached_policy_arns', 'jsonb', (c: any) => c.notNull())
        .addColumn('inline_policies', 'jsonb', (c: any) => c.notNull()),
  },
  {
    name: 'iam_roles',
    keys: ['arn'],
    columns: (t) =>
      t
        .addColumn('arn', 'text', (c: any) => c.notNull())
        .addColumn('role_name', 'text', (c: any) => c.notNull())
        .addColumn('role_id', 'text')
        .addColumn('path', 'text')
        .addColumn('create_date', 'timestamptz')
        .addColumn('assume_role_policy', 'jsonb')
        .addColumn('permissions_boundary_arn', 'text')
        .addColumn('tags', 'jsonb', (c: any) => c.notNull())
        .addColumn('attached_policy_arns', 'jsonb', (c: any) => c.notNull())
        .addColumn('inline_policies', 'jsonb', (c: any) => c.notNull()),
  },
  {
    name: 'iam_managed_policies',
    keys: ['arn'],
    columns: (t) =>
      t
        .addColumn('arn', 'text', (c: any) => c.notNull())
        .addColumn('policy_name', 'text', (c: any) => c.notNull())
        .addColumn('policy_id', 'text')
        .addColumn('path', 'text')
        .addColumn('default_version_id', 'text')
        .addColumn('document', 'jsonb')
        .addColumn('is_aws_managed', 'boolean', (c: any) => c.notNull()),
  },
  {
    name: 'iam_credential_report_rows',
    keys: ['arn'],
    columns: (t) =>
      t
        .addColumn('arn', 'text', (c: any) => c.notNull())
        .addColumn('user_name', 'text', (c: any) => c.notNull())
        .addColumn('is_root', 'boolean', (c: any) => c.notNull())
        .addColumn('user_creation_time', 'timestamptz')
        .addColumn('password_enabled', 'boolean')
        .addColumn('password_last_used', 'timestamptz')
        .addColumn('password_last_used_state', 'text')
        .addColumn('password_last_changed', 'timestamptz')
        .addColumn('mfa_active', 'boolean')
        .addColumn('access_key_1_active', 'boolean')
        .addColumn('access_key_1_last_used', 'timestamptz')
        .addColumn('access_key_1_last_rotated', 'timestamptz')
        .addColumn('access_key_2_active', 'boolean')
        .addColumn('access_key_2_last_used', 'timestamptz')
        .addColumn('access_key_2_last_rotated', 'timestamptz')
        .addColumn('raw', 'jsonb', (c: any) => c.notNull()),
  },
];

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('connections')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull().unique())
    .addColumn('role_arn', 'text')
    .addColumn('aws_account_id', 'text')
    .addColumn('region', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('sync_interval_minutes', 'integer', (c) => c.notNull().defaultTo(360))
    .addColumn('audit_window_days', 'integer', (c) => c.notNull().defaultTo(90))
    .addColumn('permissions', 'jsonb')
    .addColumn('warnings', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('last_error', 'jsonb')
    .addColumn('connected_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .addCheckConstraint('connections_status', sql`status in ('pending', 'active', 'error', 'deleted')`)
    .addCheckConstraint('connections_audit_window', sql`audit_window_days between 1 and 3650`)
    .addCheckConstraint('connections_interval', sql`sync_interval_minutes between 15 and 10080`)
    .execute();
  await db.schema.createIndex('connections_tenant').on('connections').column('tenant_id').execute();

  await db.schema
    .createTable('sync_runs')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued'))
    .addColumn('steps', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('error', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addCheckConstraint('sync_runs_trigger', sql`trigger in ('connect', 'schedule', 'api')`)
    .addCheckConstraint(
      'sync_runs_status',
      sql`status in ('queued', 'running', 'succeeded', 'partial', 'failed')`,
    )
    .execute();
  await db.schema
    .createIndex('sync_runs_connection')
    .on('sync_runs')
    .columns(['connection_id', 'id'])
    .execute();
  // At most one unfinished run per connection: the API returns it instead of starting another.
  await sql`create unique index sync_runs_one_active on sync_runs (connection_id) where status in ('queued', 'running')`.execute(
    db,
  );

  await db.schema
    .createTable('sync_run_aws_calls')
    .addColumn('sync_run_id', 'bigint', (c) => c.notNull().references('sync_runs.id').onDelete('cascade'))
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('calls', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('throttled', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('sync_run_aws_calls_pk', ['sync_run_id', 'operation'])
    .execute();

  await db.schema
    .createTable('sync_run_problems')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('sync_run_id', 'bigint', (c) => c.notNull().references('sync_runs.id').onDelete('cascade'))
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('resource', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('sync_run_problems_kind', sql`kind in ('missing_permission', 'error', 'warning')`)
    .addUniqueConstraint('sync_run_problems_once', [
      'sync_run_id',
      'step',
      'kind',
      'code',
      'action',
      'resource',
    ])
    .execute();

  for (const table of EVIDENCE_TABLES) {
    let builder = db.schema
      .createTable(table.name)
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('connection_id', 'uuid', (c) => c.notNull().references('connections.id').onDelete('cascade'))
      .addColumn('valid_from_run', 'bigint', (c) => c.notNull().references('sync_runs.id'))
      .addColumn('valid_to_run', 'bigint', (c) => c.references('sync_runs.id'))
      .addColumn('content_hash', 'text', (c) => c.notNull());
    builder = table.columns(builder);
    await builder.execute();
    const keyList = table.keys.join(', ');
    await sql`create unique index ${sql.raw(`${table.name}_current`)} on ${sql.table(table.name)} (connection_id, ${sql.raw(keyList)}) where valid_to_run is null`.execute(
      db,
    );
    await sql`create index ${sql.raw(`${table.name}_history`)} on ${sql.table(table.name)} (connection_id, ${sql.raw(keyList)}, valid_from_run)`.execute(
      db,
    );
  }
  await sql`create index pull_requests_by_repository on pull_requests (connection_id, repository_name) where valid_to_run is null`.execute(
    db,
  );

  await db.schema
    .createTable('people')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('offboarded_at', 'date')
    .addColumn('valid_from', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('valid_to', 'timestamptz')
    .addCheckConstraint('people_status', sql`status in ('active', 'offboarded')`)
    .addCheckConstraint('people_email_lower', sql`email = lower(email)`)
    .execute();
  await sql`create unique index people_current on people (tenant_id, email) where valid_to is null`.execute(
    db,
  );

  await db.schema
    .createTable('identity_links')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('iam_user_arn', 'text', (c) => c.notNull())
    .addColumn('person_email', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('valid_to', 'timestamptz')
    .addCheckConstraint('identity_links_email_lower', sql`person_email = lower(person_email)`)
    .execute();
  await sql`create unique index identity_links_current on identity_links (tenant_id, iam_user_arn) where valid_to is null`.execute(
    db,
  );

  await db.schema
    .createTable('check_runs')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('sync_run_id', 'bigint', (c) => c.notNull().references('sync_runs.id'))
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('roster_as_of', 'timestamptz', (c) => c.notNull())
    .addColumn('evaluated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('partial', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('notes', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addCheckConstraint('check_runs_trigger', sql`trigger in ('sync', 'on_demand')`)
    .execute();
  await db.schema
    .createIndex('check_runs_connection')
    .on('check_runs')
    .columns(['connection_id', 'id'])
    .execute();

  await db.schema
    .createTable('check_results')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('check_run_id', 'bigint', (c) => c.notNull().references('check_runs.id').onDelete('cascade'))
    .addColumn('check_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('counts', 'jsonb', (c) => c.notNull())
    .addUniqueConstraint('check_results_once', ['check_run_id', 'check_id'])
    .execute();

  await db.schema
    .createTable('findings')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('check_run_id', 'bigint', (c) => c.notNull().references('check_runs.id').onDelete('cascade'))
    .addColumn('check_id', 'text', (c) => c.notNull())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('resource_name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('evidence', 'jsonb', (c) => c.notNull())
    .addCheckConstraint('findings_status', sql`status in ('pass', 'fail', 'unknown', 'not_applicable')`)
    .addUniqueConstraint('findings_once', ['check_run_id', 'check_id', 'resource_type', 'resource_id'])
    .execute();
  await db.schema
    .createIndex('findings_by_check')
    .on('findings')
    .columns(['check_run_id', 'check_id', 'status'])
    .execute();
}

export async function down(db: Db): Promise<void> {
  for (const t of [
    'findings',
    'check_results',
    'check_runs',
    'identity_links',
    'people',
    ...EVIDENCE_TABLES.map((e) => e.name).reverse(),
    'sync_run_problems',
    'sync_run_aws_calls',
    'sync_runs',
    'connections',
    'api_keys',
    'tenants',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
