/**
 * The evaluation benchmark behind `pnpm bench:evaluate [--repos 1000] [--prs 50] [--users 2000]
 * [--load] [--json]` (entry: scripts/bench-evaluate.ts). Generates (or reuses) the account and syncs it
 * once (`synced-account.ts` keeps the synced database between runs; `--load` fills it with the bench
 * loader, `loaded-account.ts`), then, on a scratch copy: one evaluation
 * by the checks-evaluator as its own process (wall, CPU, peak RSS, bytes written), a re-evaluation with
 * nothing changed, and the read API as its own process (p50/p95 and bytes of check results, findings
 * pages, every other paged read route, `/iam-users` cold and warm, each export's first byte, time, size and the API's
 * peak RSS). Prints a table with the goals of issue 15 and the ratio to each. Never part of `pnpm test`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDb, type Database } from '@codecommit-evidence/evidence-store';
import {
  closeQueues,
  createQueues,
  createRedisConnection,
  deleteKeysWithPrefix,
  enqueue,
} from '@codecommit-evidence/queues';
import { type Kysely, sql } from 'kysely';
import { type AccountSize, copyOfCache, dropCopy, ensureSyncedAccount } from './synced-account.js';

const log = (m: string) => process.stderr.write(`${m}\n`);

/** The checks-evaluator image's V8 heap limit (`NODE_OPTIONS` in the Dockerfile); a test keeps them equal. */
export const EVALUATOR_HEAP_MB = 640;

/** CPU seconds (user + system) of a process, from /proc (Linux; 100 ticks a second). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** Samples a process's resident memory every 20 ms until stopped; the peak in MB. */
function rssSampler(pid: number): () => number {
  let peak = statusKb(pid, 'VmRSS');
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, statusKb(pid, 'VmRSS'));
    } catch {}
  }, 20);
  return () => {
    clearInterval(timer);
    return Math.round(Math.max(peak, statusKb(pid, 'VmRSS')) / 1024);
  };
}

function spawnApp(app: string, env: Record<string, string>): ChildProcess {
  const cwd = fileURLToPath(new URL(`../../${app}`, import.meta.url));
  return spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/index.ts'], {
    cwd,
    // Any free health port: the fixed defaults collide with other workers on the machine (a test, a bench).
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', HEALTH_PORT: '0', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const CHECK_TABLES = [
  'check_runs',
  'check_results',
  'findings',
  'check_evidence_blobs',
  // The run's derived access, written with its first evaluation.
  'sync_run_access_state',
  'sync_run_access',
  'access_repository_lists',
];

async function checkStorageBytes(db: Kysely<Database>): Promise<number> {
  let total = 0;
  for (const t of CHECK_TABLES) {
    const r = await sql<{ n: string }>`select pg_total_relation_size(${t}::regclass)::text as n`.execute(db);
    total += Number(r.rows[0]?.n ?? 0);
  }
  return total;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

interface Timed {
  ms: number;
  bytes: number;
  body: string;
  status: number;
}

async function timedGet(base: string, path: string, apiKey: string): Promise<Timed> {
  const started = performance.now();
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
  const body = await res.text();
  return { ms: performance.now() - started, bytes: Buffer.byteLength(body), body, status: res.status };
}

interface ReadFigure {
  what: string;
  requests: number;
  p50: number;
  p95: number;
  maxBytes: number;
}

/** Pages through a paged read (following nextCursor) up to `pages` pages. */
async function pagedRead(
  base: string,
  apiKey: string,
  what: string,
  path: string,
  pages: number,
  startCursor?: string,
): Promise<ReadFigure & { first: Timed }> {
  const times: number[] = [];
  let maxBytes = 0;
  let cursor: string | undefined = startCursor;
  let first: Timed | undefined;
  for (let i = 0; i < pages; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const r = await timedGet(
      base,
      `${path}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`,
      apiKey,
    );
    if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
    first ??= r;
    times.push(r.ms);
    maxBytes = Math.max(maxBytes, r.bytes);
    cursor = (JSON.parse(r.body) as { nextCursor?: string | null }).nextCursor ?? undefined;
    if (!cursor) break;
  }
  return {
    what,
    requests: times.length,
    p50: quantile(times, 0.5),
    p95: quantile(times, 0.95),
    maxBytes,
    first: first!,
  };
}

/** The API's cursor of the pull request in the middle of the keyset (base64url JSON of its [name, id]). */
async function middleCursor(db: Kysely<Database>): Promise<string> {
  const r = await sql<{ name: string; id: string }>`
    select repository_name as name, id::text as id from pull_requests
    order by repository_name, id offset (select count(*) / 2 from pull_requests) limit 1`.execute(db);
  const row = r.rows[0]!;
  return Buffer.from(JSON.stringify([row.name, Number(row.id)])).toString('base64url');
}

interface ExportFigure {
  what: string;
  firstByteMs: number;
  totalMs: number;
  bytes: number;
  apiPeakRssMb: number;
}

async function timedExport(
  base: string,
  apiKey: string,
  apiPid: number,
  what: string,
  path: string,
): Promise<ExportFigure> {
  const sampler = rssSampler(apiPid);
  const started = performance.now();
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
  if (!res.body) throw new Error(`${what}: no body`);
  let firstByteMs = Number.NaN;
  let bytes = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - started;
    bytes += value.byteLength;
  }
  const totalMs = performance.now() - started;
  if (res.status !== 200) throw new Error(`${what}: HTTP ${res.status}`);
  return { what, firstByteMs, totalMs, bytes, apiPeakRssMb: sampler() };
}

async function evaluateOnce(
  queues: ReturnType<typeof createQueues>,
  evaluatorPid: number,
  payload: { connectionId: string; runId: number; rosterAsOf: string },
  jobId: string,
) {
  const cpuBefore = cpuSeconds(evaluatorPid);
  const sampler = rssSampler(evaluatorPid);
  const started = Date.now();
  await enqueue(queues, 'evaluate-checks', { ...payload, trigger: 'on_demand' }, { jobId, attempts: 1 });
  for (;;) {
    const job = await queues.checks.getJob(jobId);
    const state = await job?.getState();
    if (state === 'completed') break;
    if (state === 'failed') throw new Error(`evaluation failed: ${job?.failedReason}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const job = await queues.checks.getJob(jobId);
  return {
    wallSeconds: (Date.now() - started) / 1000,
    cpuSeconds: cpuSeconds(evaluatorPid) - cpuBefore,
    peakRssMb: sampler(),
    attemptsMade: job?.attemptsMade ?? 0,
    stalled: (job as unknown as { stalledCounter?: number })?.stalledCounter ?? 0,
  };
}

export async function runEvaluateBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      repos: { type: 'string', default: '1000' },
      prs: { type: 'string', default: '50' },
      users: { type: 'string', default: '2000' },
      json: { type: 'boolean', default: false },
      load: { type: 'boolean', default: false },
      // `--only evaluate`: stop after the evaluation and the re-evaluation (no API reads or exports:
      // at 10x the access-review export alone is 6.6 GB and takes minutes).
      only: { type: 'string' },
    },
  });
  if (values.only !== undefined && values.only !== 'evaluate')
    throw new Error(`--only ${values.only}: the one part that can be run alone is "evaluate"`);
  const evaluateOnly = values.only === 'evaluate';
  const size: AccountSize = {
    repos: Number(values.repos),
    prs: Number(values.prs),
    users: Number(values.users),
  };
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

  const cache = await ensureSyncedAccount(adminUrl, redisUrl, size, values.load ? 'load' : 'sync');
  log(
    cache.reused
      ? `reusing the ${values.load ? 'loaded' : 'synced'} account ${cache.cacheName}`
      : `${values.load ? 'loaded' : 'synced'} in ${cache.syncSeconds} s`,
  );
  const copy = await copyOfCache(adminUrl, cache.cacheName);
  const { account } = copy;
  const db = createDb(copy.url, { max: 2 });
  const prefix = `{cce-bench-${randomBytes(4).toString('hex')}}`;
  const producer = createRedisConnection(redisUrl, 'producer');
  const queues = createQueues(producer, prefix);
  const children: ChildProcess[] = [];
  try {
    // This machine's Postgres runs with autovacuum off, so neither the cache nor its copy ever had
    // statistics, and every plan was guessed from defaults (a bitmap scan and a sort of all 50,000 pull
    // requests for a page of 100). Production's autovacuum analyses after the sync's inserts: do what it
    // would, here and after each evaluation.
    await sql`analyze`.execute(db);
    const env = { DATABASE_URL: copy.url, REDIS_URL: redisUrl, QUEUE_PREFIX: prefix };
    // The evaluator runs with the V8 heap limit its image sets (Dockerfile, checks-evaluator stage): in a
    // long-lived worker the heap otherwise grows with the garbage of earlier evaluations.
    const evaluator = spawnApp('checks-evaluator', {
      ...env,
      CHECKS_CONCURRENCY: '1',
      NODE_OPTIONS: `--max-old-space-size=${EVALUATOR_HEAP_MB}`,
    });
    children.push(evaluator);
    const payload = { connectionId: account.connectionId, runId: account.runId };
    const bytes0 = await checkStorageBytes(db);
    log('evaluating…');
    const first = await evaluateOnce(
      queues,
      evaluator.pid!,
      { ...payload, rosterAsOf: new Date(Date.now()).toISOString() },
      'bench-evaluate-1',
    );
    const bytes1 = await checkStorageBytes(db);
    log(`first evaluation: ${first.wallSeconds.toFixed(1)} s`);
    const again = await evaluateOnce(
      queues,
      evaluator.pid!,
      { ...payload, rosterAsOf: new Date(Date.now() + 1000).toISOString() },
      'bench-evaluate-2',
    );
    const bytes2 = await checkStorageBytes(db);
    await sql`analyze`.execute(db);
    log(`re-evaluation: ${again.wallSeconds.toFixed(1)} s`);
    const findingSizes = await sql<{ max: number; avg: number; n: number }>`
      select max(pg_column_size(evidence) + pg_column_size(reason))::int as max,
        avg(pg_column_size(evidence) + pg_column_size(reason))::int as avg, count(*)::int as n
      from findings`.execute(db);
    await stop(evaluator);

    const reads: ReadFigure[] = [];
    const exports: ExportFigure[] = [];
    let apiPeakMb: number | undefined;
    if (!evaluateOnly) {
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const api = spawnApp('connector-api', {
        ...env,
        PORT: String(port),
        HOST: '127.0.0.1',
        ADMIN_TOKEN: randomBytes(16).toString('hex'),
        PLATFORM_AWS_ACCOUNT_ID: '999999999999',
      });
      children.push(api);
      const base = `http://127.0.0.1:${port}`;
      for (let i = 0; ; i++) {
        const ok = await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (i > 300 || api.exitCode !== null) throw new Error('connector-api did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
      const c = `/v1/connections/${account.connectionId}`;
      const firstRepository = (
        await sql<{ name: string }>`select min(repository_name) as name from repositories`.execute(db)
      ).rows[0]!.name;
      const key = account.apiKey;
      log('reading…');
      const iamCold = await pagedRead(
        base,
        key,
        '/iam-users (cold: first request)',
        `${c}/iam-users?limit=100`,
        1,
      );
      reads.push(
        { ...iamCold, what: '/iam-users cold (first request after start)' },
        await pagedRead(base, key, '/iam-users warm (paging on)', `${c}/iam-users?limit=100`, 20),
        await pagedRead(base, key, 'check results (/checks)', `${c}/checks`, 1),
      );
      const checks = ['offboarded-user-access', 'user-mfa', 'branch-protection-admins', 'peer-review'];
      for (const id of checks)
        reads.push(
          await pagedRead(
            base,
            key,
            `findings ${id}, pages of 100`,
            `${c}/checks/codecommit-${id}/findings?limit=100`,
            20,
          ),
        );
      reads.push(await pagedRead(base, key, 'repositories, pages of 100', `${c}/repositories?limit=100`, 10));
      reads.push(
        await pagedRead(base, key, 'pull requests, pages of 100', `${c}/pull-requests?limit=100`, 20),
      );
      // Further on: pages in the middle and at the end of the keyset, where a cursor that is only a filter
      // (not an index range) costs most.
      reads.push(
        await pagedRead(
          base,
          key,
          'pull requests from the middle, pages of 100',
          `${c}/pull-requests?limit=100`,
          20,
          await middleCursor(db),
        ),
      );
      reads.push(
        await pagedRead(
          base,
          key,
          'pull requests of one repository',
          `${c}/pull-requests?limit=100&repository=${encodeURIComponent(firstRepository)}`,
          5,
        ),
      );
      reads.push(
        await pagedRead(
          base,
          key,
          'branches of one repository',
          `${c}/repositories/${encodeURIComponent(firstRepository)}/branches?limit=100`,
          5,
        ),
      );
      reads.push(await pagedRead(base, key, 'check runs (/check-runs)', `${c}/check-runs?limit=50`, 5));
      reads.push(await pagedRead(base, key, 'sync runs (/syncs)', `${c}/syncs?limit=50`, 5));
      reads.push(await pagedRead(base, key, 'connections (/v1/connections)', '/v1/connections?limit=100', 5));
      reads.push(await pagedRead(base, key, 'people (/v1/people)', '/v1/people?limit=100', 5));
      reads.push(
        await pagedRead(base, key, 'identity links (/v1/identity-links)', '/v1/identity-links?limit=100', 5),
      );
      reads.push(await pagedRead(base, key, 'API keys (/v1/api-keys)', '/v1/api-keys?limit=100', 5));
      for (const [what, path] of [
        ['check-results.json', `${c}/exports/check-results.json`],
        ['check-results.csv', `${c}/exports/check-results.csv`],
        ['access-review.json', `${c}/exports/access-review.json`],
        ['access-review.csv', `${c}/exports/access-review.csv`],
      ] as const) {
        exports.push(await timedExport(base, key, api.pid!, what, path));
      }
      apiPeakMb = Math.round(statusKb(api.pid!, 'VmHWM') / 1024);
      await stop(api);
    }

    const mb = (b: number) => b / 1024 / 1024;
    const report = {
      account: size,
      evaluation: {
        first: { ...first, checkStorageMb: mb(bytes1 - bytes0) },
        reEvaluationNoChange: { ...again, checkStorageMb: mb(bytes2 - bytes1) },
        findings: findingSizes.rows[0],
      },
      reads,
      exports,
      apiPeakRssMb: apiPeakMb,
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    const ratio = (v: number, goal: number) => `${(v / goal).toFixed(2)}x`;
    const row = (what: string, measured: string, goal: string, r: string) =>
      `${what.padEnd(64)} ${measured.padStart(14)} ${goal.padStart(12)} ${r.padStart(8)}`;
    const lines = [
      `evaluate bench: ${size.repos} repositories x ${size.prs} pull requests x ${size.users} users (${cache.reused ? 'synced database reused' : `synced now in ${cache.syncSeconds?.toFixed(0)} s`})`,
      '',
      row('what', 'measured', 'goal', 'ratio'),
      row('evaluation wall', `${first.wallSeconds.toFixed(1)} s`, '15 s', ratio(first.wallSeconds, 15)),
      row('evaluation CPU (evaluator)', `${first.cpuSeconds.toFixed(1)} s`, '', ''),
      row('evaluator peak RSS', `${first.peakRssMb} MB`, '512 MB', ratio(first.peakRssMb, 512)),
      row(
        'check-run storage, first',
        `${mb(bytes1 - bytes0).toFixed(2)} MB`,
        '20 MB',
        ratio(mb(bytes1 - bytes0), 20),
      ),
      row('re-evaluation, nothing changed: wall', `${again.wallSeconds.toFixed(1)} s`, '', ''),
      // The same process right after the first: what the first left for the garbage collector counts.
      row('re-evaluation: evaluator peak RSS', `${again.peakRssMb} MB`, '', ''),
      row(
        're-evaluation storage',
        `${mb(bytes2 - bytes1).toFixed(2)} MB`,
        '2 MB',
        ratio(mb(bytes2 - bytes1), 2),
      ),
      row(
        'largest finding (reason + evidence, stored)',
        `${((findingSizes.rows[0]?.max ?? 0) / 1024).toFixed(1)} KB`,
        '16 KB',
        ratio((findingSizes.rows[0]?.max ?? 0) / 1024, 16),
      ),
      row('job attempts / stalled', `${first.attemptsMade} / ${first.stalled}`, '1 / 0', ''),
      '',
      ...reads.flatMap((r) => [
        row(`${r.what}: p95 (${r.requests} req)`, `${r.p95.toFixed(0)} ms`, '200 ms', ratio(r.p95, 200)),
        row(`${r.what}: p50`, `${r.p50.toFixed(0)} ms`, '', ''),
        row(
          `${r.what}: largest page`,
          `${(r.maxBytes / 1024).toFixed(0)} KB`,
          '200 KB',
          ratio(r.maxBytes / 1024, 200),
        ),
      ]),
      '',
      ...exports.flatMap((e) => [
        row(
          `export ${e.what}: first byte`,
          `${e.firstByteMs.toFixed(0)} ms`,
          '1000 ms',
          ratio(e.firstByteMs, 1000),
        ),
        row(`export ${e.what}: total`, `${(e.totalMs / 1000).toFixed(1)} s`, '', ''),
        row(`export ${e.what}: size`, `${mb(e.bytes).toFixed(1)} MB`, '', ''),
        row(`export ${e.what}: API RSS during`, `${e.apiPeakRssMb} MB`, '300 MB', ratio(e.apiPeakRssMb, 300)),
      ]),
      ...(apiPeakMb === undefined ? [] : [row('API peak RSS (VmHWM, whole run)', `${apiPeakMb} MB`, '', '')]),
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } finally {
    for (const child of children) await stop(child);
    await closeQueues(queues);
    await deleteKeysWithPrefix(producer, prefix).catch(() => 0);
    producer.disconnect();
    await db.destroy();
    await dropCopy(adminUrl, copy.name);
  }
}
