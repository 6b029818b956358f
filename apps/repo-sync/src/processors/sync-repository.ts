import {
  type Approval,
  collect,
  describePullRequestEvents,
  type Evaluation,
  evaluatePullRequestApprovalRules,
  getBranch,
  getPullRequest,
  getPullRequestApprovalStates,
  getPullRequestOverrideState,
  listBranches,
  listPullRequests,
  type PullRequest,
  type PullRequestEvent,
} from '@codecommit-evidence/aws-clients';
import { scopes } from '@codecommit-evidence/domain';
import {
  type EvidenceInput,
  type EvidenceRow,
  retireApprovalsNotIn,
  retireMissing,
  retireRepositoryEvidence,
  selectCurrent,
  type WriteStats,
  writeEvidence,
} from '@codecommit-evidence/evidence-store';
import type { SyncRepositoryPayload } from '@codecommit-evidence/queues';
import {
  isMissing,
  type Missing,
  mapConcurrent,
  type SyncContext,
  type SyncJobDefinition,
  type SyncWorkerDeps,
} from '@codecommit-evidence/sync-support';
import { z } from 'zod';
import { type ConnectionGate, deferralDelayMs } from '../connection-gate.js';
import {
  approvalRows,
  evaluationOf,
  hasIndependentApproval,
  mergeDateOf,
  openPullRequestRow,
  pullRequestRow,
  type ReviewData,
  sameOpenRow,
} from '../evidence-rows.js';

export interface SyncRepositoryResult {
  repository: string;
  /** `gone`: the repository was deleted while the run was under way (recorded, not a failure). */
  outcome: 'synced' | 'gone';
  branches: number;
  pullRequests: {
    listed: number;
    fetched: number;
    reviewFetched: number;
    /** Merged pull requests without an independent final approval whose approval history was read. */
    historyFetched: number;
    /** Merged pull requests whose merge date was read (every one, once; again only if it failed). */
    mergeDateFetched: number;
    unchangedClosed: number;
    /** Pull requests stored OPEN and still listed OPEN: not fetched (see `openPullRequestRow`). */
    unchangedOpen: number;
  };
  /** Actions denied in this job (recorded on the run as missing permissions). */
  denied: string[];
  writes: WriteStats;
}

/** How many pull requests of one repository are fetched at once; the account limiter still gates each call. */
const PULL_REQUEST_CONCURRENCY = 4;

/** Thrown inside the job when AWS says the repository no longer exists. */
class RepositoryGone extends Error {}

const SKIPPED = Symbol('skipped');
type Skipped = typeof SKIPPED;

/**
 * A sub-read of a pull request (review data, history) faulted: an invalid answer, or 5xx or throttling
 * past the retries. The pull request's row is then not written this run (its stored row, if any, stays
 * as it was) rather than written half-way: a row is written from complete sub-reads only (issue 11).
 * A denied sub-read is different: the row is written without that part (null, "not collected") and
 * completed at a later run once the permission is granted (`reviewMissing`).
 */
const WITHHELD = Symbol('withheld');
type Withheld = typeof WITHHELD;

/** Repository jobs of one connection at once (REPO_SYNC_JOBS_PER_CONNECTION); unset: no gate. */
export interface SyncRepositoryDeps {
  gate?: ConnectionGate;
}

/** How often this job was put back because its connection had no free slot. */
const Deferrals = z.object({ deferrals: z.number().int().min(0) });

/**
 * One repository: branches (with the default branch's head commit) and pull requests (its approval
 * rule template associations are read for the whole Region by the parent). Incremental: a pull request already stored as CLOSED is not fetched
 * again (CLOSED is final in CodeCommit); one stored OPEN and still in the OPEN list is not fetched either
 * (its row keeps only what cannot change while it is open, `openPullRequestRow`); new ones and those that
 * moved from the OPEN to the CLOSED list are. Review data (approval states on the final
 * revision, rule evaluation, override state) is fetched for merged pull requests only: the peer-review
 * check judges merged ones, and an open one is fetched again every run until it closes, so its review
 * is read once, on its final revision, when it merges. A merged one whose final revision has no APPROVE
 * by anyone but its author (the check fails it anyway) also gets its approval history read, one
 * DescribePullRequestEvents, so that the finding can say whether it was approved on an earlier revision.
 * Every merged one gets its merge date read once, in the same DescribePullRequestEvents (unfiltered when
 * it serves both), so what is stored never depends on when the sync ran.
 * Every call is optional: a denied one is recorded as a missing permission of its step, the rest is still
 * synced.
 */
/** `sync-repository` on the sync kernel: `(payload, ctx) => result`. */
export const syncRepositoryJob: SyncJobDefinition<
  SyncRepositoryPayload,
  SyncRepositoryResult,
  SyncRepositoryDeps
> = {
  step: (payload) => scopes.repository(payload.repositoryName),
  async handle(payload, ctx) {
    const gate = ctx.deps.gate;
    if (!gate) return syncOne(payload, ctx);
    const release = await gate.tryEnter(payload.connectionId);
    if (!release) {
      // Put back, not failed: a deferral does not use an attempt, so other tenants get the slots.
      const saved = ctx.progress(Deferrals);
      const deferrals = saved.value?.deferrals ?? 0;
      await saved.save({ deferrals: deferrals + 1 });
      return ctx.defer(deferralDelayMs(deferrals));
    }
    try {
      return await syncOne(payload, ctx);
    } finally {
      await release();
    }
  },
};

async function syncOne(
  payload: SyncRepositoryPayload,
  ctx: SyncContext & { deps: SyncWorkerDeps },
): Promise<SyncRepositoryResult> {
  const { deps } = ctx;
  const name = payload.repositoryName;
  const result: SyncRepositoryResult = {
    repository: name,
    outcome: 'synced',
    branches: 0,
    pullRequests: {
      listed: 0,
      fetched: 0,
      reviewFetched: 0,
      historyFetched: 0,
      mergeDateFetched: 0,
      unchangedClosed: 0,
      unchangedOpen: 0,
    },
    denied: [],
    writes: { inserted: 0, superseded: 0, rewritten: 0, unchanged: 0 },
  };
  const repo = await selectCurrent(deps.db, 'repositories', payload.connectionId)
    .where('repository_id', '=', payload.repositoryId)
    .selectAll()
    .executeTakeFirst();
  if (!repo) {
    // Retired since the fan-out (deleted mid-run, seen by an earlier attempt): nothing left to read.
    return { ...result, outcome: 'gone' };
  }
  const denied = new Set<string>();
  /**
   * Every call of this job is optional (`ctx.call` owns the policy): a denied or faulted one leaves
   * its scope's data out and the rest is synced; a deleted repository ends the job as `gone`.
   */
  const read = async <T>(scope: string, action: string, fn: () => Promise<T>): Promise<T | Missing> => {
    const value = await ctx.call(scope, action, fn, { resource: name });
    if (!isMissing(value)) return value;
    if (value.awsCode === 'RepositoryDoesNotExistException') throw new RepositoryGone();
    if (value.reason === 'denied') denied.add(action);
    return value;
  };
  const optional = async <T>(scope: string, action: string, fn: () => Promise<T>): Promise<T | Skipped> => {
    const value = await read(scope, action, fn);
    return isMissing(value) ? SKIPPED : value;
  };
  const add = (s: WriteStats) => {
    result.writes.inserted += s.inserted;
    result.writes.superseded += s.superseded;
    result.writes.rewritten += s.rewritten;
    result.writes.unchanged += s.unchanged;
  };
  // The two parts are independent (their own calls, their own tables): run them side by side, and
  // only look at failures once both have settled, so nothing is still writing when a gone repository
  // is retired. Template associations are read by the parent for the whole Region
  // (`syncAssociations` in sync-repositories.ts), not here.
  const settled = await Promise.allSettled([
    syncBranches(ctx, deps, repo, optional, add, result),
    syncPullRequests(ctx, deps, repo, read, add, result),
  ]);
  const errors = settled.flatMap((x) => (x.status === 'rejected' ? [x.reason as unknown] : []));
  const other = errors.find((e) => !(e instanceof RepositoryGone));
  if (other !== undefined) throw other;
  if (errors.length > 0) {
    ctx.log.info({ repository: name }, 'repository deleted during the run');
    await ctx.recordProblem({
      step: scopes.repository(name),
      kind: 'warning',
      code: 'repository_deleted',
      resource: name,
      message: `Repository ${name} was deleted while the run was under way; its evidence is marked removed.`,
    });
    await retireRepositoryEvidence(deps.db, ctx.target, {
      repositoryId: repo.repository_id,
      repositoryName: name,
    });
    result.outcome = 'gone';
  }
  result.denied = [...denied];
  return result;
}

type Optional = <T>(step: string, action: string, fn: () => Promise<T>) => Promise<T | Skipped>;
/** Like {@link Optional}, but says why a call gave no data (denied, faulted, gone). */
type Read = <T>(step: string, action: string, fn: () => Promise<T>) => Promise<T | Missing>;
type Repo = EvidenceRow<'repositories'>;

async function syncBranches(
  ctx: SyncContext,
  deps: SyncWorkerDeps,
  repo: Repo,
  optional: Optional,
  add: (s: WriteStats) => void,
  result: SyncRepositoryResult,
): Promise<void> {
  const name = repo.repository_name;
  const step = scopes.branches(name);
  const names = await optional(step, 'codecommit:ListBranches', () =>
    collect(listBranches(ctx.codecommit, name)),
  );
  if (names === SKIPPED) return;
  let head: string | null = null;
  if (repo.default_branch && names.includes(repo.default_branch)) {
    const branch = await optional(step, 'codecommit:GetBranch', () =>
      getBranch(ctx.codecommit, name, repo.default_branch!),
    );
    // An invalid or refused answer faults the branch scope (recorded by `optional`): its previous
    // evidence is kept whole rather than rewritten with the default branch's head as null (issue 11).
    if (branch === SKIPPED) return;
    head = branch.commitId ?? null;
  }
  const rows: EvidenceInput<'branches'>[] = names.map((b) => ({
    repository_id: repo.repository_id,
    branch_name: b,
    commit_id: b === repo.default_branch ? head : null,
  }));
  await deps.db.transaction().execute(async (trx) => {
    add(await writeEvidence(trx, 'branches', ctx.target, rows));
    await retireMissing(trx, 'branches', ctx.target, { repository_id: repo.repository_id }, rows);
  });
  result.branches = rows.length;
}

async function syncPullRequests(
  ctx: SyncContext,
  deps: SyncWorkerDeps,
  repo: Repo,
  read: Read,
  add: (s: WriteStats) => void,
  result: SyncRepositoryResult,
): Promise<void> {
  const name = repo.repository_name;
  const step = scopes.pullRequests(name);
  const optional: Optional = async (scope, action, fn) => {
    const value = await read(scope, action, fn);
    return isMissing(value) ? SKIPPED : value;
  };
  /** A faulted sub-read withholds the row; a denied (or gone) one leaves its part out (see `WITHHELD`). */
  const faulted = (value: unknown): boolean => isMissing(value) && value.reason === 'faulted';
  const withheld = async (action: string, missing: Missing): Promise<Withheld> => {
    // A history fault is recorded on the history scope by `ctx.call`; the row it withholds belongs to
    // the pull requests scope, whose gap makes the repository's peer review unknown, naming it.
    if (action === 'codecommit:DescribePullRequestEvents') {
      await ctx.recordProblem({
        step,
        kind: 'error',
        code: 'pull_request_withheld',
        action,
        resource: name,
        message: `${action} failed (${missing.message}); the pull requests it concerned keep their last stored rows`,
      });
    }
    return WITHHELD;
  };
  // Its own step, not `step`: a gap on `step` makes the repository's peer review unknown, and without the
  // history the check still decides (the pull request fails either way); only the explanation is plainer.
  const historyStep = scopes.pullRequestHistory(name);
  const listed = await optional(step, 'codecommit:ListPullRequests', () =>
    collect(listPullRequests(ctx.codecommit, name)),
  );
  if (listed === SKIPPED) return;
  result.pullRequests.listed = listed.length;
  const stored = new Map(
    (
      await selectCurrent(deps.db, 'pull_requests', ctx.connection.id)
        .where('repository_name', '=', name)
        .selectAll()
        .execute()
    ).map((r) => [r.pull_request_id, r]),
  );

  /** Approval states, evaluation and override on the final revision (the review unit, see `ReviewData`). */
  const fetchReview = async (
    pullRequestId: string,
    revisionId: string,
  ): Promise<Omit<ReviewData, 'approvalEvents'> | null | Withheld> => {
    // Collected as a unit: a merged pull request whose evaluation is stored has its approvals too, and
    // one without (denied) is completed at a later run; a faulted part withholds the whole row.
    const approvals = await read<Approval[]>(step, 'codecommit:GetPullRequestApprovalStates', () =>
      getPullRequestApprovalStates(ctx.codecommit, pullRequestId, revisionId),
    );
    if (isMissing(approvals)) return faulted(approvals) ? WITHHELD : null;
    const evaluation = await read<Evaluation>(step, 'codecommit:EvaluatePullRequestApprovalRules', () =>
      evaluatePullRequestApprovalRules(ctx.codecommit, pullRequestId, revisionId),
    );
    if (isMissing(evaluation)) return faulted(evaluation) ? WITHHELD : null;
    let override: ReviewData['override'] = { overridden: false, overrider: null };
    if (evaluation.overridden) {
      // Only an overridden evaluation needs the override state: it names who overrode.
      const state = await read(step, 'codecommit:GetPullRequestOverrideState', () =>
        getPullRequestOverrideState(ctx.codecommit, pullRequestId, revisionId),
      );
      if (faulted(state)) return WITHHELD;
      override = isMissing(state)
        ? null
        : { overridden: state.overridden, overrider: state.overrider ?? null };
    }
    result.pullRequests.reviewFetched++;
    return { approvals, evaluation, override };
  };

  /**
   * One DescribePullRequestEvents for what a merged pull request still lacks: its approval history (only
   * when the final revision has no independent APPROVE: the check fails it anyway, the history says why)
   * and/or its merge date (every merged pull request, so the evidence never depends on when the sync
   * ran). Both at once: one unfiltered call (more only past 100 events); one alone: filtered by type.
   * Denied (recorded on the history step) or gone: null, and a missing merge date is read again at the
   * next run (`merged_at` null on a merged row means "not read"). Faulted: the row is withheld.
   */
  const readEvents = async (
    pullRequestId: string,
    want: { history: boolean; mergeDate: boolean },
  ): Promise<PullRequestEvent[] | null | Withheld> => {
    if (!want.history && !want.mergeDate) return null;
    const eventType =
      want.history && want.mergeDate
        ? undefined
        : want.history
          ? 'PULL_REQUEST_APPROVAL_STATE_CHANGED'
          : 'PULL_REQUEST_MERGE_STATE_CHANGED';
    const action = 'codecommit:DescribePullRequestEvents';
    const events = await read(historyStep, action, () =>
      collect(describePullRequestEvents(ctx.codecommit, pullRequestId, eventType ? { eventType } : {})),
    );
    if (isMissing(events)) return faulted(events) ? withheld(action, events) : null;
    if (want.history) result.pullRequests.historyFetched++;
    if (want.mergeDate) result.pullRequests.mergeDateFetched++;
    return events;
  };

  /** A merged pull request's review (when `need.review`), then its events (history, merge date) in one call. */
  const readMerged = async (
    pullRequestId: string,
    revisionId: string | null,
    authorArn: string | null | undefined,
    need: { review: boolean; mergeDate: boolean },
  ): Promise<{ review: ReviewData | null; mergedAt: Date | null } | Withheld> => {
    const unit = need.review && revisionId ? await fetchReview(pullRequestId, revisionId) : null;
    if (unit === WITHHELD) return WITHHELD;
    const history = unit !== null && !hasIndependentApproval(unit.approvals, authorArn);
    const events = await readEvents(pullRequestId, { history, mergeDate: need.mergeDate });
    if (events === WITHHELD) return WITHHELD;
    const review = unit ? { ...unit, approvalEvents: history ? events : null } : null;
    return { review, mergedAt: need.mergeDate && events ? mergeDateOf(events) : null };
  };

  const prRows: EvidenceInput<'pull_requests'>[] = [];
  const approvals: EvidenceInput<'pull_request_approvals'>[] = [];
  const reviewed: string[] = [];

  await mapConcurrent(listed, PULL_REQUEST_CONCURRENCY, async ({ pullRequestId, status }) => {
    const before = stored.get(pullRequestId);
    if (before && before.status === 'OPEN' && status === 'OPEN') {
      // Still in the OPEN list: its stored row holds only what cannot change while it is open (see
      // `openPullRequestRow`), so there is nothing to re-read. A row stored before that rule (with
      // revision, title, …) is narrowed without a call, so the evidence converges on a full sync's.
      const narrowed = openPullRequestRow(contentOf(before));
      if (!sameOpenRow(before, narrowed)) prRows.push(narrowed);
      else result.pullRequests.unchangedOpen++;
      return;
    }
    if (before && before.status === 'CLOSED') {
      const reviewMissing =
        before.is_merged &&
        before.revision_id !== null &&
        (before.evaluation === null || (before.evaluation.overridden && before.override_state === null));
      // Merged, but its merge date could not be read last time (denied or faulted): read only that.
      const mergeDateMissing = before.is_merged && before.merged_at === null;
      if (!reviewMissing && !mergeDateMissing) {
        result.pullRequests.unchangedClosed++;
        return;
      }
      // Closed, but part of what a merged one needs could not be read last time: read only that part.
      const got = await readMerged(pullRequestId, before.revision_id, before.author_arn, {
        review: reviewMissing,
        mergeDate: mergeDateMissing,
      });
      // A faulted sub-read keeps the stored row exactly as it is.
      if (got === WITHHELD) return;
      const { review, mergedAt } = got;
      if (!review && !mergedAt) {
        result.pullRequests.unchangedClosed++;
        return;
      }
      prRows.push({
        ...contentOf(before),
        ...(review ? { evaluation: evaluationOf(review.evaluation), override_state: review.override } : {}),
        ...(mergedAt ? { merged_at: mergedAt } : {}),
      });
      if (review) {
        approvals.push(
          ...approvalRows(pullRequestId, before.revision_id!, review.approvals, review.approvalEvents),
        );
        reviewed.push(pullRequestId);
      }
      return;
    }
    // Gone (deleted meanwhile), denied or faulted: nothing to store, the stored row (if any) stays.
    const pr = await optional<PullRequest>(step, 'codecommit:GetPullRequest', () =>
      getPullRequest(ctx.codecommit, pullRequestId),
    );
    if (pr === SKIPPED) return;
    result.pullRequests.fetched++;
    const merged = pr.pullRequestTargets?.[0]?.mergeMetadata?.isMerged === true;
    let review: ReviewData | null = null;
    let mergedAt: Date | null = null;
    if (pr.pullRequestStatus === 'CLOSED' && merged) {
      // Read once: a closed pull request is never fetched again (a part that could not be read is
      // completed at a later run, above).
      const got = await readMerged(pullRequestId, pr.revisionId ?? null, pr.authorArn, {
        review: !!pr.revisionId,
        mergeDate: true,
      });
      // A faulted sub-read: no half-written row (the stored one, if any, stays).
      if (got === WITHHELD) return;
      ({ review, mergedAt } = got);
      if (review && pr.revisionId) {
        approvals.push(
          ...approvalRows(pullRequestId, pr.revisionId, review.approvals, review.approvalEvents),
        );
        reviewed.push(pullRequestId);
      }
    }
    const row = pullRequestRow(pr, name, review, mergedAt);
    prRows.push(row.status === 'OPEN' ? openPullRequestRow(row) : row);
  });

  // One transaction: approvals land with the pull request row that says they were read. A pull request
  // stored CLOSED is never fetched again, so its review data must never be stored without it.
  await deps.db.transaction().execute(async (trx) => {
    add(await writeEvidence(trx, 'pull_request_approvals', ctx.target, approvals));
    await retireApprovalsNotIn(trx, ctx.target, reviewed, approvals);
    add(await writeEvidence(trx, 'pull_requests', ctx.target, prRows));
  });
}

/** A stored row's content (what `writeEvidence` takes): everything but the version bookkeeping. */
function contentOf(row: EvidenceRow<'pull_requests'>): EvidenceInput<'pull_requests'> {
  const {
    id: _id,
    connection_id: _c,
    valid_from_run: _f,
    valid_to_run: _t,
    content_hash: _h,
    ...content
  } = row;
  return content;
}
