/**
 * The repo-sync benchmark (`pnpm bench:repo-sync`): a generated account synced through fake-aws by the
 * worker running as its own process, under a request-rate limit. Prints calls per operation against
 * the floor the account needs, the excess over it by design and what is left unexplained, elapsed time
 * against the rate-limit floor, the re-sync's calls, and the worker's peak memory. Never part of `pnpm test`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  activateConnection,
  createConnection,
  createDb,
  createOrGetActiveSyncRun,
  createTenant,
  diffCurrentEvidence,
  finishSyncRun,
  getAwsCalls,
  migrateToLatest,
} from '@codecommit-evidence/evidence-store';
import {
  addProductRole,
  applyPullRequestChanges,
  GENERATED_DEFAULTS,
  generateScenario,
  type PullRequestChange,
  type Scenario,
  startFakeAws,
} from '@codecommit-evidence/fake-aws';
import {
  closeQueues,
  createQueues,
  createRedisConnection,
  enqueue,
  jobIds,
} from '@codecommit-evidence/queues';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { REPOSITORY_EVIDENCE_TABLES } from '../src/evidence-rows.js';

const appDir = fileURLToPath(new URL('..', import.meta.url));
/** Page sizes: `templates` is maxResults for both template listings (100, the default). */
const PAGE = { repositories: 1000, branches: 100, templates: 100, pullRequests: 100 } as const;

/** The calls the account needs at least, counted from the scenario (the issue's definition). */
export function floorOf(s: Scenario, region = GENERATED_DEFAULTS.region): Record<string, number> {
  const reg = s.account.regions[region]!;
  const pages = (n: number, size: number) => Math.max(1, Math.ceil(n / size));
  const byRepo = new Map<string, { open: number; closed: number }>();
  for (const p of reg.pullRequests) {
    const c = byRepo.get(p.repositoryName) ?? { open: 0, closed: 0 };
    if (p.status === 'OPEN') c.open++;
    else c.closed++;
    byRepo.set(p.repositoryName, c);
  }
  const repos = reg.repositories;
  const merged = reg.pullRequests.filter((p) => p.status === 'CLOSED' && p.isMerged).length;
  const templates = new Set(
    Object.entries(reg.associations)
      .filter(([, n]) => n.length > 0)
      .map(([t]) => t),
  );
  const sum = (f: (r: (typeof repos)[number]) => number) => repos.reduce((n, r) => n + f(r), 0);
  return {
    'codecommit:ListRepositories': pages(repos.length, PAGE.repositories),
    'codecommit:BatchGetRepositories': Math.ceil(repos.length / 25),
    'codecommit:ListBranches': sum((r) => pages(r.branches.length, PAGE.branches)),
    // The associations per template, for the whole Region (not one call per repository).
    'codecommit:ListApprovalRuleTemplates': pages(reg.approvalRuleTemplates.length, PAGE.templates),
    'codecommit:ListRepositoriesForApprovalRuleTemplate': reg.approvalRuleTemplates.reduce(
      (n, t) => n + pages(reg.associations[t.name]?.length ?? 0, PAGE.templates),
      0,
    ),
    'codecommit:GetApprovalRuleTemplate': templates.size,
    // Listed per status, OPEN and CLOSED, as the worker does (see the report for the alternative).
    'codecommit:ListPullRequests': sum((r) => {
      const c = byRepo.get(r.repositoryName) ?? { open: 0, closed: 0 };
      return pages(c.open, PAGE.pullRequests) + pages(c.closed, PAGE.pullRequests);
    }),
    'codecommit:GetPullRequest': reg.pullRequests.length,
    'codecommit:GetPullRequestApprovalStates': merged,
    'codecommit:EvaluatePullRequestApprovalRules': merged,
  };
}

/**
 * The calls the worker makes beyond the floor, by design, counted from the scenario: GetBranch for each
 * repository's default branch (its head commit), and one DescribePullRequestEvents for each merged pull
 * request: its merge date (every merged one, so the evidence never depends on when the sync ran), and,
 * for one without an APPROVE on its final revision by anyone but its author, its approval history in the
 * same call (unfiltered then: every event type, 100 a page). Anything else is unexplained excess.
 */
export function designedExcessOf(s: Scenario, region = GENERATED_DEFAULTS.region): Record<string, number> {
  const reg = s.account.regions[region]!;
  const pages = (n: number, size: number) => Math.max(1, Math.ceil(n / size));
  let describeEvents = 0;
  for (const p of reg.pullRequests) {
    if (p.status !== 'CLOSED' || !p.isMerged) continue;
    const final = p.revisions.at(-1);
    const last = new Map<string, string>();
    for (const a of p.approvals) if (a.revisionId === final) last.set(a.userArn, a.state);
    if ([...last].some(([user, state]) => state === 'APPROVE' && user !== p.authorArn)) {
      describeEvents += 1;
      continue;
    }
    // fake-aws derives, without scenario events: created, one per later revision, one per approval
    // state, the override, the merge and the close (services/codecommit.ts pullRequestEvents).
    const events = p.events
      ? p.events.length
      : 1 +
        (p.revisions.length - 1) +
        p.approvals.filter((a) => p.revisions.includes(a.revisionId)).length +
        (p.override ? 1 : 0) +
        2;
    describeEvents += pages(events, 100);
  }
  return {
    'codecommit:GetBranch': reg.repositories.filter(
      (r) => r.defaultBranch !== null && r.branches.some((b) => b.name === r.defaultBranch),
    ).length,
    'codecommit:DescribePullRequestEvents': describeEvents,
  };
}

/** The issue's goals for a re-sync (issue 12, "Re-sync cost ∝ change"). */
export const RESYNC_GOALS = { noChangePerRepository: 2.5, perChangedPullRequest: 3 } as const;

const COMPARE_ROLE = { roleName: 'CodeCommitEvidenceBenchCompare', externalId: 'bench-compare-external-id' };

/**
 * `share` of the account's pull requests changed in the ways fake-aws's control plane applies
 * (scenario/changes.ts), all on pull requests open at the last run (a closed one cannot change):
 * in turn a new revision, an approval, a merge (approved on its final revision by another user) and a
 * close. Every k-th open pull request, so the changes spread over the repositories.
 */
export function onePercentChanges(
  s: Scenario,
  share = 0.01,
  region = GENERATED_DEFAULTS.region,
): PullRequestChange[] {
  const reg = s.account.regions[region]!;
  const open = reg.pullRequests.filter((p) => p.status === 'OPEN');
  const want = Math.min(open.length, Math.round(reg.pullRequests.length * share));
  const step = Math.max(1, Math.floor(open.length / Math.max(1, want)));
  const reviewer = `arn:aws:iam::${s.account.accountId}:user/bench-reviewer`;
  const changes: PullRequestChange[] = [];
  for (let i = 0; i < want; i++) {
    const pullRequestId = open[i * step]!.pullRequestId;
    switch (i % 4) {
      case 0:
        changes.push({ kind: 'revision', pullRequestId });
        break;
      case 1:
        changes.push({ kind: 'approve', pullRequestId, userArn: reviewer });
        break;
      case 2:
        changes.push({ kind: 'approve', pullRequestId, userArn: reviewer });
        changes.push({ kind: 'merge', pullRequestId, userArn: reviewer });
        break;
      default:
        changes.push({ kind: 'close', pullRequestId, userArn: reviewer });
    }
  }
  return changes;
}

/** A second product role (its own External ID), for the connection that full-syncs the final state. */
function withCompareRole(s: Scenario): Scenario {
  addProductRole(s, { ...COMPARE_ROLE, roleId: 'AROABENCHCOMPARE000001' });
  return s;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(
      cursor,
      'MATCH',
      `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`,
      'COUNT',
      1000,
    );
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

function peakRssMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export async function runRepoSyncBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      repos: { type: 'string', default: '1000' },
      prs: { type: 'string', default: '50' },
      users: { type: 'string', default: '50' },
      /** The worker's own CodeCommit limit (CODECOMMIT_RPS): the rate the floor is timed against. */
      rps: { type: 'string', default: '600' },
      /** fake-aws answers ThrottlingException above this. */
      'aws-rps': { type: 'string', default: '750' },
      concurrency: { type: 'string', default: '16' },
      'account-concurrency': { type: 'string', default: '64' },
      'latency-ms': { type: 'string', default: '0' },
      json: { type: 'boolean', default: false },
      /** Write a V8 CPU profile of the worker into this directory. */
      'cpu-prof-dir': { type: 'string' },
    },
  });
  const n = (k: keyof typeof values) => Number(values[k]);
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const dbName = `cce_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const prefix = `{cce-bench-${randomBytes(4).toString('hex')}}`;
  const log = (m: string) => process.stderr.write(`${m}\n`);

  log(`generating ${n('repos')} repositories x ${n('prs')} pull requests…`);
  const scenario = withCompareRole(
    generateScenario({ repos: n('repos'), prsPerRepo: n('prs'), users: n('users'), seed: 1 }),
  );
  const floor = floorOf(scenario);
  const floorTotal = Object.values(floor).reduce((a, b) => a + b, 0);
  const designed = designedExcessOf(scenario);
  const designedTotal = Object.values(designed).reduce((a, b) => a + b, 0);
  const fake = await startFakeAws({
    scenario,
    latencyMs: n('latency-ms'),
    rates: { codecommit: n('aws-rps'), sts: 50 },
  });

  const admin = createDb(adminUrl, { max: 1 });
  await sql`create database ${sql.id(dbName)}`.execute(admin);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const db = createDb(url.toString(), { max: 4 });
  const producer = createRedisConnection(redisUrl, 'producer');
  const queues = createQueues(producer, prefix);
  let worker: ReturnType<typeof spawn> | undefined;
  try {
    await migrateToLatest(db);
    const connect = async (name: string, role: { roleName: string; externalId: string }) => {
      const { tenant } = await createTenant(db, name);
      const conn = await createConnection(db, { tenantId: tenant.id, name });
      await db
        .updateTable('connections')
        .set({ external_id: role.externalId })
        .where('id', '=', conn.id)
        .execute();
      await activateConnection(db, conn.id, {
        roleArn: `arn:aws:iam::${GENERATED_DEFAULTS.accountId}:role/${role.roleName}`,
        accountId: GENERATED_DEFAULTS.accountId,
        region: GENERATED_DEFAULTS.region,
        permissions: {},
        warnings: [],
      });
      return conn;
    };
    const c = await connect('bench', GENERATED_DEFAULTS.productRole);
    // Full-syncs the final state after the 1 % change, to compare with the incremental re-sync.
    const compare = await connect('bench-compare', COMPARE_ROLE);

    const profile = values['cpu-prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof-dir']}`] : [];
    worker = spawn(
      process.execPath,
      [...profile, '--conditions=development', '--import', 'tsx', 'src/index.ts'],
      {
        cwd: appDir,
        env: {
          PATH: process.env.PATH ?? '',
          HEALTH_PORT: '0',
          DATABASE_URL: url.toString(),
          REDIS_URL: redisUrl,
          QUEUE_PREFIX: prefix,
          AWS_ENDPOINT_URL: fake.url,
          AWS_REGION: GENERATED_DEFAULTS.region,
          AWS_ACCESS_KEY_ID: fake.platformCredentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: fake.platformCredentials.secretAccessKey,
          LOG_LEVEL: 'warn',
          REPO_SYNC_CONCURRENCY: String(n('concurrency')),
          // One tenant alone: let its repository jobs use every slot.
          REPO_SYNC_JOBS_PER_CONNECTION: String(n('concurrency')),
          CODECOMMIT_RPS: String(n('rps')),
          AWS_ACCOUNT_CONCURRENCY: String(n('account-concurrency')),
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    const pid = worker.pid!;

    const runOnce = async (label: string, connectionId = c.id) => {
      const { run } = await createOrGetActiveSyncRun(db, connectionId, 'api');
      fake.resetStats();
      const cpuBefore = cpuSeconds(pid) ?? 0;
      const ownBefore = process.cpuUsage();
      const started = Date.now();
      const jobId = jobIds.syncRepositories(run.id);
      await enqueue(queues, 'sync-repositories', { connectionId, runId: run.id }, { jobId });
      for (;;) {
        const state = await (await queues['repo-sync'].getJob(jobId))?.getState();
        if (state === 'completed') break;
        if (state === 'failed') throw new Error(`${label}: sync-repositories failed`);
        if (worker?.exitCode !== null) throw new Error(`${label}: the worker exited (${worker?.exitCode})`);
        await new Promise((r) => setTimeout(r, 250));
      }
      const elapsedMs = Date.now() - started;
      const workerCpuSeconds = (cpuSeconds(pid) ?? Number.NaN) - cpuBefore;
      const own = process.cpuUsage(ownBefore);
      const benchCpuSeconds = (own.user + own.system) / 1e6;
      await finishSyncRun(db, run.id, 'succeeded');
      const calls = await getAwsCalls(db, run.id);
      let rowsWritten = 0;
      for (const table of REPOSITORY_EVIDENCE_TABLES) {
        const r = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}
          where valid_from_run = ${run.id} or valid_to_run = ${run.id}`.execute(db);
        rowsWritten += r.rows[0]?.n ?? 0;
      }
      const fakeSaw = Object.entries(fake.stats().calls)
        .filter(([op]) => op.startsWith('codecommit:'))
        .reduce((a, [, v]) => a + v, 0);
      log(`${label}: ${(elapsedMs / 1000).toFixed(1)} s`);
      return { runId: run.id, elapsedMs, calls, fakeSaw, rowsWritten, workerCpuSeconds, benchCpuSeconds };
    };

    log('full sync…');
    const full = await runOnce('full sync');
    log('re-sync without changes…');
    const again = await runOnce('re-sync');
    const changes = onePercentChanges(fake.scenario());
    const changedPullRequests = new Set(changes.map((x) => x.pullRequestId)).size;
    fake.updateScenario((d) => applyPullRequestChanges(d, GENERATED_DEFAULTS.region, changes, new Date()));
    log(`re-sync after ${changedPullRequests} pull requests changed…`);
    const changed = await runOnce('re-sync after the change');
    log('full sync of the final state into a second connection…');
    const reference = await runOnce('full sync of the final state', compare.id);
    const evidenceDiff = await diffCurrentEvidence(db, REPOSITORY_EVIDENCE_TABLES, c.id, compare.id);
    const peakMb = peakRssMb(pid);

    const ops = [...new Set([...Object.keys(floor), ...Object.keys(full.calls)])].sort();
    const total = (c: Record<string, { calls: number }>) => Object.values(c).reduce((a, b) => a + b.calls, 0);
    const throttled = (c: Record<string, { throttled: number }>) =>
      Object.values(c).reduce((a, b) => a + b.throttled, 0);
    const fullTotal = total(full.calls);
    const rps = n('rps');
    const report = {
      account: {
        repositories: n('repos'),
        pullRequestsPerRepository: n('prs'),
        pullRequests: n('repos') * n('prs'),
      },
      limits: {
        workerCodecommitRps: rps,
        fakeAwsCodecommitRps: n('aws-rps'),
        concurrency: n('concurrency'),
        accountConcurrency: n('account-concurrency'),
      },
      fullSync: {
        perOperation: Object.fromEntries(
          ops.map((op) => [
            op,
            {
              calls: full.calls[op]?.calls ?? 0,
              floor: floor[op] ?? 0,
              throttled: full.calls[op]?.throttled ?? 0,
            },
          ]),
        ),
        calls: fullTotal,
        floor: floorTotal,
        excess: fullTotal - floorTotal,
        /** The excess by design (see designedExcessOf), per operation; the rest of the excess is unexplained. */
        designedExcess: designed,
        unexplainedExcess: fullTotal - floorTotal - designedTotal,
        throttledAttempts: throttled(full.calls),
        fakeAwsSawCalls: full.fakeSaw,
        evidenceRowsWritten: full.rowsWritten,
        elapsedSeconds: full.elapsedMs / 1000,
        workerCpuSeconds: full.workerCpuSeconds,
        fakeAwsAndBenchCpuSeconds: full.benchCpuSeconds,
        rateFloorSeconds: floorTotal / rps,
        callsFloorSecondsAtMeasuredCalls: fullTotal / rps,
        computedAtAwsDefault8Rps: { floorHours: floorTotal / 8 / 3600, callsHours: fullTotal / 8 / 3600 },
      },
      resync: {
        perOperation: Object.fromEntries(Object.entries(again.calls).map(([op, v]) => [op, v.calls])),
        calls: total(again.calls),
        fakeAwsSawCalls: again.fakeSaw,
        evidenceRowsWritten: again.rowsWritten,
        elapsedSeconds: again.elapsedMs / 1000,
      },
      changedResync: {
        changedPullRequests,
        changes: Object.fromEntries(
          [...new Set(changes.map((x) => x.kind))].map((k) => [
            k,
            changes.filter((x) => x.kind === k).length,
          ]),
        ),
        perOperation: Object.fromEntries(Object.entries(changed.calls).map(([op, v]) => [op, v.calls])),
        calls: total(changed.calls),
        fakeAwsSawCalls: changed.fakeSaw,
        evidenceRowsWritten: changed.rowsWritten,
        elapsedSeconds: changed.elapsedMs / 1000,
      },
      goals: {
        noChangeCalls: Math.floor(RESYNC_GOALS.noChangePerRepository * n('repos')),
        noChangePerRepository: total(again.calls) / n('repos'),
        changedCalls: total(again.calls) + RESYNC_GOALS.perChangedPullRequest * changedPullRequests,
        extraPerChangedPullRequest:
          (total(changed.calls) - total(again.calls)) / Math.max(1, changedPullRequests),
      },
      evidenceComparison: {
        /** The incremental connection's current evidence vs a full sync of the same final state. */
        fullSyncCalls: total(reference.calls),
        fullSyncSeconds: reference.elapsedMs / 1000,
        differingRows: Object.values(evidenceDiff).reduce((a, d) => a + d.count, 0),
        perTable: evidenceDiff,
      },
      workerPeakRssMb: peakMb ?? null,
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      const rows = ops.map((op) => {
        const v = report.fullSync.perOperation[op]!;
        return `${op.padEnd(62)} ${String(v.calls).padStart(8)} ${String(v.floor).padStart(8)} ${String(v.calls - v.floor).padStart(7)} ${String(v.throttled).padStart(6)} ${String(report.resync.perOperation[op] ?? 0).padStart(8)} ${String(report.changedResync.perOperation[op] ?? 0).padStart(9)}`;
      });
      const g = report.goals;
      const cr = report.changedResync;
      const ec = report.evidenceComparison;
      const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
      const f = report.fullSync;
      process.stdout.write(
        [
          `repo-sync bench: ${report.account.repositories} repositories, ${report.account.pullRequests} pull requests; worker limit ${rps} CodeCommit rps (fake-aws throttles above ${n('aws-rps')}), worker concurrency ${n('concurrency')}`,
          '',
          `${'operation'.padEnd(62)} ${'calls'.padStart(8)} ${'floor'.padStart(8)} ${'excess'.padStart(7)} ${'thrott'.padStart(6)} ${'re-sync'.padStart(8)} ${'1%-change'.padStart(9)}`,
          ...rows,
          `${'total'.padEnd(62)} ${String(f.calls).padStart(8)} ${String(f.floor).padStart(8)} ${String(f.excess).padStart(7)} ${String(f.throttledAttempts).padStart(6)} ${String(report.resync.calls).padStart(8)} ${String(cr.calls).padStart(9)}`,
          '',
          `excess by design: ${Object.entries(f.designedExcess)
            .map(([op, v]) => `${v} ${op.replace('codecommit:', '')}`)
            .join(
              ', ',
            )} (default branch head commits; the merge date of every merged pull request, with the approval history in the same call where there is no independent final approval); unexplained: ${f.unexplainedExcess}`,
          `full sync: ${f.elapsedSeconds.toFixed(1)} s measured; rate-limit floor ${f.rateFloorSeconds.toFixed(1)} s (${f.floor} floor calls / ${rps} rps); ${f.callsFloorSecondsAtMeasuredCalls.toFixed(1)} s for the calls made`,
          `CPU during the full sync: worker ${f.workerCpuSeconds.toFixed(0)} s, fake-aws + bench ${f.fakeAwsAndBenchCpuSeconds.toFixed(0)} s (machine: ${cpus().length} cores, load average at the end ${loadavg()[0]!.toFixed(1)})`,
          `computed, not measured: at AWS-like 8 rps the floor takes ${f.computedAtAwsDefault8Rps.floorHours.toFixed(2)} h, the calls made ${f.computedAtAwsDefault8Rps.callsHours.toFixed(2)} h`,
          `calls recorded in the runs vs seen by fake-aws: full ${f.calls} / ${f.fakeAwsSawCalls}, re-sync ${report.resync.calls} / ${report.resync.fakeAwsSawCalls}`,
          `re-sync without changes: ${report.resync.calls} calls, ${report.resync.elapsedSeconds.toFixed(1)} s, ${report.resync.evidenceRowsWritten} evidence rows opened or closed (full sync: ${f.evidenceRowsWritten})`,
          '',
          're-sync goals (issue 12):',
          `  no change:  ${report.resync.calls} calls (${g.noChangePerRepository.toFixed(2)} per repository); goal <= ${g.noChangeCalls} (${RESYNC_GOALS.noChangePerRepository} per repository): ${verdict(report.resync.calls <= g.noChangeCalls)}`,
          `  1 % change: ${cr.changedPullRequests} pull requests changed (${Object.entries(cr.changes)
            .map(([k, v]) => `${v} ${k}`)
            .join(
              ', ',
            )}): ${cr.calls} calls, ${g.extraPerChangedPullRequest.toFixed(2)} more per changed pull request than no change; goal <= ${g.changedCalls} (no change + ${RESYNC_GOALS.perChangedPullRequest} per changed pull request): ${verdict(cr.calls <= g.changedCalls)}; ${cr.elapsedSeconds.toFixed(1)} s, ${cr.evidenceRowsWritten} evidence rows opened or closed`,
          `  evidence after the incremental re-sync vs a full sync of the same final state (${ec.fullSyncCalls} calls, ${ec.fullSyncSeconds.toFixed(1)} s), by natural key and content: ${ec.differingRows === 0 ? 'identical' : `${ec.differingRows} rows differ`} (${Object.entries(
            ec.perTable,
          )
            .map(
              ([t, d]) =>
                `${t} ${d.rowsA}/${d.rowsB}${d.count ? ` (${d.count} differ, e.g. ${[...d.onlyA, ...d.onlyB, ...d.differ][0]})` : ''}`,
            )
            .join(', ')})`,
          `worker peak RSS (VmHWM): ${peakMb ?? '?'} MB (load average now ${loadavg()[0]!.toFixed(1)})`,
          '',
        ].join('\n'),
      );
    }
  } finally {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await closeQueues(queues);
    await deleteKeysWithPrefix(producer, prefix).catch(() => 0);
    producer.disconnect();
    await db.destroy();
    await sql`drop database if exists ${sql.id(dbName)} with (force)`.execute(admin).catch(() => {});
    await admin.destroy();
    await fake.close();
  }
}
