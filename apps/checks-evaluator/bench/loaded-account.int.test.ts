/**
 * The bench loader cannot drift from a real sync: a small generated account synced through fake-aws's
 * HTTP server by the repo-sync and iam-sync workers as their own processes, and the same account loaded
 * by `loadGeneratedAccount` (the workers' jobs in this process, fake-aws's core without HTTP), hold the
 * same evidence (every table's natural keys and content hashes, open or closed), the same run steps and
 * problems, and, each evaluated once as of the same roster date, the same check results and findings.
 */
import { useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { evaluateChecks } from '../src/processors/evaluate-checks.js';
import { comparableState, loadGeneratedAccount } from './loaded-account.js';
import { syncGeneratedAccount } from './synced-account.js';

describe('bench loader', () => {
  const synced = useTestDatabase();
  const loaded = useTestDatabase();
  const r = useTestRedis();

  it('loads a generated account exactly as the workers sync it', async () => {
    const size = { repos: 12, prs: 6, users: 40, groups: 2 };
    const a = await syncGeneratedAccount(synced.current.url, r.current.url, size, {
      prefix: r.current.prefix,
    });
    const b = await loadGeneratedAccount(loaded.current.url, r.current.url, size);
    // One evaluation instant for both: a run is evaluated as of when it finished, and the peer-review
    // evidence names its audit window, which ends then; the two runs finished moments apart.
    const evaluatedAt = new Date();
    const rosterAsOf = evaluatedAt.toISOString();
    for (const [t, account] of [
      [synced, a],
      [loaded, b],
    ] as const)
      await t.current.db
        .updateTable('sync_runs')
        .set({ finished_at: evaluatedAt })
        .where('id', '=', account.runId)
        .execute();
    const log = pino({ level: 'silent' });
    for (const [t, account] of [
      [synced, a],
      [loaded, b],
    ] as const) {
      await evaluateChecks(
        { connectionId: account.connectionId, runId: account.runId, trigger: 'on_demand', rosterAsOf },
        { db: t.current.db, log, now: () => evaluatedAt },
      );
    }
    const want = await comparableState(synced.current.db, a);
    const got = await comparableState(loaded.current.db, b);
    expect(want.pull_requests!.length).toBeGreaterThan(0);
    expect(want.iam_users!.length).toBeGreaterThan(0);
    expect(want.findings!.length).toBeGreaterThan(0);
    for (const part of Object.keys(want)) expect(got[part], part).toEqual(want[part]);
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  }, 240_000);
});
