import { type Kysely, sql } from 'kysely';

/**
 * One clock: every timestamp the product stores comes from the application's clock, passed with the
 * insert, never from the database server's `now()`. The two disagree whenever the app servers and the
 * database drift apart, and the product compares stored times with its own (a run abandoned after a
 * day, a check run as of a date, the roster as of a run). Without defaults, an insert that forgets the
 * time fails instead of silently taking the database's. Frozen in time: never import application code.
 */
const COLUMNS = [
  ['tenants', 'created_at'],
  ['api_keys', 'created_at'],
  ['connections', 'created_at'],
  ['connections', 'updated_at'],
  ['sync_runs', 'created_at'],
  ['sync_run_problems', 'created_at'],
  ['people', 'valid_from'],
  ['identity_links', 'valid_from'],
  ['check_runs', 'evaluated_at'],
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const [table, column] of COLUMNS) {
    await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} drop default`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table, column] of COLUMNS) {
    await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} set default now()`.execute(db);
  }
}
