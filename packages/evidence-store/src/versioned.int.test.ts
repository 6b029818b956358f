import { useTestDatabase } from '@codecommit-evidence/testing';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createConnection } from './connections.js';
import { createOrGetActiveSyncRun, finishSyncRun } from './sync-runs.js';
import { createTenant } from './tenants.js';
import { type EvidenceInput, retireMissing, selectAsOf, selectCurrent, writeEvidence } from './versioned.js';

const user = (name: string, over: Partial<EvidenceInput<'iam_users'>> = {}): EvidenceInput<'iam_users'> => ({
  arn: `arn:aws:iam::111122223333:user/${name}`,
  user_name: name,
  user_id: `AIDA${name.toUpperCase()}`,
  path: '/',
  create_date: new Date('2024-01-02T03:04:05Z'),
  permissions_boundary_arn: null,
  tags: { email: `${name}@example.com` },
  group_names: ['devs'],
  attached_policy_arns: ['arn:aws:iam::aws:policy/AWSCodeCommitPowerUser'],
  inline_policies: [],
  ssh_public_keys: [],
  service_specific_credentials: null,
  ...over,
});

describe('temporal evidence', () => {
  const t = useTestDatabase();
  let connectionId: string;
  const runs: number[] = [];
  const nextRun = async () => {
    const { run } = await createOrGetActiveSyncRun(t.current.db, connectionId, 'api');
    runs.push(run.id);
    return run.id;
  };
  const done = (id: number) => finishSyncRun(t.current.db, id, 'succeeded');
  const rowCount = async () =>
    (await sql<{ n: number }>`select count(*)::int as n from iam_users`.execute(t.current.db)).rows[0]!.n;
  const namesAsOf = async (run: number) =>
    (
      await selectAsOf(t.current.db, 'iam_users', connectionId, run)
        .select('user_name')
        .orderBy('user_name')
        .execute()
    ).map((r) => r.user_name);

  beforeAll(async () => {
    const { tenant } = await createTenant(t.current.db, 'acme');
    connectionId = (await createConnection(t.current.db, { tenantId: tenant.id, name: 'prod' })).id;
  });

  it('records the state of each run and reads any past run back', async () => {
    const db = t.current.db;
    const target = (runId: number) => ({ connectionId, runId });

    // Run 1: alice and bob.
    const r1 = await nextRun();
    const s1 = await writeEvidence(db, 'iam_users', target(r1), [user('alice'), user('bob')]);
    expect(s1).toEqual({ inserted: 2, superseded: 0, rewritten: 0, unchanged: 0 });
    await done(r1);

    // Run 2: nothing changed: no rows written at all.
    const r2 = await nextRun();
    const before = await rowCount();
    const s2 = await writeEvidence(db, 'iam_users', target(r2), [user('bob'), user('alice')]);
    expect(s2).toEqual({ inserted: 0, superseded: 0, rewritten: 0, unchanged: 2 });
    expect(await retireMissing(db, 'iam_users', target(r2), {}, [user('alice'), user('bob')])).toBe(0);
    expect(await rowCount()).toBe(before);
    await done(r2);

    // Run 3: alice loses her policy, bob is deleted from AWS, carol appears.
    const r3 = await nextRun();
    const s3 = await writeEvidence(db, 'iam_users', target(r3), [
      user('alice', { attached_policy_arns: [] }),
      user('carol'),
    ]);
    expect(s3).toEqual({ inserted: 2, superseded: 1, rewritten: 0, unchanged: 0 });
    expect(await retireMissing(db, 'iam_users', target(r3), {}, [user('alice'), user('carol')])).toBe(1);
    await done(r3);

    // Any past run reads as it was.
    expect(await namesAsOf(r1)).toEqual(['alice', 'bob']);
    expect(await namesAsOf(r2)).toEqual(['alice', 'bob']);
    expect(await namesAsOf(r3)).toEqual(['alice', 'carol']);
    const aliceAt = async (run: number) =>
      (
        await selectAsOf(db, 'iam_users', connectionId, run)
          .select('attached_policy_arns')
          .where('user_name', '=', 'alice')
          .executeTakeFirstOrThrow()
      ).attached_policy_arns;
    expect(await aliceAt(r1)).toEqual(['arn:aws:iam::aws:policy/AWSCodeCommitPowerUser']);
    expect(await aliceAt(r3)).toEqual([]);
    // Bob is removed, not erased: his history is still there.
    const bob = await db
      .selectFrom('iam_users')
      .select(['valid_from_run', 'valid_to_run'])
      .where('user_name', '=', 'bob')
      .execute();
    expect(bob).toEqual([{ valid_from_run: r1, valid_to_run: r3 }]);
    expect(
      (
        await selectCurrent(db, 'iam_users', connectionId).select('user_name').orderBy('user_name').execute()
      ).map((r) => r.user_name),
    ).toEqual(['alice', 'carol']);
  });

  it('applying the same sync twice yields the same rows (a retried job)', async () => {
    const db = t.current.db;
    const r = await nextRun();
    const target = { connectionId, runId: r };
    const snapshot = [user('alice', { tags: { email: 'a@example.com' } }), user('carol'), user('dave')];
    await writeEvidence(db, 'iam_users', target, snapshot);
    await retireMissing(db, 'iam_users', target, {}, snapshot);
    const rowsAfterFirst = await db.selectFrom('iam_users').selectAll().orderBy('id').execute();
    const again = await writeEvidence(db, 'iam_users', target, snapshot);
    expect(again.inserted + again.superseded + again.rewritten).toBe(0);
    await retireMissing(db, 'iam_users', target, {}, snapshot);
    expect(await db.selectFrom('iam_users').selectAll().orderBy('id').execute()).toEqual(rowsAfterFirst);

    // A retry that sees newer data for a version this run opened rewrites it instead of stacking versions.
    const rewritten = await writeEvidence(db, 'iam_users', target, [user('dave', { group_names: [] })]);
    expect(rewritten).toEqual({ inserted: 0, superseded: 0, rewritten: 1, unchanged: 0 });
    // And one this run opened that vanished before the retry is dropped: no run ever saw it.
    expect(await retireMissing(db, 'iam_users', target, {}, [user('alice'), user('carol')])).toBe(1);
    expect(await db.selectFrom('iam_users').select('id').where('user_name', '=', 'dave').execute()).toEqual(
      [],
    );
    await done(r);
    expect(await namesAsOf(r)).toEqual(['alice', 'carol']);
  });

  it('scopes retirement, so one repository’s branches do not retire another’s', async () => {
    const db = t.current.db;
    const r = await nextRun();
    const target = { connectionId, runId: r };
    const b = (repo: string, name: string) => ({ repository_id: repo, branch_name: name, commit_id: null });
    await writeEvidence(db, 'branches', target, [b('r1', 'main'), b('r1', 'dev'), b('r2', 'main')]);
    await done(r);
    const r2 = await nextRun();
    expect(
      await retireMissing(db, 'branches', { connectionId, runId: r2 }, { repository_id: 'r1' }, [
        b('r1', 'main'),
      ]),
    ).toBe(1);
    await done(r2);
    const current = await selectCurrent(db, 'branches', connectionId)
      .select(['repository_id', 'branch_name'])
      .orderBy('repository_id')
      .orderBy('branch_name')
      .execute();
    expect(current).toEqual([
      { repository_id: 'r1', branch_name: 'main' },
      { repository_id: 'r2', branch_name: 'main' },
    ]);
  });
});
