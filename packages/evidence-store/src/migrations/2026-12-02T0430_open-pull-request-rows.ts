import { type Kysely, sql } from 'kysely';

/**
 * An OPEN pull request's row keeps only what cannot change while it is open (repo-sync
 * `openPullRequestRow`): its approval rules are then "not recorded", null, not "none", []. Frozen in
 * time: never import application code here.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table pull_requests alter column approval_rules drop not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`update pull_requests set approval_rules = '[]'::jsonb where approval_rules is null`.execute(db);
  await sql`alter table pull_requests alter column approval_rules set not null`.execute(db);
}
