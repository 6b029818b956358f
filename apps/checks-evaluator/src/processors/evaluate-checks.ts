import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  buildCheckResult,
  CHECKS,
  type CheckId,
  type CheckResult,
  type Finding,
  type RepositoryJudgement,
} from '@codecommit-evidence/domain';
import {
  type CheckRun,
  type CompactedCheckRun,
  compactCheckRun,
  type Database,
  findCheckRunOf,
  finishSyncRun,
  getSyncRun,
  listCheckResults,
  listSyncProblems,
  recordSyncProblem,
  type SyncRun,
  type SyncRunStatus,
  writeCheckRun,
} from '@codecommit-evidence/evidence-store';
import {
  type CheckEvidenceInBatches,
  EvidenceViewError,
  loadCheckEvidenceInBatches,
  runStepsYielding,
  STEPS_OF_SYNC_JOB,
  SYNC_JOB_FAILED,
  storeRunAccess,
} from '@codecommit-evidence/evidence-views';
import type { EvaluateChecksPayload } from '@codecommit-evidence/queues';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { ChecksEvaluatorError } from '../errors.js';
import { identifyFailedChildren, syncRunOutcome } from '../sync-run-outcome.js';

export interface EvaluateChecksDeps {
  db: Kysely<Database>;
  log: Logger;
  /**
   * For `trigger: 'sync'`: the children of the run's flow that failed for good, as
   * `job.getIgnoredChildrenFailures()` returns them (job key -> failure reason).
   */
  childFailures?: Record<string, string>;
  /**
   * When the evaluation was asked for (the job's creation time): the roster instant of an on-demand
   * evaluation without `rosterAsOf`, so that a retried job judges against the same roster.
   */
  requestedAt?: Date;
  /** The evaluator's clock (default the process clock): run finish, roster instant, check-run time. */
  now?: () => Date;
  /** Repositories judged per batch (default `REPOSITORY_BATCH`): a test sets it small to cross batches. */
  repositoryBatch?: number;
}

export interface EvaluateChecksResult {
  checkRunId: number;
  /** true when an earlier attempt of the same evaluation had already written the check run. */
  reused: boolean;
  syncRunStatus: SyncRunStatus;
  partial: boolean;
  results: Pick<CheckResult, 'checkId' | 'status' | 'counts'>[];
}

const FINISHED: readonly SyncRunStatus[] = ['succeeded', 'partial', 'failed'];
const MAX_REASON = 1000;
/** Longest stretch of evaluation without handing the event loop back. */
const SLICE_MS = 20;

/**
 * Ends a sync run whose flow has completed: records each child that failed for good as an error on
 * every step it should have collected, then sets the run's status. Idempotent: a run already finished
 * (by an earlier attempt of this job) is left as it is.
 */
export async function finishSyncRunFromFlow(
  db: Kysely<Database>,
  run: SyncRun,
  childFailures: Record<string, string>,
  log: Logger,
  now: () => Date = () => new Date(),
): Promise<SyncRun> {
  if (FINISHED.includes(run.status)) return run;
  const failed = identifyFailedChildren(run.id, childFailures);
  for (const child of failed) {
    const steps = child.job === 'unknown' ? ['sync'] : STEPS_OF_SYNC_JOB[child.job];
    for (const step of steps) {
      await recordSyncProblem(
        db,
        run.id,
        {
          step,
          kind: 'error',
          code: SYNC_JOB_FAILED,
          resource: child.job === 'unknown' ? child.key : child.job,
          message: `the ${child.job} job failed for good: ${child.reason}`.slice(0, MAX_REASON),
        },
        now(),
      );
    }
  }
  const problems = await listSyncProblems(db, run.id);
  const status = syncRunOutcome(failed, problems);
  await finishSyncRun(
    db,
    run.id,
    status,
    failed.length > 0
      ? {
          code: 'sync_jobs_failed',
          jobs: failed.map((f) => ({ job: f.job, reason: f.reason.slice(0, MAX_REASON) })),
        }
      : undefined,
    now(),
  );
  log.info(
    { runId: run.id, status, failedJobs: failed.map((f) => f.job), problems: problems.length },
    'sync run finished',
  );
  const finished = await getSyncRun(db, run.id);
  if (!finished) throw new ChecksEvaluatorError('sync_run_not_found', `sync run ${run.id} vanished`);
  return finished;
}

async function summaryOf(
  db: Kysely<Database>,
  run: CheckRun,
  syncRunStatus: SyncRunStatus,
): Promise<EvaluateChecksResult> {
  const results = await listCheckResults(db, run.id);
  return {
    checkRunId: run.id,
    reused: true,
    syncRunStatus,
    partial: run.partial,
    results: results.map((r) => ({
      checkId: r.check_id as CheckResult['checkId'],
      status: r.status,
      counts: r.counts,
    })),
  };
}

/**
 * `evaluate-checks`: as the parent job of a sync run's flow (`trigger: 'sync'`), first finishes the run;
 * then evaluates every check on the evidence as of that run and writes one check run (append-only).
 *
 * What the checks judge: the evidence rows valid at the run, the roster and identity links as of
 * `rosterAsOf` (default: now for a sync, the request time for on demand), and the instant
 * `evaluatedAt` = the run's finish, for both triggers. So evaluating an old run again gives its old
 * answer (audit window and offboarding dates are read against the run's own time), and only a roster
 * change can change it: an on-demand evaluation after a roster upload flags a person whose offboarding
 * date is on or before the run.
 */
export async function evaluateChecks(
  payload: EvaluateChecksPayload,
  deps: EvaluateChecksDeps,
): Promise<EvaluateChecksResult> {
  const { db, log } = deps;
  const now = deps.now ?? (() => new Date());
  let run = await getSyncRun(db, payload.runId);
  if (!run || run.connection_id !== payload.connectionId) {
    throw new ChecksEvaluatorError(
      'sync_run_not_found',
      `sync run ${payload.runId} of connection ${payload.connectionId} does not exist`,
    );
  }
  if (payload.trigger === 'sync')
    run = await finishSyncRunFromFlow(db, run, deps.childFailures ?? {}, log, now);
  else if (!FINISHED.includes(run.status)) {
    throw new ChecksEvaluatorError(
      'sync_run_not_finished',
      `sync run ${run.id} is ${run.status}; evaluate it once it has finished`,
    );
  }

  const rosterAsOf = payload.rosterAsOf
    ? new Date(payload.rosterAsOf)
    : payload.trigger === 'on_demand' && deps.requestedAt
      ? deps.requestedAt
      : now();
  const existing = await findCheckRunOf(db, {
    connectionId: payload.connectionId,
    syncRunId: payload.runId,
    trigger: payload.trigger,
    rosterAsOf,
  });
  if (existing) {
    log.info({ checkRunId: existing.id }, 'check run already written by an earlier attempt');
    return summaryOf(db, existing, run.status);
  }

  const evaluatedAt = run.finished_at ?? now();
  // Judged and compacted in a function of its own: once it returns, the evidence and the findings'
  // objects are garbage, and only their JSON is held while the check run is written.
  const judged = await judgeRun(db, payload, run, { rosterAsOf, evaluatedAt, now, deps });
  const checkRun = await writeCheckRun(db, judged.compacted);
  log.info(
    {
      checkRunId: checkRun.id,
      runId: run.id,
      trigger: payload.trigger,
      partial: judged.compacted.partial,
      results: Object.fromEntries(judged.summary.map((r) => [r.checkId, r.status])),
    },
    'checks evaluated',
  );
  return {
    checkRunId: checkRun.id,
    reused: false,
    syncRunStatus: run.status,
    partial: judged.compacted.partial,
    results: judged.summary,
  };
}

/** The run's evidence loaded, every check judged, the run's access stored, the findings compacted. */
async function judgeRun(
  db: Kysely<Database>,
  payload: EvaluateChecksPayload,
  run: SyncRun,
  at: { rosterAsOf: Date; evaluatedAt: Date; now: () => Date; deps: EvaluateChecksDeps },
): Promise<{ compacted: CompactedCheckRun; summary: EvaluateChecksResult['results'] }> {
  const { rosterAsOf, evaluatedAt, now } = at;
  let loaded: CheckEvidenceInBatches;
  try {
    // Without the repositories: they come in batches below, each with its pull requests.
    loaded = await loadCheckEvidenceInBatches(db, {
      connectionId: payload.connectionId,
      runId: run.id,
      rosterAsOf,
      evaluatedAt,
    });
  } catch (err) {
    if (err instanceof EvidenceViewError) throw new ChecksEvaluatorError(err.code, err.message);
    throw err;
  }
  // Each check in steps (a user, a repository), handing the event loop back every few milliseconds, so
  // that BullMQ renews the job's lock during a long evaluation (a lost lock lets another worker take the
  // job and run it twice).
  const byCheck = new Map<CheckId, CheckResult>();
  const repositoryChecks: { checkId: CheckId; judgement: RepositoryJudgement; findings: Finding[] }[] = [];
  for (const check of CHECKS) {
    if (check.judgeRepositoriesInSteps) {
      const judgement = await runStepsYielding(check.judgeRepositoriesInSteps(loaded.evidence), SLICE_MS);
      repositoryChecks.push({ checkId: check.id, judgement, findings: [] });
    } else byCheck.set(check.id, await runStepsYielding(check.evaluateInSteps(loaded.evidence), SLICE_MS));
    await yieldToEventLoop();
  }
  // The repository checks one batch of repositories at a time: a batch's pull requests are read,
  // judged and dropped (all of a run's at once were most of the evaluator's memory at 10x).
  for await (const batch of loaded.repositoryBatches({ size: at.deps.repositoryBatch })) {
    await runStepsYielding(
      (function* () {
        for (const repo of batch) {
          for (const c of repositoryChecks) c.findings.push(c.judgement.judge(repo));
          yield;
        }
      })(),
      SLICE_MS,
    );
  }
  for (const c of repositoryChecks)
    byCheck.set(c.checkId, buildCheckResult(c.checkId, [...c.judgement.accountFindings, ...c.findings]));
  repositoryChecks.length = 0;
  const results = CHECKS.map((check) => byCheck.get(check.id)!);
  byCheck.clear();
  await yieldToEventLoop();
  const { completeness, notes } = loaded;
  // What `/iam-users` and the access review read, derived once per sync run from the evidence already
  // loaded (a re-evaluation of the same run finds it written and writes nothing).
  await storeRunAccess(db, {
    connectionId: payload.connectionId,
    runId: run.id,
    completeness,
    evidence: loaded.evidence,
    derivedAt: now(),
  });
  await yieldToEventLoop();
  const partial =
    completeness.missingPermissions.length > 0 ||
    completeness.failedSteps.length > 0 ||
    notes.some((n) => n.code === 'policy_not_collected');
  const compacted = await compactCheckRun({
    connectionId: payload.connectionId,
    syncRunId: run.id,
    trigger: payload.trigger,
    rosterAsOf,
    evaluatedAt: now(),
    partial,
    notes: [
      {
        code: 'evidence',
        judgedAt: evaluatedAt.toISOString(),
        syncRunStatus: run.status,
        auditWindowDays: loaded.evidence.run.auditWindowDays,
        missingPermissions: completeness.missingPermissions,
        failedSteps: completeness.failedSteps,
      },
      ...notes,
    ],
    results,
  });
  return {
    compacted,
    summary: results.map((r) => ({ checkId: r.checkId, status: r.status, counts: r.counts })),
  };
}
