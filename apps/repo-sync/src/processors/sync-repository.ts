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
  listAssociatedApprovalRuleTemplatesForRepository,
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
  mergeDateWorthReading,
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
  templates: number;
  pullRequests: {
    listed: number;
    fetched: number;
    reviewFetched: number;
    /** Merged pull requests without an independent final approval whose approval history was read. */
    historyFetched: number;
    /** Merged pull requests last active inside the audit window whose merge date was read. */
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
 * One repository: branches (with the default branch's head commit), associated approval rule
 * templates, and pull requests. Incremental: a pull request already stored as CLOSED is not fetched
 * again (CLOSED is final in CodeCommit); one stored OPEN and still in the OPEN list is not fetched either
 * (its row keeps only what cannot change while it is open, `openPullRequestRow`); new ones and those that
 * moved from the OPEN to the CLOSED list are. Review data (approval states on the final
 * revision, rule evaluation, override state) is fetched for merged pull requests only: the peer-review
 * check judges merged ones, and an open one is fetched again every run until it closes, so its review
 * is read once, on its final revision, when it merges. A merged one whose final revision has no APPROVE
 * by anyone but its author (the check fails it anyway) also gets its approval history read, one
 * DescribePullRequestEvents, so that the finding can say whether it was approved on an earlier revision.
 * A merged one last active inside the audit window (or a day before it) gets its merge date read, one
 * more DescribePullRequestEvents; one last active before it was merged before it, and keeps no merge date.
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
    templates: 0,
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
  // The three parts are independent (their own calls, their own tables): run them side by side, and
  // only look at failures once all have settled, so nothing is still writing when a gone repository
  // is retired.
  const settled = await Promise.allSettled([
    syncBranches(ctx, deps, repo, optional, add, result),
    syncAssociations(ctx, deps, repo, optional, add, result),
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

async function syncAssociations(
  ctx: SyncContext,
  deps: SyncWorkerDeps,
  repo: Repo,
  optional: Optional,
  add: (s: WriteStats) => void,
  result: SyncRepositoryResult,
): Promise<void> {
  const name = repo.repository_name;
  const templates = await optional(
    scopes.templatesOf(name),
    'codecommit:ListAssociatedApprovalRuleTemplatesForRepository',
    () => collect(listAssociatedApprovalRuleTemplatesForRepository(ctx.codecommit, name)),
  );
  if (templates === SKIPPED) return;
  const rows: EvidenceInput<'repository_template_associations'>[] = templates.map((t) => ({
    repository_id: repo.repository_id,
    template_name: t,
  }));
  await deps.db.transaction().execute(async (trx) => {
    add(await writeEvidence(trx, 'repository_template_associations', ctx.target, rows));
    await retireMissing(
      trx,
      'repository_template_associations',
      ctx.target,
      { repository_id: repo.repository_id },
      rows,
    );
  });
  result.templates = rows.length;
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

  const fetchReview = async (
    pullRequestId: string,
    revisionId: string,
    authorArn: string | null | undefined,
  ): Promise<ReviewData | null | Withheld> => {
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
    let approvalEvents: PullRequestEvent[] | null = null;
    if (!hasIndependentApproval(approvals, authorArn)) {
      // The check fails this pull request whatever its history says; the history only tells why (approved
      // on an earlier revision, or never). One call (more only past 100 approval events), paid once: the
      // pull request is closed and never fetched again. Denied, the finding keeps the plainer wording.
      const action = 'codecommit:DescribePullRequestEvents';
      const events = await read(historyStep, action, () =>
        collect(
          describePullRequestEvents(ctx.codecommit, pullRequestId, {
            eventType: 'PULL_REQUEST_APPROVAL_STATE_CHANGED',
          }),
        ),
      );
      if (isMissing(events) && faulted(events)) return withheld(action, events);
      if (!isMissing(events)) {
        approvalEvents = events;
        result.pullRequests.historyFetched++;
      }
    }
    result.pullRequests.reviewFetched++;
    return { approvals, evaluation, override, approvalEvents };
  };

  // A merge happens at or before the last activity: a pull request last active before the audit window
  // (less a day's margin) was merged outside it, and its merge date is not worth a call.
  const now = ctx.now();
  const readMergedAt = async (pullRequestId: string): Promise<Date | null | Withheld> => {
    // A pull request deleted meanwhile is `gone`: skipped like a denied call.
    const action = 'codecommit:DescribePullRequestEvents';
    const events = await read(historyStep, action, () =>
      collect(
        describePullRequestEvents(ctx.codecommit, pullRequestId, {
          eventType: 'PULL_REQUEST_MERGE_STATE_CHANGED',
        }),
      ),
    );
    // Denied (recorded on the history step), gone or no merge event: unknown, and the checks fall back
    // to last_activity_date as before. Faulted: the row is withheld.
    if (isMissing(events)) return faulted(events) ? withheld(action, events) : null;
    result.pullRequests.mergeDateFetched++;
    return mergeDateOf(events);
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
      if (!reviewMissing) {
        result.pullRequests.unchangedClosed++;
        return;
      }
      // Closed, but its review data could not be read last time (a permission was missing): read only that.
      const review = await fetchReview(pullRequestId, before.revision_id!, before.author_arn);
      if (!review || review === WITHHELD) return;
      prRows.push({
        ...contentOf(before),
        evaluation: evaluationOf(review.evaluation),
        override_state: review.override,
      });
      approvals.push(
        ...approvalRows(pullRequestId, before.revision_id!, review.approvals, review.approvalEvents),
      );
      reviewed.push(pullRequestId);
      return;
    }
    // Gone (deleted meanwhile), denied or faulted: nothing to store, the stored row (if any) stays.
    const pr = await optional<PullRequest>(step, 'codecommit:GetPullRequest', () =>
      getPullRequest(ctx.codecommit, pullRequestId),
    );
    if (pr === SKIPPED) return;
    result.pullRequests.fetched++;
    const merged = pr.pullRequestTargets?.[0]?.mergeMetadata?.isMerged === true;
    let review: ReviewData | null | Withheld = null;
    let mergedAt: Date | null | Withheld = null;
    if (
      pr.pullRequestStatus === 'CLOSED' &&
      merged &&
      mergeDateWorthReading(pr.lastActivityDate, ctx.connection.auditWindowDays, now)
    ) {
      // Read once: a closed pull request is never fetched again.
      mergedAt = await readMergedAt(pullRequestId);
      if (mergedAt === WITHHELD) return;
    }
    if (pr.pullRequestStatus === 'CLOSED' && merged && pr.revisionId) {
      review = await fetchReview(pullRequestId, pr.revisionId, pr.authorArn);
      if (review === WITHHELD) return;
      if (review) {
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
