import { type Kysely, sql } from 'kysely';

/**
 * A sync run remembers what it was taken with: the account, Region and audit window of its connection
 * at the time. Re-evaluating an old run then uses them, not the connection's current settings, so an
 * old run keeps its old answer. Frozen in time: never import application code here.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('sync_runs')
    .addColumn('aws_account_id', 'text')
    .addColumn('region', 'text')
    .addColumn('audit_window_days', 'integer')
    .execute();
  // Runs from before this migration: the connection's current settings are the best there is.
  await sql`update sync_runs r set aws_account_id = c.aws_account_id, region = c.region,
    audit_window_days = c.audit_window_days from connections c where c.id = r.connection_id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('sync_runs')
    .dropColumn('aws_account_id')
    .dropColumn('region')
    .dropColumn('audit_window_days')
    .execute();
}
