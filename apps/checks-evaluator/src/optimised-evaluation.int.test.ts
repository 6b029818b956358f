/**
 * Evaluation cost follows what is distinct (access analysed once per distinct policy set, bypass
 * decided once per principal policy set × repository resource class), and the answers stay those of
 * the straightforward path: on a generated account synced through the real workers, both evaluations
 * give the same results, finding by finding.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { evaluateAllChecks, evaluateBranchProtectionAdmins } from '@codecommit-evidence/domain';
import { getConnectionById, getSyncRun, listFindings } from '@codecommit-evidence/evidence-store';
import { assembleCheckEvidence, loadRunEvidenceRows } from '@codecommit-evidence/evidence-views';
import {
  closeQueues,
  createFlowProducer,
  createQueues,
  createRedisConnection,
  enqueue,
} from '@codecommit-evidence/queues';
import { useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import type { Worker } from 'bullmq';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SyncedAccount, syncGeneratedAccount } from '../bench/synced-account.js';
import { evaluateChecks } from './processors/evaluate-checks.js';
import { createChecksWorker } from './worker.js';

describe('optimised evaluation on a generated account (200 repositories x 500 users)', () => {
  const t = useTestDatabase();
  const r = useTestRedis();
  let account: SyncedAccount;

  beforeAll(async () => {
    account = await syncGeneratedAccount(
      t.current.url,
      r.current.url,
      { repos: 200, prs: 2, users: 500, groups: 4 },
      { prefix: r.current.prefix },
    );
    // The sync through the workers, as their own processes: minutes on a 2-core machine other work
    // keeps busy (more than 240 s at load average 33).
  }, 600_000);

  it('gives the straightforward evaluation’s results, finding by finding', async () => {
    const db = t.current.db;
    const connection = (await getConnectionById(db, account.connectionId))!;
    const run = (await getSyncRun(db, account.runId))!;
    expect(run.status).toBe('succeeded');
    const rows = await loadRunEvidenceRows(db, {
      connectionId: account.connectionId,
      tenantId: connection.tenant_id,
      runId: account.runId,
      rosterAsOf: run.finished_at!,
    });
    expect(rows.users).toHaveLength(500);
    expect(rows.repositories).toHaveLength(200);
    const context = {
      syncRunId: run.id,
      accountId: run.aws_account_id ?? '',
      region: run.region ?? '',
      evaluatedAt: run.finished_at!,
      auditWindowDays: 90,
    };
    const optimised = assembleCheckEvidence(rows, context);
    const straightforward = assembleCheckEvidence(rows, context, { straightforward: true });
    expect(optimised.evidence.users).toHaveLength(500);

    const fast = evaluateAllChecks(optimised.evidence);
    const slow = evaluateAllChecks(straightforward.evidence).map((result) =>
      result.checkId === 'codecommit-branch-protection-admins'
        ? evaluateBranchProtectionAdmins(straightforward.evidence, { decideOncePerClass: false })
        : result,
    );
    expect(fast.map((c) => c.checkId)).toEqual(slow.map((c) => c.checkId));
    for (const [i, result] of fast.entries()) {
      const reference = slow[i]!;
      expect(result.status, result.checkId).toBe(reference.status);
      expect(result.counts, result.checkId).toEqual(reference.counts);
      expect(result.findings.length, result.checkId).toBe(reference.findings.length);
      for (const [j, finding] of result.findings.entries()) {
        expect(finding, `${result.checkId} ${finding.resourceId}`).toEqual(reference.findings[j]);
      }
    }
    // The account exercises every status the checks give on it, not only passes.
    const statuses = new Set(fast.flatMap((c) => c.findings.map((f) => f.status)));
    expect(statuses.has('fail')).toBe(true);
    expect(statuses.has('pass')).toBe(true);
  }, 240_000);

  it('writes the check run of the whole evaluation, finding by finding, judging repositories in batches', async () => {
    // The evaluator brings repositories and their pull requests in batches (here of 7: 29 batches,
    // the last one short) and writes compacted evidence; read back with every reference resolved, its
    // check run is what evaluating the whole run at once gives.
    const db = t.current.db;
    const connection = (await getConnectionById(db, account.connectionId))!;
    const run = (await getSyncRun(db, account.runId))!;
    const rosterAsOf = new Date(run.finished_at!.getTime() + 1);
    const rows = await loadRunEvidenceRows(db, {
      connectionId: account.connectionId,
      tenantId: connection.tenant_id,
      runId: account.runId,
      rosterAsOf,
    });
    const whole = evaluateAllChecks(
      assembleCheckEvidence(rows, {
        syncRunId: run.id,
        accountId: run.aws_account_id ?? '',
        region: run.region ?? '',
        evaluatedAt: run.finished_at!,
        auditWindowDays: run.audit_window_days || connection.audit_window_days || 90,
      }).evidence,
    );
    const written = await evaluateChecks(
      {
        connectionId: account.connectionId,
        runId: account.runId,
        trigger: 'on_demand',
        rosterAsOf: rosterAsOf.toISOString(),
      },
      { db, log: pino({ level: 'silent' }), repositoryBatch: 7 },
    );
    expect(written.reused).toBe(false);
    expect(written.results).toEqual(
      whole.map((r) => ({ checkId: r.checkId, status: r.status, counts: r.counts })),
    );
    for (const reference of whole) {
      const stored = await listFindings(db, written.checkRunId, {
        checkId: reference.checkId,
        limit: 100_000,
        resolve: Number.POSITIVE_INFINITY,
      });
      expect(stored.length, reference.checkId).toBe(reference.findings.length);
      for (const [j, f] of stored.entries()) {
        const expected = reference.findings[j]!;
        expect(
          {
            resourceType: f.resource_type,
            resourceId: f.resource_id,
            resourceName: f.resource_name,
            status: f.status,
            reason: f.reason,
            evidence: f.evidence,
          },
          `${reference.checkId} ${expected.resourceId}`,
        ).toEqual(JSON.parse(JSON.stringify(expected)));
      }
    }
    expect(whole.find((r) => r.checkId === 'codecommit-peer-review')!.findings.length).toBe(200);
  }, 240_000);

  /** One job under a lock set from a calibration just before it; what was seen of it. */
  async function lockTrial(attempt: number) {
    // Calibration on this machine, now: one warm evaluation (the first is cold: compilation, the run's
    // derived access written once), its duration and the longest time it held the event loop. Both
    // follow the machine's load, so the lock is set from them rather than from a fixed figure (a fixed
    // 300 ms lock was longer than the whole evaluation on an idle machine, and too short for a
    // renewal timer the scheduler runs late on a loaded one).
    const log = pino({ level: 'silent' });
    const evaluate = (rosterAsOf: Date) =>
      evaluateChecks(
        {
          connectionId: account.connectionId,
          runId: account.runId,
          trigger: 'on_demand',
          rosterAsOf: rosterAsOf.toISOString(),
        },
        { db: t.current.db, log },
      );
    // Each attempt evaluates as of its own roster dates (a new check run each time, none reused).
    const at = (k: number) => new Date(10 * attempt + k);
    await evaluate(at(0));
    const calibration = await longestLoopBlock(() => evaluate(at(1)));
    // A third of the evaluation, so that it outlives its lock several times over and is kept only by
    // renewals; at least 2.5 times the longest block seen (scheduling delays included: on a 2-core
    // machine at load average 50 a yielding evaluation's longest block was 0.8–1.3 s of its 4–6 s).
    // BullMQ renews here every quarter of the lock (lockRenewTime), checking every eighth, so a
    // renewal held off by a block of up to three quarters of the lock is still on time: that is what
    // the job is held to below. An evaluation that does not yield holds the loop for most of its
    // duration, and fails either way: its lock is lost, or (at 2.5 times its block) outlives it.
    const lockDuration = Math.max(Math.round(calibration.ms / 3), Math.ceil(2.5 * calibration.blockMs));
    const calibrated = `warm evaluation ${Math.round(calibration.ms)} ms (${Math.round(calibration.cpuMs)} ms CPU), longest loop block ${Math.round(calibration.blockMs)} ms, lock ${lockDuration} ms`;

    const producer = createRedisConnection(r.current.url, 'producer');
    const queues = createQueues(producer, r.current.prefix);
    const flowProducer = createFlowProducer(producer, r.current.prefix);
    const connections = [0, 1].map(() => createRedisConnection(r.current.url, 'worker'));
    const events: string[] = [];
    const workers: Worker[] = connections.map((connection, i) => {
      const w = createChecksWorker({
        db: t.current.db,
        connection,
        prefix: r.current.prefix,
        flowProducer,
        logger: log,
        concurrency: 1,
        // A lock not renewed in time is taken over by the other worker.
        workerOptions: {
          lockDuration,
          lockRenewTime: Math.round(lockDuration / 4),
          stalledInterval: lockDuration,
          maxStalledCount: 5,
        },
      });
      w.on('stalled', (id) => events.push(`worker ${i}: job ${id} stalled`));
      w.on('error', (err) => events.push(`worker ${i}: ${err.message}`));
      w.on('failed', (_job, err) => events.push(`worker ${i}: failed: ${err.message}`));
      return w;
    });
    // The job's lock as BullMQ keeps it (`<prefix>:<queue>:<job id>:lock`), watched from its own
    // connection: each time its time to live goes back up, the lock was renewed.
    const watcher = createRedisConnection(r.current.url, 'worker');
    const jobId = `lock-test-${attempt}`;
    const lockKey = `${r.current.prefix}:checks:${jobId}:lock`;
    let renewals = 0;
    let lastTtl = -2;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const ttl = await watcher.pttl(lockKey);
        if (lastTtl > 0 && ttl > lastTtl) renewals++;
        lastTtl = ttl;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      const run = await longestLoopBlock(async () => {
        const job = await enqueue(
          queues,
          'evaluate-checks',
          {
            connectionId: account.connectionId,
            runId: account.runId,
            trigger: 'on_demand',
            rosterAsOf: at(2).toISOString(),
          },
          { jobId, attempts: 3 },
        );
        for (let i = 0; i < 6000 && !(await job.isCompleted()) && !(await job.isFailed()); i++)
          await new Promise((resolve) => setTimeout(resolve, 20));
        return job;
      });
      const done = await queues.checks.getJob(jobId);
      // How long the job ran, as BullMQ recorded it (the worker's events may come after the job reads
      // as completed).
      const ranMs = (done?.finishedOn ?? 0) - (done?.processedOn ?? 0);
      const seen = `${calibrated}; job ${ranMs} ms, ${Math.round(run.cpuMs)} ms CPU, longest loop block ${Math.round(run.blockMs)} ms (${Math.round(run.cpuBlockMs)} ms CPU), ${renewals} renewals`;
      const runs = await t.current.db
        .selectFrom('check_runs')
        .select('id')
        .where('sync_run_id', '=', account.runId)
        .where('roster_as_of', '=', at(2))
        .execute();
      return {
        seen,
        completed: await run.value.isCompleted(),
        events,
        attemptsMade: done?.attemptsMade,
        returnvalue: done?.returnvalue as unknown,
        checkRuns: runs.length,
        ranMs,
        lockDuration,
        renewals,
        blockMs: run.blockMs,
        cpuBlockMs: run.cpuBlockMs,
        jobCpuMs: run.cpuMs,
      };
    } finally {
      watching = false;
      await watch;
      watcher.disconnect();
      for (const w of workers) await w.close();
      for (const c of connections) c.disconnect();
      await flowProducer.close();
      await closeQueues(queues);
      producer.disconnect();
    }
  }

  it('a long evaluation keeps its lock: renewed while it runs, never held off by a blocked loop, run once', async () => {
    let trial = await lockTrial(0);
    // The machine's speed may change between the calibration and the job (other work starting or
    // stopping): a job that kept its lock but did not outlive it proves nothing either way, and is
    // tried again, up to three times. A lost lock is never tried again.
    for (
      let attempt = 1;
      attempt < 3 && trial.events.length === 0 && trial.ranMs <= trial.lockDuration;
      attempt++
    )
      trial = await lockTrial(attempt);
    const { seen } = trial;
    expect(trial.completed, seen).toBe(true);
    expect(trial.events, seen).toEqual([]);
    expect(trial.attemptsMade, seen).toBe(1);
    expect(trial.returnvalue).toMatchObject({ reused: false });
    expect(trial.checkRuns).toBe(1);
    // The evaluation outlived its lock, which was renewed while it ran, and it never held the loop
    // for as long as a renewal may be late.
    expect(trial.ranMs, seen).toBeGreaterThan(trial.lockDuration);
    expect(trial.renewals, seen).toBeGreaterThanOrEqual(2);
    expect(trial.blockMs, seen).toBeLessThan((3 * trial.lockDuration) / 4);
    // Whatever the machine's load: the most CPU time spent without handing the loop back is well
    // under the job's (0.14–0.28 of it with the yields, at load average 20–30). Without them the
    // assembly and the checks run in one piece, 270–465 ms of CPU: the lock was lost in 3 runs of 4,
    // and the one that kept it spent 304 ms of its 334 ms evaluation in one piece.
    expect(trial.cpuBlockMs, seen).toBeLessThan(0.6 * trial.jobCpuMs);
  }, 480_000);
});

/**
 * Runs `work` and says how long it took, the longest time the event loop was held during it (a
 * timer's delay, as `monitorEventLoopDelay` samples it every 10 ms: scheduling delays included), the
 * CPU time it took, and the most CPU time spent between two turns of the loop (what the code held the
 * loop for, whatever the scheduler did: a process not scheduled spends none).
 */
async function longestLoopBlock<T>(
  work: () => Promise<T>,
): Promise<{ value: T; ms: number; blockMs: number; cpuMs: number; cpuBlockMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const cpuStart = process.cpuUsage();
  let lastCpu = cpuStart;
  let cpuBlock = 0;
  const turns = setInterval(() => {
    const now = process.cpuUsage();
    cpuBlock = Math.max(cpuBlock, now.user + now.system - lastCpu.user - lastCpu.system);
    lastCpu = now;
  }, 5);
  const started = performance.now();
  try {
    const value = await work();
    const cpu = process.cpuUsage(cpuStart);
    return {
      value,
      ms: performance.now() - started,
      blockMs: histogram.max / 1e6,
      cpuMs: (cpu.user + cpu.system) / 1000,
      cpuBlockMs: cpuBlock / 1000,
    };
  } finally {
    clearInterval(turns);
    histogram.disable();
  }
}
