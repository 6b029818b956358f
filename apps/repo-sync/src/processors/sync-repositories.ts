import {
  type ApprovalRuleTemplateWithContent,
  batchGetRepositories,
  getApprovalRuleTemplate,
  listRepositories,
} from '@codecommit-evidence/aws-clients';
import {
  type EvidenceInput,
  retireMissing,
  selectCurrent,
  type WriteStats,
  writeEvidence,
} from '@codecommit-evidence/evidence-store';
import {
  DEFAULT_JOB_OPTIONS,
  jobIds,
  parseJobPayload,
  type SyncRunPayload,
} from '@codecommit-evidence/queues';
import { type SyncContext, type SyncWorkerDeps, withSyncContext } from '@codecommit-evidence/sync-support';
import { type Job, type Queue, WaitingChildrenError } from 'bullmq';
import { repositoryRow, templateRow } from '../evidence-rows.js';
import { retireRepositoryEvidence } from '../retire.js';
import { STEPS } from '../steps.js';

export interface ListedRepository {
  repositoryId: string;
  repositoryName: string;
}

export interface RecordRepositoriesResult {
  /** Repositories that exist now: one child job each. */
  repositories: ListedRepository[];
  /** Repositories gone from AWS since the last run, marked removed. */
  removed: ListedRepository[];
  writes: WriteStats;
}

/**
 * First half of `sync-repositories`: ListRepositories (paged), BatchGetRepositories 25 at a time,
 * repository evidence written, and repositories gone from AWS marked removed with everything under
 * them. Both calls are core: without them there is no inventory, so a denial fails the job for good.
 */
export async function recordRepositories(
  ctx: SyncContext,
  deps: SyncWorkerDeps,
): Promise<RecordRepositoriesResult> {
  const step = STEPS.repositories;
  const core = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      // Not found cannot happen for account-level listings; anything else is retried or fails for good.
      await ctx.handleAwsFailure(err, { optional: false, step, action });
      throw err;
    }
  };
  const listed = await core('codecommit:ListRepositories', async () => {
    const out: ListedRepository[] = [];
    for await (const r of listRepositories(ctx.codecommit)) {
      if (r.repositoryId && r.repositoryName)
        out.push({ repositoryId: r.repositoryId, repositoryName: r.repositoryName });
    }
    return out;
  });
  const batch = await core('codecommit:BatchGetRepositories', () =>
    batchGetRepositories(
      ctx.codecommit,
      listed.map((r) => r.repositoryName),
    ),
  );
  const rows = batch.repositories
    .map(repositoryRow)
    .filter((r): r is EvidenceInput<'repositories'> => r !== undefined);
  const notFound = new Set(batch.notFound);
  // A repository AWS could not describe (e.g. its KMS key refuses the role) still exists: keep its last
  // known row rather than mark it removed.
  const undescribed = batch.errors.filter((e) => e.repositoryName || e.repositoryId);
  for (const e of undescribed) {
    await ctx.recordProblem({
      step,
      kind: 'warning',
      code: e.errorCode ?? 'batch_get_error',
      resource: e.repositoryName ?? e.repositoryId ?? '',
      message: e.errorMessage ?? 'BatchGetRepositories could not describe the repository',
    });
  }
  // Deletion is concluded only from a well-formed answer that omits the repository: ListRepositories
  // no longer lists it, or BatchGetRepositories names it not found. A listed repository whose item was
  // invalid (a name of the wrong type, a description beyond AWS's bound, a NUL byte) or missing keeps
  // its last known row, and its scope is a fault of this run: its checks say unknown, naming it.
  const described = new Set(rows.map((r) => r.repository_id));
  const errored = (l: ListedRepository) =>
    undescribed.some((e) => e.repositoryName === l.repositoryName || e.repositoryId === l.repositoryId);
  for (const l of listed) {
    if (described.has(l.repositoryId) || notFound.has(l.repositoryName) || errored(l)) continue;
    const bad = batch.invalid.find(
      (i) => i.repositoryId === l.repositoryId || i.repositoryName === l.repositoryName,
    );
    const message = bad
      ? `codecommit:BatchGetRepositories answered an invalid ${bad.field}: ${bad.message}; the repository's last known evidence is kept`
      : batch.invalid.length > 0
        ? `codecommit:BatchGetRepositories answered ${batch.invalid.length} invalid item(s) (${batch.invalid[0]!.field}: ${batch.invalid[0]!.message}); the repository's last known evidence is kept`
        : 'codecommit:BatchGetRepositories did not describe the repository; its last known evidence is kept';
    for (const s of [
      STEPS.repository(l.repositoryName),
      STEPS.pullRequests(l.repositoryName),
      STEPS.templatesOf(l.repositoryName),
    ]) {
      await ctx.recordProblem({
        step: s,
        kind: 'error',
        code: 'aws_response_invalid',
        action: 'codecommit:BatchGetRepositories',
        resource: l.repositoryName,
        message,
      });
    }
  }
  const present = new Set(listed.filter((l) => !notFound.has(l.repositoryName)).map((l) => l.repositoryId));
  const before = await selectCurrent(deps.db, 'repositories', ctx.connection.id)
    .select(['repository_id', 'repository_name'])
    .execute();
  const removed = before
    .filter((r) => !present.has(r.repository_id))
    .map((r) => ({ repositoryId: r.repository_id, repositoryName: r.repository_name }));
  const writes = await writeEvidence(deps.db, 'repositories', ctx.target, rows);
  for (const r of removed) await retireRepositoryEvidence(deps.db, ctx.target, r);
  return {
    repositories: listed.filter((l) => present.has(l.repositoryId)),
    removed,
    writes,
  };
}

export interface SyncTemplatesResult {
  templates: number;
  skipped: boolean;
}

/**
 * Second half, once every repository job is done: the content of each template associated with some
 * repository, one GetApprovalRuleTemplate per distinct template per run. Done here rather than in the
 * repository jobs (which would need a Redis "first one fetches" key per template and run, and a repair
 * step for the case where the job holding the key died) because only here are all associations known:
 * it is exactly one call per template, and a retry repeats the whole step, which is idempotent.
 */
export async function syncTemplates(ctx: SyncContext, deps: SyncWorkerDeps): Promise<SyncTemplatesResult> {
  const step = STEPS.templates;
  const names = [
    ...new Set(
      (
        await selectCurrent(deps.db, 'repository_template_associations', ctx.connection.id)
          .select('template_name')
          .execute()
      ).map((r) => r.template_name),
    ),
  ].sort();
  const rows: EvidenceInput<'approval_rule_templates'>[] = [];
  let skipped = false;
  for (const name of names) {
    let t: ApprovalRuleTemplateWithContent;
    try {
      t = await getApprovalRuleTemplate(ctx.codecommit, name);
    } catch (err) {
      const outcome = await ctx.handleAwsFailure(err, {
        optional: true,
        step,
        action: 'codecommit:GetApprovalRuleTemplate',
        resource: name,
      });
      if (outcome === 'skipped') {
        skipped = true;
        break;
      }
      // An invalid answer: this template's scope is faulted (recorded); the last known rows are kept.
      if (outcome === 'invalid') skipped = true;
      continue; // or deleted since its association was read: nothing to store
    }
    rows.push(templateRow(t));
  }
  await deps.db.transaction().execute(async (trx) => {
    await writeEvidence(trx, 'approval_rule_templates', ctx.target, rows);
    // The table holds the templates some repository uses; when some could not be read, keep the old ones.
    if (!skipped) await retireMissing(trx, 'approval_rule_templates', ctx.target, {}, rows);
  });
  return { templates: rows.length, skipped };
}

export interface SyncRepositoriesResult {
  repositories: number;
  removed: number;
  failedRepositories: string[];
  templates: number;
}

/** Where the parent job is, kept in `job.progress` (the payload schema is strict, so not in `job.data`). */
interface Progress {
  phase: 'waiting-children';
  repositories: number;
  removed: number;
}

export interface SyncRepositoriesJob {
  job: Job;
  token: string | undefined;
}

/**
 * `sync-repositories`, BullMQ's "process step jobs" pattern
 * (https://docs.bullmq.io/patterns/process-step-jobs): list and record repositories, add one
 * `sync-repository` child per repository as children of this job, wait for them
 * (`moveToWaitingChildren` + `WaitingChildrenError`), then, when BullMQ hands the job back, fetch the
 * templates and finish. The flow's `evaluate-checks` (this job's parent) thus runs only after every
 * repository is done. Children fail without blocking (`ignoreDependencyOnFailure`); their failures
 * are recorded on the run as failed steps of that repository.
 */
export async function syncRepositories(
  payload: SyncRunPayload,
  deps: SyncWorkerDeps & { queue: Queue },
  { job, token }: SyncRepositoriesJob,
): Promise<SyncRepositoriesResult> {
  return withSyncContext(deps, { ...payload, step: STEPS.repositories, job }, async (ctx) => {
    let progress = (typeof job.progress === 'object' ? job.progress : null) as Progress | null;
    if (progress?.phase !== 'waiting-children') {
      await ctx.setStep(STEPS.repositories, 'running');
      const recorded = await recordRepositories(ctx, deps);
      const children = recorded.repositories.map((r) => ({
        name: 'sync-repository' as const,
        data: parseJobPayload('sync-repository', { ...payload, ...r }),
        opts: {
          ...DEFAULT_JOB_OPTIONS,
          jobId: jobIds.syncRepository(payload.runId, r.repositoryId),
          parent: { id: job.id!, queue: job.queueQualifiedName },
          ignoreDependencyOnFailure: true,
        },
      }));
      // Same ids on a retry: BullMQ ignores the duplicates (and links completed ones to this parent).
      for (let i = 0; i < children.length; i += 500) await deps.queue.addBulk(children.slice(i, i + 500));
      progress = {
        phase: 'waiting-children',
        repositories: recorded.repositories.length,
        removed: recorded.removed.length,
      };
      await job.updateProgress(progress as unknown as object);
      ctx.log.info(progress, 'repository jobs added');
    }
    if (token && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();

    const failures = await job.getIgnoredChildrenFailures();
    const failedRepositories: string[] = [];
    for (const [key, reason] of Object.entries(failures)) {
      const child = await deps.queue.getJob(key.slice(key.lastIndexOf(':') + 1));
      const name = (child?.data as { repositoryName?: string } | undefined)?.repositoryName ?? key;
      failedRepositories.push(name);
      // The checks read gaps per step: the repository's pull requests and templates are not current.
      for (const step of [STEPS.pullRequests(name), STEPS.templatesOf(name), STEPS.branches(name)]) {
        await ctx.recordProblem({
          step,
          kind: 'error',
          code: 'repository_sync_failed',
          resource: name,
          message: reason,
        });
        await ctx.setStep(step, { status: 'failed', detail: reason.slice(0, 500) });
      }
    }
    const templates = await syncTemplates(ctx, deps);
    const result: SyncRepositoriesResult = {
      repositories: progress.repositories,
      removed: progress.removed,
      failedRepositories: failedRepositories.sort(),
      templates: templates.templates,
    };
    await ctx.setStep(
      STEPS.repositories,
      'succeeded',
      `${result.repositories} repositories, ${result.removed} removed, ${failedRepositories.length} failed, ${result.templates} templates`,
    );
    return result;
  });
}
