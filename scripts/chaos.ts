/**
 * `pnpm chaos`: the fault suite (never part of `pnpm test` or CI). See HELP below and the README's
 * "Fault suite" section.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  activateConnection,
  createConnection,
  createDb,
  createOrGetActiveSyncRun,
  createTenant,
  type Database,
  migrateToLatest,
  upsertPeople,
} from '@codecommit-evidence/evidence-store';
import {
  type FakeAws,
  type FaultRuleInput,
  GENERATED_DEFAULTS,
  generateScenario,
  startFakeAws,
} from '@codecommit-evidence/fake-aws';
import {
  addSyncRunFlow,
  closeQueues,
  createFlowProducer,
  createQueues,
  createRedisConnection,
  jobIds,
  QUEUES,
} from '@codecommit-evidence/queues';
import { type Kysely, sql } from 'kysely';
import {
  type Comparison,
  compare,
  type Difference,
  differencesWhole,
  keepDifferencesWhole,
  type Snapshot,
  snapshot,
} from './chaos/compare.js';
import {
  Cleanup,
  type PrivatePostgres,
  type PrivateRedis,
  sleep,
  startPrivatePostgres,
  startPrivateRedis,
} from './chaos/infra.js';
import { Supervisor, type WorkerName } from './chaos/workers.js';

const HELP = `Usage: pnpm chaos [options]

Syncs a generated account cleanly once (the baseline), then again from an empty store under faults,
and compares each run's evidence (by natural key and content) and findings (one by one) with the
baseline. Starts everything it needs and removes it at the end, on failure and on Ctrl-C too: a
private Postgres (initdb + pg_ctl from PG_BIN, default /usr/lib/postgresql/15/bin; as root, run as the
postgres user) and a private Redis (redis-server, AOF on), each on a free port in a temp dir; fake-aws
in this process; repo-sync, iam-sync and checks-evaluator as processes (their dist/, so build first:
the package script does). Never touches DATABASE_URL / REDIS_URL.

Runs:
  baseline    clean sync
  crash       SIGKILLs of each worker at seeded random points (the evaluator while its job is active),
              a Redis kill -9 and restart, a Postgres fast stop and restart, 5 % 5xx and tight
              throttling, all in one run; must equal the baseline exactly
  malformed   one run per operation the baseline called: one answer of that operation is malformed
              (the fault knob's wrong-type or truncated, times 1), in a re-sync of a cleanly synced
              store (a first sync for the per-pull-request reads, which a re-sync does not make
              again for a closed pull request); the only differences allowed are
              the malformed scope's: findings turned unknown whose reason names a scope the run
              recorded a gap on (and checks turned unknown), its evidence withheld (rows absent,
              or members not collected), and a fail kept on collected evidence (its reason names
              the gap, its evidence the baseline's with the gap's part withheld); anything else is
              a difference: a finding absent or judged otherwise, a pass or not_applicable changed
              at all, a fail explained otherwise, evidence changed or added
              (scripts/chaos/compare.ts). An operation a re-sync never calls is run as a first sync;
              a run in which nothing was malformed fails

Options:
  --repos N            repositories (default 50)
  --prs N              pull requests per repository (default 10)
  --users N            IAM users (default 100)
  --seed N             seed of the fault schedule (default: random, printed)
  --runs LIST          which runs, comma-separated: crash,malformed (default both; the baseline always)
  --crash-runs N       crash runs, each with its own schedule from the seed (default 1)
  --kinds LIST         malformed kinds: alternate (default: wrong-type and truncated by turns, one run
                       per operation), or wrong-type,truncated (a run per operation and kind)
  --operations LIST    malformed runs only for these operations (service:Operation, comma-separated)
  --throttle-rps N     fake-aws CodeCommit rate in the crash run, per second (default 40; IAM gets N/4)
  --fault-rate P       5xx probability in the crash run (default 0.05)
  --redis-fsync MODE   always | everysec (default always)
  --timeout-s N        give up on a run after N seconds (default: 10 x baseline + 180)
  --full               print every difference whole (default: three of each kind, shortened)
  --dump DIR           write each run's snapshot (evidence, findings, checks, problems) to DIR as JSON
  --help               this text

Exit status: 0 when every run holds, 1 when a run differs or does not finish, 2 on bad arguments.`;

interface Options {
  repos: number;
  prs: number;
  users: number;
  seed: number;
  runs: Set<string>;
  crashRuns: number;
  kinds: ('wrong-type' | 'truncated')[] | 'alternate';
  operations?: Set<string>;
  throttleRps: number;
  faultRate: number;
  redisFsync: 'always' | 'everysec';
  timeoutS?: number;
  dump?: string;
}

class UsageError extends Error {}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new UsageError(`--${name} must be a positive integer, got "${raw}"`);
  return Number(raw);
}

function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      repos: { type: 'string' },
      prs: { type: 'string' },
      users: { type: 'string' },
      seed: { type: 'string' },
      runs: { type: 'string' },
      'crash-runs': { type: 'string' },
      kinds: { type: 'string' },
      operations: { type: 'string' },
      'throttle-rps': { type: 'string' },
      'fault-rate': { type: 'string' },
      'redis-fsync': { type: 'string' },
      'timeout-s': { type: 'string' },
      full: { type: 'boolean' },
      dump: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  if (values.full) keepDifferencesWhole();
  const list = (raw: string | undefined, allowed: string[], name: string, fallback: string[]) => {
    const items = raw === undefined ? fallback : raw.split(',').filter(Boolean);
    for (const item of items)
      if (!allowed.includes(item))
        throw new UsageError(`--${name}: unknown "${item}" (expected ${allowed.join(', ')})`);
    return items;
  };
  const faultRate = values['fault-rate'] === undefined ? 0.05 : Number(values['fault-rate']);
  if (!(faultRate >= 0 && faultRate <= 1))
    throw new UsageError(`--fault-rate must be between 0 and 1, got "${values['fault-rate']}"`);
  const fsync = values['redis-fsync'] ?? 'always';
  if (fsync !== 'always' && fsync !== 'everysec')
    throw new UsageError(`--redis-fsync must be always or everysec, got "${fsync}"`);
  const operations = values.operations?.split(',').filter(Boolean);
  for (const op of operations ?? [])
    if (!/^(codecommit|iam|sts):[A-Za-z]+$/.test(op))
      throw new UsageError(`--operations: expected service:Operation, got "${op}"`);
  return {
    repos: positiveInt('repos', values.repos, 50),
    prs: positiveInt('prs', values.prs, 10),
    users: positiveInt('users', values.users, 100),
    seed:
      values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : positiveInt('seed', values.seed, 1),
    runs: new Set(list(values.runs, ['crash', 'malformed'], 'runs', ['crash', 'malformed'])),
    crashRuns: positiveInt('crash-runs', values['crash-runs'], 1),
    kinds:
      values.kinds === undefined || values.kinds === 'alternate'
        ? 'alternate'
        : (list(values.kinds, ['wrong-type', 'truncated'], 'kinds', []) as ('wrong-type' | 'truncated')[]),
    operations: operations ? new Set(operations) : undefined,
    throttleRps: positiveInt('throttle-rps', values['throttle-rps'], 40),
    faultRate,
    redisFsync: fsync,
    timeoutS:
      values['timeout-s'] === undefined ? undefined : positiveInt('timeout-s', values['timeout-s'], 1),
    dump: values.dump,
  };
}

/** mulberry32, as the scenario generator uses: a seeded schedule is replayable. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const log = (message: string) => process.stdout.write(`${message}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface RunPlan {
  name: string;
  mode: 'exact' | 'malformed';
  faults?: FaultRuleInput[];
  faultRate?: number;
  rates?: { codecommit?: number; iam?: number; sts?: number };
  /** Disruptions at offsets from the start (ms); the evaluator's is taken when its job is active. */
  disruptions?: { at: number; what: 'kill' | 'redis' | 'postgres'; worker?: WorkerName }[];
  evaluatorKill?: { delayMs: number };
  random?: () => number;
  /**
   * Sync cleanly first, then run the plan as a re-sync of that store (faults set only then): what a
   * fault does to evidence that was already there, which is what the missing-data rule protects.
   */
  resync?: boolean;
}

/**
 * Operations read only for pull requests not stored yet (a re-sync does not read a closed pull request
 * again): their malformed runs are first syncs; every other operation's is a re-sync of a clean store,
 * whose evidence the fault must leave as it was.
 */
const FIRST_SYNC_OPERATIONS = new Set([
  'codecommit:GetPullRequest',
  'codecommit:GetPullRequestApprovalStates',
  'codecommit:EvaluatePullRequestApprovalRules',
  'codecommit:GetPullRequestOverrideState',
  'codecommit:DescribePullRequestEvents',
]);

interface RunResult {
  plan: RunPlan;
  ok: boolean;
  finished: boolean;
  elapsedMs: number;
  recoveryMs?: number;
  kills: Record<string, number>;
  ownExits: { worker: string; code: number | null; signal: string | null; tail: string }[];
  missed: string[];
  injected: number;
  /** fake-aws answers: 5xx (fault rate and rules) and throttling errors. */
  faulted: number;
  throttled: number;
  snapshot?: Snapshot;
  comparison?: Comparison;
  stuck?: string;
  calls?: Record<string, number>;
}

interface Context {
  options: Options;
  cleanup: Cleanup;
  pg: PrivatePostgres;
  redis: PrivateRedis;
  scenario: ReturnType<typeof generateScenario>;
  people: { email: string; name: string; status: 'active' | 'offboarded'; offboardedAt: string | null }[];
  template: string;
  runs: number;
  baselineMs?: number;
}

async function runOnce(ctx: Context, plan: RunPlan): Promise<RunResult> {
  const n = ++ctx.runs;
  const database = `cce_chaos_run_${n}`;
  const admin = createDb(ctx.pg.url('postgres'), { max: 1 });
  await sql`create database ${sql.id(database)} template ${sql.id(ctx.template)}`.execute(admin);
  await admin.destroy();
  const url = ctx.pg.url(database);
  const db = createDb(url, { max: 2, onConnectionError: () => {} });
  const prefix = `{cce-chaos-${n}}`;
  const fake: FakeAws = await startFakeAws({
    scenario: ctx.scenario,
    credentialReportDelayMs: 1000,
    faultRate: plan.faultRate ?? 0,
    rates: plan.rates ?? {},
    faults: plan.resync ? [] : (plan.faults ?? []),
  });
  const result: RunResult = {
    plan,
    ok: false,
    finished: false,
    elapsedMs: 0,
    kills: {},
    ownExits: [],
    missed: [],
    injected: 0,
    faulted: 0,
    throttled: 0,
  };
  const redis = createRedisConnection(ctx.redis.url, 'producer');
  redis.on('error', () => {});
  const flow = createFlowProducer(redis, prefix);
  const queues = createQueues(redis, prefix);
  const random = plan.random ?? Math.random;
  const supervisor = new Supervisor(
    {
      DATABASE_URL: url,
      REDIS_URL: ctx.redis.url,
      QUEUE_PREFIX: prefix,
      AWS_ENDPOINT_URL: fake.url,
      AWS_REGION: GENERATED_DEFAULTS.region,
      AWS_ACCESS_KEY_ID: fake.platformCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: fake.platformCredentials.secretAccessKey,
      LOG_LEVEL: 'warn',
      CODECOMMIT_RPS: '500',
      IAM_RPS: '500',
      AWS_ACCOUNT_CONCURRENCY: '16',
      CREDENTIAL_REPORT_POLL_INTERVAL_MS: '200',
      SHUTDOWN_TIMEOUT_MS: '5000',
    },
    () => 500 + Math.floor(random() * 1500),
  );
  // On Ctrl-C the workers go too (they run until stopped, and would outlive this process).
  ctx.cleanup.add(`workers of run ${n}`, () => supervisor.stopAll());
  const bump = (what: string) => {
    result.kills[what] = (result.kills[what] ?? 0) + 1;
  };
  let lastDisruptionAt = 0;
  try {
    const { tenant } = await createTenant(db, `chaos ${n}`);
    const connection = await createConnection(db, { tenantId: tenant.id, name: plan.name });
    await db
      .updateTable('connections')
      .set({ external_id: GENERATED_DEFAULTS.productRole.externalId })
      .where('id', '=', connection.id)
      .execute();
    await activateConnection(db, connection.id, {
      roleArn: `arn:aws:iam::${GENERATED_DEFAULTS.accountId}:role/${GENERATED_DEFAULTS.productRole.roleName}`,
      accountId: GENERATED_DEFAULTS.accountId,
      region: GENERATED_DEFAULTS.region,
      permissions: {},
      warnings: [],
    });
    await upsertPeople(db, tenant.id, ctx.people);
    supervisor.startAll();
    if (plan.resync) {
      const first = await createOrGetActiveSyncRun(db, connection.id, 'api');
      await addSyncRunFlow(flow, { connectionId: connection.id, runId: first.run.id });
      const limit = Date.now() + (ctx.baselineMs ? ctx.baselineMs * 5 + 120_000 : 600_000);
      for (;;) {
        const status = await db
          .selectFrom('sync_runs')
          .select('status')
          .where('id', '=', first.run.id)
          .executeTakeFirst();
        const evaluated = await db
          .selectFrom('check_runs')
          .select('id')
          .where('sync_run_id', '=', first.run.id)
          .executeTakeFirst();
        if (evaluated && status && status.status !== 'running') break;
        if (Date.now() > limit) throw new Error(`${plan.name}: the clean first sync did not finish`);
        await sleep(250);
      }
      fake.setFaults(plan.faults ?? []);
      fake.resetStats();
    }
    const { run } = await createOrGetActiveSyncRun(db, connection.id, 'api');
    const started = Date.now();
    await addSyncRunFlow(flow, { connectionId: connection.id, runId: run.id });

    const timeoutMs =
      (ctx.options.timeoutS ?? 0) * 1000 || (ctx.baselineMs ? ctx.baselineMs * 10 + 180_000 : 600_000);
    const pending = [...(plan.disruptions ?? [])].sort((a, b) => a.at - b.at);
    let evaluatorKill = plan.evaluatorKill;
    let checkRunId: number | undefined;
    while (checkRunId === undefined) {
      const now = Date.now();
      if (now - started > timeoutMs) break;
      const due = pending[0] && pending[0].at <= now - started ? pending.shift() : undefined;
      if (due) {
        lastDisruptionAt = Date.now();
        if (due.what === 'kill' && due.worker) {
          if (supervisor.kill9(due.worker)) bump(due.worker);
          else {
            // Still restarting after an earlier kill (or its own exit): kill it once it is back.
            pending.push({ ...due, at: due.at + 500 });
            pending.sort((a, b) => a.at - b.at);
          }
        } else if (due.what === 'redis') {
          await ctx.redis.kill9();
          bump('redis');
          await sleep(1000);
          await ctx.redis.start();
        } else if (due.what === 'postgres') {
          await ctx.pg.stopFast();
          bump('postgres');
          await sleep(2000);
          await ctx.pg.start();
        }
        lastDisruptionAt = Date.now();
      }
      if (evaluatorKill) {
        const state = await queues[QUEUES.checks]
          .getJob(jobIds.evaluate(run.id))
          .then((job) => job?.getState())
          .catch(() => undefined);
        if (state === 'active') {
          await sleep(evaluatorKill.delayMs);
          if (supervisor.kill9('checks-evaluator')) bump('checks-evaluator');
          lastDisruptionAt = Date.now();
          evaluatorKill = undefined;
        }
      }
      checkRunId = await db
        .selectFrom('check_runs')
        .select('id')
        .where('sync_run_id', '=', run.id)
        .executeTakeFirst()
        .then((r) => r?.id)
        .catch(() => undefined);
      if (checkRunId === undefined) await sleep(evaluatorKill ? 50 : 250);
    }
    const finishedAt = Date.now();
    result.elapsedMs = finishedAt - started;
    if (evaluatorKill) result.missed.push('checks-evaluator kill: its job was never seen active');
    for (const d of pending)
      result.missed.push(`${d.worker ?? d.what} at ${seconds(d.at)}: the run ended first`);
    const lastEvent = Math.max(lastDisruptionAt, supervisor.lastRestartAt);
    if (lastEvent > 0) result.recoveryMs = finishedAt - lastEvent;
    result.ownExits = supervisor.exits
      .filter((e) => !e.ordered)
      .map((e) => ({ worker: e.worker, code: e.code, signal: e.signal, tail: e.tail }));
    result.injected = Object.values(fake.stats().injected).reduce((a, b) => a + b, 0);
    const stats = fake.stats();
    result.calls = stats.calls;
    const sum = (counter: Record<string, number>) => Object.values(counter).reduce((a, b) => a + b, 0);
    result.faulted = sum(stats.faulted);
    result.throttled = sum(stats.throttled);
    if (checkRunId === undefined) {
      const counts = await Promise.all(
        Object.values(QUEUES).map(async (q) => `${q}: ${JSON.stringify(await queues[q].getJobCounts())}`),
      ).catch((e: Error) => [e.message]);
      result.stuck = `no check run after ${seconds(result.elapsedMs)}; jobs ${counts.join('; ')}\n${supervisor.tails()}`;
      return result;
    }
    // The evaluator writes the check run before the sync run's final status: wait for it briefly.
    for (let i = 0; i < 40; i++) {
      const status = await db
        .selectFrom('sync_runs')
        .select('status')
        .where('id', '=', run.id)
        .executeTakeFirst();
      if (status && status.status !== 'running') break;
      await sleep(250);
    }
    result.finished = true;
    result.snapshot = await snapshot(db, {
      connectionId: connection.id,
      tenantId: tenant.id,
      runId: run.id,
      checkRunId,
    });
    return result;
  } finally {
    await supervisor.stopAll();
    await closeQueues(queues).catch(() => {});
    await flow.close().catch(() => {});
    redis.disconnect();
    await db.destroy().catch(() => {});
    await fake.close();
  }
}

function crashPlan(ctx: Context, index: number): RunPlan {
  const random = prng(ctx.options.seed + index * 7919);
  const span = ctx.baselineMs ?? 30_000;
  const at = () => Math.floor(span * (0.1 + 0.8 * random()));
  const disruptions: NonNullable<RunPlan['disruptions']> = [
    { at: at(), what: 'kill', worker: 'repo-sync' },
    { at: at(), what: 'kill', worker: 'repo-sync' },
    { at: at(), what: 'kill', worker: 'iam-sync' },
    { at: at(), what: 'kill', worker: 'checks-evaluator' },
    { at: at(), what: 'redis' },
    { at: at(), what: 'postgres' },
  ];
  return {
    name: `crash ${index + 1}`,
    mode: 'exact',
    faultRate: ctx.options.faultRate,
    rates: {
      codecommit: ctx.options.throttleRps,
      iam: Math.max(1, Math.floor(ctx.options.throttleRps / 4)),
      sts: Math.max(1, Math.floor(ctx.options.throttleRps / 8)),
    },
    disruptions,
    evaluatorKill: { delayMs: Math.floor(random() * 300) },
    random,
  };
}

function describePlan(plan: RunPlan): string {
  const parts: string[] = [];
  if (plan.faultRate) parts.push(`${plan.faultRate * 100} % 5xx`);
  if (plan.rates && Object.keys(plan.rates).length > 0)
    parts.push(
      `throttle ${Object.entries(plan.rates)
        .map(([k, v]) => `${k}=${v}/s`)
        .join(' ')}`,
    );
  for (const d of plan.disruptions ?? [])
    parts.push(
      `${d.what === 'kill' ? `kill -9 ${d.worker}` : d.what === 'redis' ? 'redis kill -9' : 'postgres fast stop'} @${seconds(d.at)}`,
    );
  if (plan.evaluatorKill)
    parts.push(`kill -9 checks-evaluator ${plan.evaluatorKill.delayMs} ms into its job`);
  for (const f of plan.faults ?? []) parts.push(`${f.operation} ${f.kind}`);
  return parts.join(', ');
}

function report(result: RunResult): boolean {
  const { plan } = result;
  const kills =
    Object.entries(result.kills)
      .map(([k, v]) => `${k}×${v}`)
      .join(' ') || 'none';
  log(`\n== ${plan.name}: ${describePlan(plan) || 'clean'}`);
  log(
    `   elapsed ${seconds(result.elapsedMs)}; disruptions ${kills}${result.recoveryMs !== undefined ? `; recovery ${seconds(result.recoveryMs)} after the last disruption or restart` : ''}; answers changed by fault rules ${result.injected}, 5xx ${result.faulted}, throttled ${result.throttled}`,
  );
  for (const m of result.missed) log(`   not done: ${m}`);
  for (const e of result.ownExits)
    log(
      `   worker exit not ordered: ${e.worker} code=${e.code} signal=${e.signal}\n      ${e.tail.replaceAll('\n', '\n      ')}`,
    );
  if (result.stuck) {
    log(`   STUCK: ${result.stuck}`);
    return false;
  }
  const s = result.snapshot!;
  log(
    `   sync run ${s.runStatus}${s.partial ? ' (check run partial)' : ''}; problems ${s.problems.length}${s.problems.length ? `: ${[...new Set(s.problems.map((p) => `${p.step} ${p.code}`))].slice(0, 6).join('; ')}` : ''}`,
  );
  const c = result.comparison;
  if (!c) return true;
  log(
    `   compared ${c.evidenceRowsCompared} evidence rows, ${c.findingsCompared} findings; differences ${c.defects.length}${plan.mode === 'malformed' ? ` (and allowed: ${c.allowed.length})` : ''}`,
  );
  const byKind = (list: Difference[]) => {
    const groups = new Map<string, Difference[]>();
    for (const d of list) groups.set(d.kind, [...(groups.get(d.kind) ?? []), d]);
    return groups;
  };
  for (const [kind, list] of byKind(c.allowed)) log(`   allowed  ${kind}: ${list.length}`);
  for (const [kind, list] of byKind(c.defects)) {
    log(`   DIFF ${kind}: ${list.length}`);
    for (const d of differencesWhole() ? list : list.slice(0, 3))
      log(`      ${d.what} ${d.key}: ${d.detail}`);
  }
  if (plan.mode === 'malformed' && result.injected === 0) {
    // Nothing was malformed: the run proves nothing, and must not count as held.
    log('   NOT EXERCISED: no answer of the operation was malformed');
    return false;
  }
  if (plan.mode === 'malformed' && result.injected > 0 && s.problems.length === 0)
    log('   the malformed answer was taken as valid: no fault recorded on the run');
  return c.defects.length === 0;
}

async function main(argv: string[]): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`chaos: ${(error as Error).message}\nRun "pnpm chaos --help" for usage.\n`);
      return 2;
    }
    throw error;
  }
  if (options === 'help') {
    log(HELP);
    return 0;
  }
  const cleanup = new Cleanup();
  const onSignal = (signal: NodeJS.Signals) => {
    log(`\nchaos: ${signal}, cleaning up…`);
    void cleanup.run().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const startedAt = Date.now();
  try {
    log(
      `chaos: seed ${options.seed}; account ${options.repos} repositories × ${options.prs} pull requests × ${options.users} users`,
    );
    const [pg, redis] = await Promise.all([
      startPrivatePostgres(cleanup),
      startPrivateRedis(cleanup, { fsync: options.redisFsync }),
    ]);
    log(
      `chaos: private postgres on port ${pg.port}, redis on port ${redis.port} (appendfsync ${options.redisFsync})`,
    );
    const template = 'cce_chaos_template';
    const admin = createDb(pg.url('postgres'), { max: 1 });
    await sql`create database ${sql.id(template)}`.execute(admin);
    await admin.destroy();
    const tdb: Kysely<Database> = createDb(pg.url(template), { max: 1 });
    await migrateToLatest(tdb);
    await tdb.destroy();
    const scenario = generateScenario({
      repos: options.repos,
      prsPerRepo: options.prs,
      users: options.users,
      seed: 1,
    });
    // Every tenth user belongs to an offboarded person: the offboarding check has both outcomes to judge.
    const people = scenario.account.users.map((u, i) => ({
      email: `${u.userName}@example.com`,
      name: u.userName,
      status: i % 10 === 9 ? ('offboarded' as const) : ('active' as const),
      offboardedAt: i % 10 === 9 ? '2026-10-01' : null,
    }));
    const ctx: Context = { options, cleanup, pg, redis, scenario, people, template, runs: 0 };

    // Snapshots as JSON (Maps as objects): to study a run's differences, or a rule, without re-running.
    const dump = (result: RunResult) => {
      if (!options.dump || !result.snapshot) return;
      mkdirSync(options.dump, { recursive: true });
      const plain = JSON.stringify(
        { name: result.plan.name, ...result.snapshot },
        (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v),
        1,
      );
      writeFileSync(join(options.dump, `${ctx.runs}.json`), plain);
    };
    const baseline = await runOnce(ctx, { name: 'baseline', mode: 'exact' });
    dump(baseline);
    let ok = report(baseline);
    if (!baseline.snapshot) return 1;
    ctx.baselineMs = baseline.elapsedMs;
    const results: RunResult[] = [baseline];

    const plans: RunPlan[] = [];
    if (options.runs.has('crash')) for (let i = 0; i < options.crashRuns; i++) plans.push(crashPlan(ctx, i));
    if (options.runs.has('malformed')) {
      const operations = Object.keys(baseline.calls ?? {})
        .filter((op) => !options.operations || options.operations.has(op))
        .sort();
      operations.forEach((operation, i) => {
        const kinds =
          options.kinds === 'alternate'
            ? ([i % 2 === 0 ? 'wrong-type' : 'truncated'] as const)
            : options.kinds;
        for (const kind of kinds)
          plans.push({
            name: `malformed ${operation} ${kind}${FIRST_SYNC_OPERATIONS.has(operation) ? '' : ' (re-sync)'}`,
            mode: 'malformed',
            faults: [{ operation, kind, times: 1 }],
            resync: !FIRST_SYNC_OPERATIONS.has(operation),
          });
      });
    }
    for (const planned of plans) {
      let plan = planned;
      let result = await runOnce(ctx, plan);
      if (plan.mode === 'malformed' && plan.resync && result.finished && result.injected === 0) {
        // A re-sync need not call it again (the role's credentials are cached by the workers, a fresh
        // credential report is not regenerated): the fault is exercised on a first sync instead.
        log(`\n== ${plan.name}: the re-sync never called it; run again as a first sync`);
        plan = { ...plan, name: plan.name.replace(' (re-sync)', ' (first sync)'), resync: false };
        result = await runOnce(ctx, plan);
      }
      dump(result);
      if (result.snapshot) result.comparison = compare(baseline.snapshot, result.snapshot, plan.mode);
      results.push(result);
      ok = report(result) && ok;
    }

    const totalKills = results.reduce((a, r) => a + Object.values(r.kills).reduce((x, y) => x + y, 0), 0);
    const rows = results.reduce((a, r) => a + (r.comparison?.evidenceRowsCompared ?? 0), 0);
    const findings = results.reduce((a, r) => a + (r.comparison?.findingsCompared ?? 0), 0);
    const diffs = results.reduce((a, r) => a + (r.comparison?.defects.length ?? 0), 0);
    const failed = results
      .filter((r) => r.stuck || (r.comparison?.defects.length ?? 0) > 0)
      .map((r) => r.plan.name);
    const recoveries = results.flatMap((r) =>
      r.plan.disruptions && r.recoveryMs !== undefined ? [r.recoveryMs] : [],
    );
    log(`\n== chaos summary (seed ${options.seed}, ${options.repos}×${options.prs}×${options.users})`);
    log(
      `   runs ${results.length} (baseline ${seconds(baseline.elapsedMs)}); disruptions ${totalKills}; recovery ${recoveries.map(seconds).join(', ') || 'n/a'}`,
    );
    log(`   compared ${rows} evidence rows and ${findings} findings; differences ${diffs}`);
    log(
      `   ${ok ? 'every run held' : `FAILED: ${failed.join('; ') || 'see above'}`}; total ${seconds(Date.now() - startedAt)}`,
    );
    return ok ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
