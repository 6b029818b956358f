import { useTestDatabase } from '@codecommit-evidence/testing';
import { describe, expect, it } from 'vitest';
import { checkRunAt, connectionWithFinishedRun } from '../test/check-run-fixtures.js';
import { listFindingChanges } from './check-run-changes.js';
import { type CheckRunInput, insertCheckRun } from './check-runs.js';

describe('what changed in a check between two check runs', () => {
  const t = useTestDatabase();

  it('lists new failures and fixed findings a page at a time, also where a run shares an earlier run’s rows', async () => {
    const db = t.current.db;
    const of = await connectionWithFinishedRun(db);
    const counts = { pass: 0, fail: 0, unknown: 0, not_applicable: 0 };
    type Status = 'pass' | 'fail' | 'unknown';
    const runWith = (statuses: Status[], at: number, tag: string): CheckRunInput =>
      checkRunAt(of, at, [
        {
          checkId: 'codecommit-user-mfa',
          status: 'fail',
          counts,
          findings: statuses.map((status, i) => ({
            resourceType: 'iam_user',
            resourceId: `arn:aws:iam::111122223333:user/u${i}`,
            resourceName: `u${i}`,
            status,
            reason: `u${i} in ${tag}: ${status}`,
            evidence: {},
          })),
        },
      ]);
    // u0 fails in both, u1..u3 newly fail, u4 and u5 are fixed (one to pass, one to unknown), u6 passes.
    const before: Status[] = ['fail', 'pass', 'pass', 'unknown', 'fail', 'fail', 'pass'];
    const after: Status[] = ['fail', 'fail', 'fail', 'fail', 'pass', 'unknown', 'pass'];
    const first = await insertCheckRun(db, runWith(before, 1000, 'before'));
    const second = await insertCheckRun(db, runWith(after, 2000, 'after'));
    // Same answer as the first: its result shares the first run's rows.
    const third = await insertCheckRun(db, runWith(before, 3000, 'before'));
    const all = async (fromRunId: number, toRunId: number, change: 'new_failures' | 'fixed') => {
      const out: { name: string; reason: string; runId: number }[] = [];
      let afterId: number | undefined;
      for (;;) {
        const rows = await listFindingChanges(db, { fromRunId, toRunId }, 'codecommit-user-mfa', change, {
          ...(afterId !== undefined ? { afterId } : {}),
          limit: 2,
        });
        out.push(...rows.map((r) => ({ name: r.resource_name, reason: r.reason, runId: r.check_run_id })));
        if (rows.length < 2) return out;
        afterId = rows.at(-1)!.id;
      }
    };
    expect(await all(first.id, second.id, 'new_failures')).toEqual(
      ['u1', 'u2', 'u3'].map((name) => ({ name, reason: `${name} in after: fail`, runId: second.id })),
    );
    expect(await all(first.id, second.id, 'fixed')).toEqual(
      ['u4', 'u5'].map((name) => ({ name, reason: `${name} in before: fail`, runId: first.id })),
    );
    // The third run's findings are the first run's rows: labelled with the third, and compared as such.
    expect(await all(second.id, third.id, 'new_failures')).toEqual(
      ['u4', 'u5'].map((name) => ({ name, reason: `${name} in before: fail`, runId: third.id })),
    );
    expect((await all(second.id, third.id, 'fixed')).map((r) => r.name)).toEqual(['u1', 'u2', 'u3']);
    expect(await all(first.id, third.id, 'new_failures')).toEqual([]);
    expect(await all(first.id, third.id, 'fixed')).toEqual([]);
    // A check the runs have no result for: nothing.
    expect(
      await listFindingChanges(
        db,
        { fromRunId: first.id, toRunId: second.id },
        'codecommit-peer-review',
        'fixed',
        {
          limit: 10,
        },
      ),
    ).toEqual([]);
  });
});
