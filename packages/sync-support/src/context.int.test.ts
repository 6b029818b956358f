import { getBranch, listBranches, listRepositories } from '@codecommit-evidence/aws-clients';
import {
  activateConnection,
  createConnection,
  createOrGetActiveSyncRun,
  createTenant,
  finishSyncRun,
  getAwsCalls,
  getSyncRun,
  listSyncProblems,
  updateConnection,
} from '@codecommit-evidence/evidence-store';
import {
  type FakeAws,
  GENERATED_DEFAULTS,
  generateScenario,
  startFakeAws,
} from '@codecommit-evidence/fake-aws';
import { useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import { UnrecoverableError } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isMissing, Missing } from './call.js';
import { openSyncContext, type SyncContext, withSyncContext } from './context.js';
import { createSyncWorkerDeps, type SyncAwsLimits, type SyncWorkerDeps } from './deps.js';
import { SyncError } from './errors.js';
import { inMemoryJobHandle } from './job.js';

const logger = pino({ level: 'silent' });
/** Attempt `attemptsMade + 1` of `attempts`. */
const attempt = (attemptsMade: number, attempts: number) => ({
  ...inMemoryJobHandle(),
  attemptsMade,
  attempts,
});
const ACCOUNT = GENERATED_DEFAULTS.accountId;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${GENERATED_DEFAULTS.productRole.roleName}`;
const scenario = generateScenario({ repos: 3, prsPerRepo: 2, users: 2, seed: 7 });
const limits: SyncAwsLimits = { codecommitRps: 200, iamRps: 50, accountConcurrency: 8, maxAttempts: 2 };

describe('sync context against fake-aws, Postgres and Redis', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  let fake: FakeAws;
  let redis: Redis;
  let deps: SyncWorkerDeps;
  let tenantId: string;

  const makeDeps = (l: SyncAwsLimits = limits) =>
    createSyncWorkerDeps({
      db: t.current.db,
      redis,
      logger,
      keyPrefix: r.current.prefix,
      limits: l,
      endpoint: fake.url,
      platformCredentials: fake.platformCredentials,
    });

  let mainConnection: string | undefined;
  /**
   * The connection to the fake account (External IDs are unique, and the fake role trusts one), with
   * a fresh run; another External ID gives another connection.
   */
  const connect = async (externalId: string = GENERATED_DEFAULTS.productRole.externalId) => {
    const isMain = externalId === GENERATED_DEFAULTS.productRole.externalId;
    let id = isMain ? mainConnection : undefined;
    if (!id) {
      const c = await createConnection(t.current.db, { tenantId, name: `c-${externalId}` });
      await t.current.db
        .updateTable('connections')
        .set({ external_id: externalId })
        .where('id', '=', c.id)
        .execute();
      await activateConnection(t.current.db, c.id, {
        roleArn: ROLE_ARN,
        accountId: ACCOUNT,
        region: 'us-east-1',
        permissions: {},
        warnings: [],
      });
      id = c.id;
      if (isMain) mainConnection = id;
    }
    const active = await createOrGetActiveSyncRun(t.current.db, id, 'api');
    if (!active.created) await finishSyncRun(t.current.db, active.run.id, 'succeeded');
    const { run } = active.created ? active : await createOrGetActiveSyncRun(t.current.db, id, 'api');
    return { connectionId: id, runId: run.id };
  };

  beforeAll(async () => {
    fake = await startFakeAws({ scenario });
    redis = new Redis(r.current.url, { maxRetriesPerRequest: null });
    tenantId = (await createTenant(t.current.db, 'acme')).tenant.id;
    deps = makeDeps();
  });
  afterAll(async () => {
    deps?.aws.destroy();
    redis?.disconnect();
    await fake?.close();
  });
  beforeEach(() => {
    fake.setScenario(scenario);
    fake.setOptions({ rates: {}, faultRate: 0 });
    fake.resetStats();
  });

  it('opens a context: run marked running, calls counted per operation and flushed into the run', async () => {
    const { connectionId, runId } = await connect();
    const ctx = await openSyncContext(deps, { connectionId, runId, step: 'codecommit:repositories' });
    try {
      const repos: string[] = [];
      for await (const repo of listRepositories(ctx.codecommit)) repos.push(repo.repositoryName!);
      for (const name of repos) for await (const _ of listBranches(ctx.codecommit, name));
      expect(repos).toHaveLength(3);
      expect(ctx.counter.snapshot()).toEqual({
        'codecommit:ListRepositories': 1,
        'codecommit:ListBranches': 3,
      });
      await ctx.flushCalls();
      expect(ctx.counter.snapshot()).toEqual({});
      await ctx.flushCalls(); // nothing new: adds nothing
    } finally {
      ctx.close();
    }
    expect(await getAwsCalls(t.current.db, runId)).toEqual({
      'codecommit:ListRepositories': { calls: 1, throttled: 0 },
      'codecommit:ListBranches': { calls: 3, throttled: 0 },
    });
    expect((await getSyncRun(t.current.db, runId))?.status).toBe('running');
    // What the fake saw matches what we stored.
    expect(fake.stats().calls['codecommit:ListBranches']).toBe(3);
  });

  it('shares one role session between jobs of the process (one AssumeRole)', async () => {
    const { connectionId, runId } = await connect();
    const own = makeDeps();
    try {
      fake.resetStats();
      await Promise.all(
        [1, 2, 3].map(() =>
          withSyncContext(own, { connectionId, runId, step: 's' }, async (ctx) => {
            for await (const _ of listRepositories(ctx.codecommit));
          }),
        ),
      );
      expect(fake.stats().calls['sts:AssumeRole']).toBe(1);
      expect(fake.stats().calls['codecommit:ListRepositories']).toBe(3);
    } finally {
      own.aws.destroy();
    }
  });

  it('withSyncContext flushes the counts even when the job fails, and records a final failure on the run', async () => {
    const { connectionId, runId } = await connect();
    const boom = new UnrecoverableError('boom');
    await expect(
      withSyncContext(deps, { connectionId, runId, step: 'codecommit:x' }, async (ctx) => {
        for await (const _ of listRepositories(ctx.codecommit));
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await getAwsCalls(t.current.db, runId)).toEqual({
      'codecommit:ListRepositories': { calls: 1, throttled: 0 },
    });
    const run = await getSyncRun(t.current.db, runId);
    expect(run?.steps['codecommit:x']?.status).toBe('failed');
    // A retryable failure that is not the last attempt is not recorded as a failed step.
    await expect(
      withSyncContext(deps, { connectionId, runId, step: 'codecommit:y', job: attempt(0, 3) }, async () => {
        throw new Error('transient');
      }),
    ).rejects.toThrow('transient');
    expect((await getSyncRun(t.current.db, runId))?.steps['codecommit:y']).toBeUndefined();
  });

  it('refuses inactive connections, finished runs and a role that does not trust the External ID', async () => {
    const { connectionId, runId } = await connect();
    await updateConnection(t.current.db, connectionId, { status: 'error' });
    await expect(openSyncContext(deps, { connectionId, runId, step: 's' })).rejects.toMatchObject({
      code: 'connection_not_active',
    });
    await updateConnection(t.current.db, connectionId, { status: 'active' });
    await finishSyncRun(t.current.db, runId, 'succeeded');
    await expect(openSyncContext(deps, { connectionId, runId, step: 's' })).rejects.toMatchObject({
      code: 'sync_run_finished',
    });

    const wrong = await connect('not-the-external-id');
    const err = await withSyncContext(
      deps,
      { ...wrong, step: 'codecommit:repositories' },
      async () => 1,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncError);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as SyncError).code).toBe('role_not_assumable');
    const problems = await listSyncProblems(t.current.db, wrong.runId);
    expect(problems.map((p) => [p.code, p.action])).toEqual([['role_not_assumable', 'sts:AssumeRole']]);
  });

  it('ctx.call: a denied call is recorded on its scope and not tried again, a required one fails for good, a deleted resource is gone, throttling is retried by the job until its last attempt, then a fault of its scope', async () => {
    fake.updateScenario((draft) => {
      const role = draft.account.roles.find((x) => x.roleName === GENERATED_DEFAULTS.productRole.roleName)!;
      role.inlinePolicies.push({
        name: 'deny-branches',
        document: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: 'codecommit:ListBranches', Resource: '*' }],
        },
      });
    });
    const { connectionId, runId } = await connect();
    const scope = 'codecommit:branches:repo-00001';
    const action = 'codecommit:ListBranches';
    const listThrottled = (ctx: SyncContext) =>
      Promise.all(
        [1, 2, 3].map(() =>
          ctx.call('codecommit:repositories', 'codecommit:ListRepositories', async () => {
            for await (const _ of listRepositories(ctx.codecommit));
          }),
        ),
      );
    const job = (attemptsMade: number) => attempt(attemptsMade, 3);
    await withSyncContext(
      deps,
      { connectionId, runId, step: 'codecommit:branches', job: job(0) },
      async (ctx) => {
        expect(ctx.finalAttempt).toBe(false);
        const branches = () => listBranches(ctx.codecommit, 'repo-00001').next();
        const denied = await ctx.call(scope, action, branches);
        expect(denied).toBeInstanceOf(Missing);
        expect((denied as Missing).reason).toBe('denied');
        fake.resetStats();
        // Known denied: answered without a call.
        expect(isMissing(await ctx.call(scope, action, branches))).toBe(true);
        expect(fake.stats().denied[action]).toBeUndefined();
        await expect(ctx.call(scope, action, branches, { required: true })).rejects.toMatchObject({
          code: 'access_denied',
          name: 'SyncError',
        });

        const gone = await ctx.call(scope, 'codecommit:GetBranch', () =>
          getBranch(ctx.codecommit, 'repo-00001', 'no-such-branch'),
        );
        expect(gone).toMatchObject({ reason: 'gone', awsCode: 'BranchDoesNotExistException' });

        // One request per second at the fake and a single attempt: some call is throttled. Not the last
        // attempt: rethrown for BullMQ to retry the job.
        fake.setOptions({ rates: { codecommit: 1 } });
        await expect(listThrottled(ctx)).rejects.toMatchObject({ code: 'throttled' });
      },
    );
    await withSyncContext(
      deps,
      { connectionId, runId, step: 'codecommit:branches', job: job(2) },
      async (ctx) => {
        expect(ctx.finalAttempt).toBe(true);
        const outcomes = await listThrottled(ctx);
        expect(outcomes.some((o) => isMissing(o) && o.reason === 'faulted')).toBe(true);
      },
    );
    fake.setOptions({ rates: {} });
    const problems = await listSyncProblems(t.current.db, runId);
    expect(problems.map((p) => [p.kind, p.step, p.action])).toEqual([
      ['missing_permission', scope, action],
      ['error', 'codecommit:repositories', 'codecommit:ListRepositories'],
    ]);
    const calls = await getAwsCalls(t.current.db, runId);
    expect(calls['codecommit:ListRepositories']?.throttled).toBeGreaterThanOrEqual(1);
  });

  it('two replicas share one per-account request rate through Redis', async () => {
    const { connectionId, runId } = await connect();
    const slow: SyncAwsLimits = { ...limits, codecommitRps: 4 };
    // Two processes' worth of deps: separate factories and limiters, same Redis prefix.
    const a = makeDeps(slow);
    const b = makeDeps(slow);
    try {
      // Warm the role sessions first so that only CodeCommit calls are timed.
      await Promise.all(
        [a, b].map((d) =>
          d.aws.credentialCache.get({
            connectionId,
            roleArn: ROLE_ARN,
            externalId: GENERATED_DEFAULTS.productRole.externalId,
            region: 'us-east-1',
          }),
        ),
      );
      const started = Date.now();
      await Promise.all(
        [a, b].map((d) =>
          withSyncContext(d, { connectionId, runId, step: 's' }, async (ctx) => {
            for (let i = 0; i < 6; i++) for await (const _ of listRepositories(ctx.codecommit));
          }),
        ),
      );
      const elapsed = Date.now() - started;
      // 12 calls at 4 per second, shared: at least two full windows after the first.
      expect(elapsed).toBeGreaterThanOrEqual(1_900);
      expect((await getAwsCalls(t.current.db, runId))['codecommit:ListRepositories']?.calls).toBe(12);
    } finally {
      a.aws.destroy();
      b.aws.destroy();
    }
  });
});
