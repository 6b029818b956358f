import { useTestDatabase } from '@codecommit-evidence/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createConnection, updateConnection } from './connections.js';
import {
  addAwsCalls,
  createOrGetActiveSyncRun,
  finishSyncRun,
  getAwsCalls,
  getSyncRun,
  listSyncProblems,
  recordSyncProblem,
} from './sync-runs.js';
import { createTenant } from './tenants.js';

describe('sync runs', () => {
  const t = useTestDatabase();
  let connectionId: string;
  beforeAll(async () => {
    const { tenant } = await createTenant(t.current.db, 'acme');
    connectionId = (await createConnection(t.current.db, { tenantId: tenant.id, name: 'prod' })).id;
  });

  it('returns the active run instead of starting a second one, and starts a new one once it finished', async () => {
    const db = t.current.db;
    const first = await createOrGetActiveSyncRun(db, connectionId, 'connect');
    const again = await createOrGetActiveSyncRun(db, connectionId, 'api');
    expect(first.created).toBe(true);
    expect(again).toEqual({ run: first.run, created: false });
    await finishSyncRun(db, first.run.id, 'succeeded');
    const next = await createOrGetActiveSyncRun(db, connectionId, 'schedule');
    expect(next.created).toBe(true);
    expect(next.run.id).toBeGreaterThan(first.run.id);
    await finishSyncRun(db, next.run.id, 'succeeded');
  });

  it('replaces a run left unfinished for longer than the stale bound, marking it failed as abandoned', async () => {
    const db = t.current.db;
    const stuck = await createOrGetActiveSyncRun(db, connectionId, 'schedule');
    const later = new Date(Date.now() + 25 * 3600 * 1000);
    const fresh = await createOrGetActiveSyncRun(db, connectionId, 'schedule', { now: later });
    expect(fresh.created).toBe(true);
    const old = await getSyncRun(db, stuck.run.id);
    expect(old?.status).toBe('failed');
    expect(old?.error).toMatchObject({ code: 'abandoned' });
    // Within the bound nothing is replaced.
    expect(await createOrGetActiveSyncRun(db, connectionId, 'api')).toEqual({
      run: fresh.run,
      created: false,
    });
    await finishSyncRun(db, fresh.run.id, 'succeeded');
  });

  it('stores and compares times by the application clock alone, never the database server', async () => {
    const db = t.current.db;
    // Far from the database's own clock: a database default or now() would show at once.
    const appNow = new Date('2041-03-01T12:00:00.000Z');
    const hours = (h: number) => new Date(appNow.getTime() + h * 3600_000);
    const { run } = await createOrGetActiveSyncRun(db, connectionId, 'api', { now: appNow });
    expect(run.created_at).toEqual(appNow);
    expect(await createOrGetActiveSyncRun(db, connectionId, 'api', { now: hours(23) })).toEqual({
      run,
      created: false,
    });
    const replaced = await createOrGetActiveSyncRun(db, connectionId, 'api', { now: hours(25) });
    expect(replaced.created).toBe(true);
    expect(await getSyncRun(db, run.id)).toMatchObject({ status: 'failed', finished_at: hours(25) });
    await recordSyncProblem(
      db,
      replaced.run.id,
      { step: 'sync', kind: 'warning', code: 'w', message: 'm' },
      hours(26),
    );
    expect((await listSyncProblems(db, replaced.run.id))[0]?.created_at).toEqual(hours(26));
    await finishSyncRun(db, replaced.run.id, 'succeeded', undefined, hours(27));
    expect((await getSyncRun(db, replaced.run.id))?.finished_at).toEqual(hours(27));
  });

  it('adds call counts per operation and records each problem once', async () => {
    const db = t.current.db;
    const { run } = await createOrGetActiveSyncRun(db, connectionId, 'api');
    await addAwsCalls(db, run.id, {
      'codecommit:ListRepositories': 2,
      'iam:ListUsers': { calls: 3, throttled: 1 },
    });
    await addAwsCalls(db, run.id, { 'codecommit:ListRepositories': 1 });
    expect(await getAwsCalls(db, run.id)).toEqual({
      'codecommit:ListRepositories': { calls: 3, throttled: 0 },
      'iam:ListUsers': { calls: 3, throttled: 1 },
    });
    const problem = {
      step: 'iam:ssh-keys',
      kind: 'missing_permission' as const,
      code: 'access_denied',
      action: 'iam:ListSSHPublicKeys',
      message: 'denied',
    };
    await recordSyncProblem(db, run.id, problem);
    await recordSyncProblem(db, run.id, problem);
    expect(await listSyncProblems(db, run.id)).toHaveLength(1);
    await finishSyncRun(db, run.id, 'partial');
  });

  it("keeps the connection's account, Region and audit window as they were when the run was created", async () => {
    const db = t.current.db;
    await updateConnection(db, connectionId, {
      aws_account_id: '111122223333',
      region: 'us-east-1',
      audit_window_days: 90,
    });
    const { run } = await createOrGetActiveSyncRun(db, connectionId, 'api');
    await updateConnection(db, connectionId, { region: 'eu-west-1', audit_window_days: 30 });
    expect(await getSyncRun(db, run.id)).toMatchObject({
      aws_account_id: '111122223333',
      region: 'us-east-1',
      audit_window_days: 90,
    });
    await finishSyncRun(db, run.id, 'succeeded');
  });
});
