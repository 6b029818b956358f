import { type Kysely, sql } from 'kysely';

/**
 * `pull_request_events` was created with the first schema for DescribePullRequestEvents, but nothing
 * ever wrote or read it: repo-sync reads approval-state and merge events only to fill
 * `pull_request_approvals` (earlier revisions) and `pull_requests.merged_at`, which is all the checks
 * judge. An empty table with two indexes is a trap for readers (issue 12), so it goes. `down` recreates
 * it as the initial migration made it. Frozen in time: never import application code here.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists pull_request_events`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    create table pull_request_events (
      id bigserial primary key,
      connection_id uuid not null references connections (id) on delete cascade,
      valid_from_run bigint not null references sync_runs (id),
      valid_to_run bigint references sync_runs (id),
      content_hash text not null,
      pull_request_id text not null,
      event_key text not null,
      event_type text not null,
      event_date timestamptz,
      actor_arn text,
      details jsonb not null
    )`.execute(db);
  await sql`create unique index pull_request_events_current on pull_request_events
    (connection_id, pull_request_id, event_key) where valid_to_run is null`.execute(db);
  await sql`create index pull_request_events_history on pull_request_events
    (connection_id, pull_request_id, event_key, valid_from_run)`.execute(db);
}
