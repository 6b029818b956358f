import type { Database } from '@codecommit-evidence/evidence-store';
import { type Kysely, sql } from 'kysely';

// TODO(evidence-store): `assertDatabaseReachable` exists in evidence-store's db.ts but is not exported
// from its index; use it from there once it is, and delete this copy.
/** Resolves once Postgres answers, or rejects with a message naming DATABASE_URL (never its password). */
export async function assertDatabaseReachable(db: Kysely<Database>): Promise<void> {
  try {
    await sql`select 1`.execute(db);
  } catch (err) {
    throw new Error(
      `DATABASE_URL: cannot reach Postgres: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
