import { type Kysely, sql } from 'kysely';

/**
 * What many findings share (a principal's grants, a policy statement, the list of principals that may
 * bypass review) is stored once per connection, addressed by the SHA-256 of its JSON, and findings
 * hold `{"$ref": "sha256:…"}` in its place. A check run whose shared parts did not change adds no row
 * here, so storage grows with change. Frozen in time: never import application code here.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table check_evidence_blobs (
      connection_id uuid not null references connections (id) on delete cascade,
      digest text not null,
      body jsonb not null,
      first_check_run_id bigint not null,
      primary key (connection_id, digest)
    )
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists check_evidence_blobs`.execute(db);
}
