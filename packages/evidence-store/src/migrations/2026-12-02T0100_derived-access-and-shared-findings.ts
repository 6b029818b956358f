import { type Kysely, sql } from 'kysely';

/**
 * Derived per run, read per request.
 *
 * `sync_run_access`: each principal of a sync run with what `/iam-users` and the access review show of
 * it that does not depend on the roster (access level, credentials, MFA, last use, granting policies,
 * the first repositories it reaches), written once when the run is evaluated (or on the first read of a
 * run evaluated before this table existed) and paged by keyset (principal_type, name). `name` sorts in
 * code-point order ("C"), the order the API's cursors compare in. The roster is joined per page.
 * `sync_run_access_state` marks a run's derivation complete (its rows are written in the same
 * transaction), with the run's completeness. A principal's whole repository list is stored once per
 * connection by the SHA-256 of its JSON in `access_repository_lists` (thousands of users reach the
 * same repositories through the same groups).
 *
 * Findings unchanged since an earlier check run: `check_results.findings_digest` is the SHA-256 of the
 * check's stored findings, and `findings_check_run_id` names the check run whose `findings` rows hold
 * them when this result wrote none of its own (null: its own rows). A re-evaluation with nothing
 * changed writes a check run and its results, no findings. Findings are paged per check by keyset on
 * id: (check_run_id, check_id, [status,] id) indexes replace (check_run_id, check_id, status); so are
 * repositories and pull requests, by (connection_id, repository_name, id).
 *
 * Frozen in time: never import application code here.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table sync_run_access_state (
      sync_run_id bigint primary key references sync_runs (id) on delete cascade,
      connection_id uuid not null references connections (id) on delete cascade,
      completeness jsonb not null,
      principals integer not null,
      derived_at timestamptz not null
    )
  `.execute(db);
  await sql`
    create table sync_run_access (
      sync_run_id bigint not null references sync_run_access_state (sync_run_id) on delete cascade,
      principal_type text not null check (principal_type in ('iam_user', 'iam_role')),
      name text collate "C" not null,
      arn text not null,
      has_access text not null check (has_access in ('yes', 'no', 'unknown')),
      entry jsonb not null,
      repositories jsonb not null,
      repositories_digest text,
      tags jsonb not null,
      primary key (sync_run_id, principal_type, name)
    )
  `.execute(db);
  await sql`
    create table access_repository_lists (
      connection_id uuid not null references connections (id) on delete cascade,
      digest text not null,
      repositories jsonb not null,
      primary key (connection_id, digest)
    )
  `.execute(db);
  await sql`alter table check_results add column findings_digest text`.execute(db);
  await sql`
    alter table check_results
      add column findings_check_run_id bigint references check_runs (id) on delete cascade
  `.execute(db);
  await sql`create index check_results_by_findings_digest on check_results (check_id, findings_digest)`.execute(
    db,
  );
  // Pages of one check's findings by keyset on id (with or without a status) read an index range.
  await sql`create index findings_keyset on findings (check_run_id, check_id, id)`.execute(db);
  await sql`create index findings_keyset_by_status on findings (check_run_id, check_id, status, id)`.execute(
    db,
  );
  await sql`drop index if exists findings_by_check`.execute(db);
  // Evidence pages as of a run by keyset (name, id): an index range read in page order, the versions
  // not valid at the run skipped (the partial index on current versions cannot serve past runs).
  await sql`create index repositories_keyset on repositories (connection_id, repository_name, id)`.execute(
    db,
  );
  await sql`create index pull_requests_keyset on pull_requests (connection_id, repository_name, id)`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists pull_requests_keyset`.execute(db);
  await sql`drop index if exists repositories_keyset`.execute(db);
  await sql`create index if not exists findings_by_check on findings (check_run_id, check_id, status)`.execute(
    db,
  );
  await sql`drop index if exists findings_keyset_by_status`.execute(db);
  await sql`drop index if exists findings_keyset`.execute(db);
  await sql`drop index if exists check_results_by_findings_digest`.execute(db);
  await sql`alter table check_results drop column if exists findings_check_run_id`.execute(db);
  await sql`alter table check_results drop column if exists findings_digest`.execute(db);
  await sql`drop table if exists access_repository_lists`.execute(db);
  await sql`drop table if exists sync_run_access`.execute(db);
  await sql`drop table if exists sync_run_access_state`.execute(db);
}
