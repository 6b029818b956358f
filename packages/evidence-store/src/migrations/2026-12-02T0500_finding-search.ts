import { type Kysely, sql } from 'kysely';

/**
 * Findings are searched by their subject (`resource_name`: a repository or an IAM user's name) as a
 * case-insensitive substring (`lower(resource_name) like '%…%'`): a trigram index serves that at any
 * number of findings, where a btree could serve only prefixes. pg_trgm ships with Postgres
 * (postgresql-contrib, part of Debian's postgresql package) and is a trusted extension: the owner of
 * the database may create it. `fastupdate = off`: the pending list of a fast-update GIN index is
 * unsorted and held until vacuum (autovacuum may be off), so it took 1.2 MB of a first check run's
 * 21 MB at the bench size against a 20 MB budget. Frozen in time: never import application code here.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create extension if not exists pg_trgm`.execute(db);
  await sql`create index findings_subject_trgm on findings using gin (lower(resource_name) gin_trgm_ops) with (fastupdate = off)`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists findings_subject_trgm`.execute(db);
}
