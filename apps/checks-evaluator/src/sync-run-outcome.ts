import type { SyncProblemKind, SyncRunStatus } from '@codecommit-evidence/evidence-store';
import { jobIds } from '@codecommit-evidence/queues';

/** The child jobs of a sync run's flow (see `addSyncRunFlow`). */
export type SyncChildJob = 'sync-repositories' | 'sync-iam';

export interface FailedChild {
  job: SyncChildJob | 'unknown';
  key: string;
  reason: string;
}

/**
 * Which child a key of `job.getIgnoredChildrenFailures()` names. Keys are `<prefix>:<queue>:<jobId>`;
 * the job id derives from the run (`jobIds`), the queue name is the fallback.
 */
export function identifyFailedChildren(runId: number, failures: Record<string, string>): FailedChild[] {
  return Object.entries(failures).map(([key, reason]) => {
    let job: FailedChild['job'] = 'unknown';
    if (key.endsWith(`:${jobIds.syncRepositories(runId)}`) || key.includes(':repo-sync:'))
      job = 'sync-repositories';
    else if (key.endsWith(`:${jobIds.syncIam(runId)}`) || key.includes(':iam-sync:')) job = 'sync-iam';
    return { job, key, reason };
  });
}

/**
 * How a sync run ended: `failed` when both children failed for good (no new evidence at all); `partial`
 * when some evidence is missing (a failed child, or a problem the sync recorded: a missing permission,
 * an error); `succeeded` otherwise. Warnings leave a run complete.
 */
export function syncRunOutcome(
  failed: readonly FailedChild[],
  problems: readonly { kind: SyncProblemKind }[],
): Extract<SyncRunStatus, 'succeeded' | 'partial' | 'failed'> {
  const jobs = new Set(failed.map((f) => f.job));
  if (jobs.has('sync-repositories') && jobs.has('sync-iam')) return 'failed';
  if (failed.length > 0) return 'partial';
  if (problems.some((p) => p.kind === 'missing_permission' || p.kind === 'error')) return 'partial';
  return 'succeeded';
}
