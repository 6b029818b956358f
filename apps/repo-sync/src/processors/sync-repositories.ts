import {
  type ApprovalRuleTemplateWithContent,
  batchGetRepositories,
  collect,
  getApprovalRuleTemplate,
  listApprovalRuleTemplates,
  listRepositories,
  listRepositoriesForApprovalRuleTemplate,
} from '@codecommit-evidence/aws-clients';
import { scopes } from '@codecommit-evidence/domain';
import {
  type EvidenceInput,
  retireMissing,
  retireRepositoryEvidence,
  selectCurrent,
  type WriteStats,
  writeEvidence,
} from '@codecommit-evidence/evidence-store';
import {
  JOBS,
  jobIds,
  parseJobPayload,
  SyncRepositoryPayload,
  type SyncRunPayload,
} from '@codecommit-evidence/queues';
import {
  isMissing,
  type Missing,
  type SyncContext,
  type SyncJobDefinition,
  type SyncWorkerDeps,
} from '@codecommit-evidence/sync-support';
import type { Queue } from 'bullmq';
import { z } from 'zod';
import { repositoryRow, templateRow } from '../evidence-rows.js';

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
  const step = scopes.repositories;
  // Both calls are required: without them there is no inventory, so a denial or a lasting fault fails
  // the job for good (`ctx.call`). Not found cannot happen for account-level listings.
  const core = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    const value = await ctx.call(step, action, fn, { required: true });
    if (isMissing(value)) throw new Error(`${action}: ${value.message}`);
    return value;
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
      scopes.repository(l.repositoryName),
      scopes.pullRequests(l.repositoryName),
      scopes.templatesOf(l.repositoryName),
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

export interface SyncAssociationsResult {
  /** Associations stored (template, repository), or null when they could not be read this run. */
  associations: number | null;
  /** Calls made: one ListApprovalRuleTemplates page per 100 templates, one listing per template. */
  templates: number;
}

/**
 * Which approval rule templates apply to which repository, for the whole Region at once, before the
 * repository jobs are added: ListApprovalRuleTemplates, then ListRepositoriesForApprovalRuleTemplate per
 * template (both paged). About one call per template, where the per-repository
 * ListAssociatedApprovalRuleTemplatesForRepository cost one per repository (issue 12: the largest of
 * the calls a no-change re-sync made). A template needs no repository's job, so nothing is handed to the
 * children: the associations are written here, for every repository, in one transaction.
 *
 * Failure policy (`ctx.call`): the listings are a unit. Denied or faulted, the gap is recorded on the
 * account scope `codecommit:approval-rule-templates` (which covers every repository's templates scope, so
 * the findings that need templates say unknown, naming it) and the stored associations stay as they were:
 * an unreadable listing is never "no templates". A template deleted between the two listings (not found)
 * has no associations left, which is what its absence means.
 */
export async function syncAssociations(
  ctx: SyncContext,
  deps: SyncWorkerDeps,
  repositories: readonly ListedRepository[],
): Promise<SyncAssociationsResult> {
  const step = scopes.approvalRuleTemplates;
  const names = await ctx.call(step, 'codecommit:ListApprovalRuleTemplates', () =>
    collect(listApprovalRuleTemplates(ctx.codecommit)),
  );
  if (isMissing(names)) return { associations: null, templates: 0 };
  const idOf = new Map(repositories.map((r) => [r.repositoryName, r.repositoryId]));
  const rows: EvidenceInput<'repository_template_associations'>[] = [];
  for (const template of [...new Set(names)].sort()) {
    const repos = await ctx.call(
      step,
      'codecommit:ListRepositoriesForApprovalRuleTemplate',
      () => collect(listRepositoriesForApprovalRuleTemplate(ctx.codecommit, template)),
      { resource: template },
    );
    if (isMissing(repos)) {
      if (repos.reason === 'gone') continue; // deleted since it was listed: it applies to nothing
      return { associations: null, templates: names.length };
    }
    for (const name of new Set(repos)) {
      // A repository created since ListRepositories has no row yet: the next run stores both.
      const id = idOf.get(name);
      if (id) rows.push({ repository_id: id, template_name: template });
    }
  }
  await deps.db.transaction().execute(async (trx) => {
    await writeEvidence(trx, 'repository_template_associations', ctx.target, rows);
    // Every association of the Region was read: one no longer listed is gone.
    await retireMissing(trx, 'repository_template_associations', ctx.target, {}, rows);
  });
  return { associations: rows.length, templates: names.length };
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
  const step = scopes.approvalRuleTemplates;
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
    const t: ApprovalRuleTemplateWithContent | Missing = await ctx.call(
      step,
      'codecommit:GetApprovalRuleTemplate',
      () => getApprovalRuleTemplate(ctx.codecommit, name),
      { resource: name },
    );
    if (isMissing(t)) {
      // Denied: no other template can be read either. Faulted (a lasting 5xx, an invalid answer): this
      // template's fault is recorded, its last known row kept, the others are still read.
      if (t.reason === 'denied') {
        skipped = true;
        break;
      }
      if (t.reason === 'faulted') skipped = true;
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

/** Where the parent job is, kept in its progress (sync-support's one phase mechanism). */
const Progress = z.object({
  phase: z.literal('waiting-children'),
  repositories: z.number().int().min(0),
  removed: z.number().int().min(0),
});

export interface SyncRepositoriesDeps {
  /** The `repo-sync` queue, where the per-repository children are added. */
  queue: Queue;
}

/**
 * `sync-repositories` on the sync kernel, BullMQ's "process step jobs" pattern
 * (https://docs.bullmq.io/patterns/process-step-jobs): list and record repositories, add one
 * `sync-repository` child per repository as children of this job, wait for them (the job is parked
 * until they are done), then, when BullMQ hands the job back, fetch the templates and finish. The
 * flow's `evaluate-checks` (this job's parent) thus runs only after every repository is done. Children
 * fail without blocking (`ignoreDependencyOnFailure`); their failures are recorded on the run as failed
 * steps of that repository.
 */
export const syncRepositoriesJob: SyncJobDefinition<
  SyncRunPayload,
  SyncRepositoriesResult,
  SyncRepositoriesDeps
> = {
  step: () => scopes.repositories,
  async handle(payload, ctx) {
    const { deps } = ctx;
    const children = ctx.job.children;
    if (!children) throw new Error('sync-repositories runs as a BullMQ job: it fans out child jobs');
    const saved = ctx.progress(Progress);
    let progress = saved.value;
    if (!progress) {
      await ctx.setStep(scopes.repositories, 'running');
      const recorded = await recordRepositories(ctx, deps);
      await syncAssociations(ctx, deps, recorded.repositories);
      const jobs = recorded.repositories.map((r) => ({
        name: 'sync-repository' as const,
        data: parseJobPayload('sync-repository', { ...payload, ...r }),
        opts: {
          ...JOBS['sync-repository'].options,
          jobId: jobIds.syncRepository(payload.runId, r.repositoryId),
          parent: children.parent,
          ignoreDependencyOnFailure: true,
        },
      }));
      // Same ids on a retry: BullMQ ignores the duplicates (and links completed ones to this parent).
      for (let i = 0; i < jobs.length; i += 500) await deps.queue.addBulk(jobs.slice(i, i + 500));
      progress = {
        phase: 'waiting-children',
        repositories: recorded.repositories.length,
        removed: recorded.removed.length,
      };
      await saved.save(progress);
      ctx.log.info(progress, 'repository jobs added');
    }
    await children.waitForChildren();

    const failures = await children.failures();
    const failedRepositories: string[] = [];
    for (const [key, reason] of Object.entries(failures)) {
      const child = await deps.queue.getJob(key.slice(key.lastIndexOf(':') + 1));
      // Read through the child's payload schema, not cast: a child gone from Redis is named by its key.
      const name = SyncRepositoryPayload.safeParse(child?.data).data?.repositoryName ?? key;
      failedRepositories.push(name);
      // The checks read gaps per scope: the repository's pull requests and branches are not current (its
      // template associations are read by this job, not by the child: see `syncAssociations`).
      for (const step of [scopes.pullRequests(name), scopes.branches(name)]) {
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
      scopes.repositories,
      'succeeded',
      `${result.repositories} repositories, ${result.removed} removed, ${failedRepositories.length} failed, ${result.templates} templates`,
    );
    return result;
  },
};
