import { useTestDatabase } from '@codecommit-evidence/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createDb } from './db.js';

describe('createDb', () => {
  const t = useTestDatabase();

  it('survives a connection that Postgres ends while a client is checked out: the work fails, the process does not', async () => {
    const errors: Error[] = [];
    const db = createDb(t.current.url, { max: 2, onConnectionError: (err) => errors.push(err) });
    try {
      const work = db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
        await sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(t.current.db);
        // The connection ends while the client is checked out with no query in flight: pg emits
        // 'error' on the client, which crashes the process unless someone listens.
        for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
        await sql`select 1`.execute(trx);
      });
      await expect(work).rejects.toThrow();
      expect(errors.length).toBeGreaterThan(0);
      // The pool replaces the lost client.
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
      expect(rows[0]!.one).toBe(1);
    } finally {
      await db.destroy();
    }
  });
});
