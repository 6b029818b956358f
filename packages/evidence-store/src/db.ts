import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

/** pg's type ids we parse differently from its defaults. */
const INT8 = 20;
const DATE = 1082;

// Run ids are bigserial: numbers are exact up to 2^53, which no sync-run counter reaches.
// Dates stay 'YYYY-MM-DD' strings: pg's default turns them into local-midnight Date objects.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8) return (v: string) => Number(v);
    if (oid === DATE) return (v: string) => v;
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

export interface CreateDbOptions {
  /** Pool size; keep small per process, Postgres connections are not free. */
  max?: number;
  applicationName?: string;
  /**
   * Told about every connection the pool loses (an idle client, or one checked out by a query). The
   * query in flight rejects on its own, so the job that ran it fails and is retried; this is for the log.
   */
  onConnectionError?: (err: Error) => void;
}

/** A Kysely instance over a pg pool. Call `destroy()` on shutdown. */
export function createDb(databaseUrl: string, options: CreateDbOptions = {}): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'codecommit-evidence',
    types,
    // Fail fast at start-up instead of hanging when the server is unreachable.
    connectionTimeoutMillis: 10_000,
  });
  const onError = options.onConnectionError ?? (() => {});
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', onError);
  // pg-pool listens for 'error' only on idle clients: a checked-out client whose connection Postgres
  // resets (ECONNRESET, "invalid message length") emits 'error' with no listener, and Node ends the
  // process. Every client gets its own listener for its whole life.
  pool.on('connect', (client) => {
    client.on('error', onError);
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Serialises a value for a jsonb column (pg would send JS arrays as Postgres arrays otherwise). */
export function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

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

/**
 * A timestamp column at millisecond precision, as keyset pages compare it: cursors carry the
 * JavaScript Date the API read (milliseconds), and a row stored with microseconds (written by the
 * database's clock before the application-clock migration) must compare equal to it, not after it.
 */
export function createdMs(column: string) {
  return sql<Date>`date_trunc('milliseconds', ${sql.ref(column)})`;
}
