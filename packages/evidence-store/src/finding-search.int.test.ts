import { useTestDatabase } from '@codecommit-evidence/testing';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkRunAt, connectionWithFinishedRun } from '../test/check-run-fixtures.js';
import { listCheckRunHistory } from './check-run-history.js';
import { type CheckRunInput, insertCheckRun, listFindings } from './check-runs.js';
import { containsPattern } from './finding-search.js';

const N = 10_000;

describe('findings searched by subject, and the check-run history with counts', () => {
  const t = useTestDatabase();
  let checkRunId: number;
  let connectionId: string;
  const names = Array.from({ length: N }, (_, i) => `user-${String(i).padStart(5, '0')}`);
  // Names LIKE would misread if the text were not escaped.
  names[17] = 'Alice_Admin';
  names[18] = 'alicexadmin';
  names[19] = '100%-bob';
  names[20] = 'back\\slash';

  beforeAll(async () => {
    const db = t.current.db;
    const of = await connectionWithFinishedRun(db);
    connectionId = of.connectionId;
    const input = (at: number, failing: number): CheckRunInput =>
      checkRunAt(
        of,
        at,
        [
          {
            checkId: 'codecommit-user-mfa',
            status: failing ? 'fail' : 'pass',
            counts: { pass: N - failing, fail: failing, unknown: 0, not_applicable: 0 },
            findings: names.map((name, i) => ({
              resourceType: 'iam_user',
              resourceId: `arn:aws:iam::111122223333:user/${name}`,
              resourceName: name,
              status: i < failing ? ('fail' as const) : ('pass' as const),
              reason: 'r',
              evidence: {},
            })),
          },
        ],
        'sync',
      );
    await insertCheckRun(db, input(1000, 40));
    checkRunId = (await insertCheckRun(db, input(2000, 25))).id;
  }, 120_000);

  it('matches the text anywhere in the name, case-insensitively, with % _ and \\ taken literally', async () => {
    const db = t.current.db;
    const subjects = async (search: string) =>
      (await listFindings(db, checkRunId, { checkId: 'codecommit-user-mfa', search, limit: N })).map(
        (f) => f.resource_name,
      );
    expect(await subjects('ALICE_')).toEqual(['Alice_Admin']);
    expect(await subjects('alice')).toEqual(['Alice_Admin', 'alicexadmin']);
    expect(await subjects('0%-')).toEqual(['100%-bob']);
    expect(await subjects('k\\s')).toEqual(['back\\slash']);
    expect(await subjects('user-0999')).toHaveLength(10);
    expect(await subjects('nobody')).toEqual([]);
    expect(containsPattern('A%b_c\\')).toBe('%a\\%b\\_c\\\\%');
  });

  it('pages a search by keyset with the status filter, each match once', async () => {
    const db = t.current.db;
    const seen: string[] = [];
    let afterId: number | undefined;
    for (;;) {
      const page = await listFindings(db, checkRunId, {
        checkId: 'codecommit-user-mfa',
        search: 'user-000',
        status: 'fail',
        limit: 7,
        ...(afterId ? { afterId } : {}),
      });
      seen.push(...page.map((f) => f.resource_name));
      if (page.length < 7) break;
      afterId = page.at(-1)!.id;
    }
    // user-00000 … user-00024 fail, less the four renamed above (17-20).
    expect(seen).toHaveLength(21);
    expect(new Set(seen).size).toBe(21);
  });

  it('has the trigram index it relies on, in a freshly migrated database', async () => {
    const db = t.current.db;
    const idx = await sql<{
      indexdef: string;
    }>`select indexdef from pg_indexes where indexname = 'findings_subject_trgm'`.execute(db);
    expect(idx.rows[0]?.indexdef).toContain('gin_trgm_ops');
  });

  it('lists check runs newest first with each check’s status and counts, paged by keyset', async () => {
    const db = t.current.db;
    const [latest] = await listCheckRunHistory(db, connectionId, { limit: 1 });
    expect(latest!.run.id).toBe(checkRunId);
    expect(latest!.results['codecommit-user-mfa']).toEqual({
      status: 'fail',
      counts: { pass: N - 25, fail: 25, unknown: 0, not_applicable: 0 },
    });
    const older = await listCheckRunHistory(db, connectionId, { beforeId: checkRunId, limit: 5 });
    expect(older).toHaveLength(1);
    expect(older[0]!.results['codecommit-user-mfa']!.counts.fail).toBe(40);
  });
});
