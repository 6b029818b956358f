import { type Kysely, sql } from 'kysely';

/**
 * A rotated API key stays valid until `expires_at` (the grace period the tenant's clients have to
 * switch to the new key), then it is refused; `revoked_at` (already there) refuses a key at once.
 * Keys never expire unless rotated. Frozen in time: never import application code here.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table api_keys add column expires_at timestamptz`.execute(db);
  await sql`create index api_keys_tenant on api_keys (tenant_id, created_at, id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists api_keys_tenant`.execute(db);
  await sql`alter table api_keys drop column if exists expires_at`.execute(db);
}
