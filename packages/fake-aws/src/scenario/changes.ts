import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Scenario, ScenarioPullRequest } from './schema.js';

/**
 * What users do to a pull request, applied to a scenario the way CodeCommit applies it, so that every
 * signal the API answers moves together: a JSON Patch on `/_fake/scenario` can set one field and forget
 * the others (a new revision without a new source commit, an approval without a later
 * `lastActivityDate`). Used by `POST /_fake/changes`, the repo-sync bench's "1 % change" and the
 * re-sync tests.
 *
 * What moves, per change (AWS's GetPullRequest, DescribePullRequestEvents, GetBranch answers):
 * - every change sets `lastActivityDate` to its time (AWS: "the day and time of the last user or
 *   system activity on the pull request");
 * - `revision`: a push to the source branch: a new `revisionId` and `sourceCommit`, the source branch's
 *   head commit; approvals stay on the revision they were given on (AWS keeps them per revision), an
 *   override too; event PULL_REQUEST_SOURCE_REFERENCE_UPDATED;
 * - `approve` / `revoke`: the state of one user on the current revision; event
 *   PULL_REQUEST_APPROVAL_STATE_CHANGED;
 * - `override`: the approval rules overridden on the current revision; event
 *   PULL_REQUEST_APPROVAL_RULE_OVERRIDDEN;
 * - `merge`: CLOSED, merged (by, commit, option), the destination branch's head moves to the merge
 *   commit; events PULL_REQUEST_MERGE_STATE_CHANGED and PULL_REQUEST_STATUS_CHANGED;
 * - `close`: CLOSED, not merged; event PULL_REQUEST_STATUS_CHANGED;
 * - `comment`: activity only (comments are not pull request events in CodeCommit's API).
 * Events are appended only to a pull request that lists its events; one without derives them from the
 * facts above (services/codecommit.ts). The repository's `lastModifiedDate` is left alone: AWS does not
 * document which of these changes move it, and nothing here may pretend to know.
 */
export const pullRequestChangeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('revision'), pullRequestId: z.string() }),
  z.strictObject({ kind: z.literal('approve'), pullRequestId: z.string(), userArn: z.string() }),
  z.strictObject({ kind: z.literal('revoke'), pullRequestId: z.string(), userArn: z.string() }),
  z.strictObject({ kind: z.literal('override'), pullRequestId: z.string(), userArn: z.string() }),
  z.strictObject({ kind: z.literal('merge'), pullRequestId: z.string(), userArn: z.string() }),
  z.strictObject({ kind: z.literal('close'), pullRequestId: z.string(), userArn: z.string() }),
  z.strictObject({ kind: z.literal('comment'), pullRequestId: z.string(), userArn: z.string() }),
]);
export type PullRequestChange = z.infer<typeof pullRequestChangeSchema>;
export const PULL_REQUEST_CHANGE_KINDS = [
  'revision',
  'approve',
  'revoke',
  'override',
  'merge',
  'close',
  'comment',
] as const;

const hex = (seed: string, length: number) =>
  createHash('sha256').update(seed).digest('hex').slice(0, length);
const branchOf = (ref: string) => ref.replace(/^refs\/heads\//, '');

/**
 * Applies `changes` to a draft scenario (as given to `updateScenario`), in order, at time `now`.
 * Throws when a change names a pull request that does not exist, or one already closed (CodeCommit
 * refuses changes to a closed pull request).
 */
export function applyPullRequestChanges(
  draft: Scenario,
  region: string,
  changes: readonly PullRequestChange[],
  now: Date,
): void {
  const reg = draft.account.regions[region];
  if (!reg) throw new Error(`no region ${region} in the scenario`);
  const at = new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString();
  for (const change of changes) {
    const pr = reg.pullRequests.find((p) => p.pullRequestId === change.pullRequestId);
    if (!pr) throw new Error(`no pull request ${change.pullRequestId}`);
    if (pr.status !== 'OPEN') {
      throw new Error(`pull request ${pr.pullRequestId} is closed: CodeCommit accepts no ${change.kind}`);
    }
    const repo = reg.repositories.find((r) => r.repositoryName === pr.repositoryName);
    const event = (
      type: NonNullable<ScenarioPullRequest['events']>[number]['type'],
      actorArn: string,
      metadata: Record<string, unknown>,
    ) => {
      pr.events?.push({ type, date: at, actorArn, metadata });
    };
    const current = pr.revisions.at(-1)!;
    pr.lastActivityDate = at;
    switch (change.kind) {
      case 'revision': {
        const n = pr.revisions.length;
        const before = pr.sourceCommit;
        const commit = hex(`${pr.pullRequestId}:commit:${n}:${at}`, 40);
        pr.revisions.push(hex(`${pr.pullRequestId}:revision:${n}:${at}`, 64));
        pr.sourceCommit = commit;
        const branch = repo?.branches.find((b) => b.name === branchOf(pr.sourceReference));
        if (branch) branch.commitId = commit;
        event('PULL_REQUEST_SOURCE_REFERENCE_UPDATED', pr.authorArn, {
          repositoryName: pr.repositoryName,
          beforeCommitId: before,
          afterCommitId: commit,
          mergeBase: pr.mergeBase,
        });
        break;
      }
      case 'approve':
      case 'revoke': {
        const state = change.kind === 'approve' ? 'APPROVE' : 'REVOKE';
        pr.approvals.push({ revisionId: current, userArn: change.userArn, state });
        event('PULL_REQUEST_APPROVAL_STATE_CHANGED', change.userArn, {
          revisionId: current,
          approvalStatus: state,
        });
        break;
      }
      case 'override':
        pr.override = { revisionId: current, overrider: change.userArn };
        event('PULL_REQUEST_APPROVAL_RULE_OVERRIDDEN', change.userArn, {
          revisionId: current,
          overrideStatus: 'OVERRIDE',
        });
        break;
      case 'merge': {
        const mergeCommit = hex(`${pr.pullRequestId}:merge:${at}`, 40);
        Object.assign(pr, {
          status: 'CLOSED',
          isMerged: true,
          mergedBy: change.userArn,
          mergeCommitId: mergeCommit,
          mergeOption: 'SQUASH_MERGE',
        });
        const branch = repo?.branches.find((b) => b.name === branchOf(pr.destinationReference));
        if (branch) branch.commitId = mergeCommit;
        event('PULL_REQUEST_MERGE_STATE_CHANGED', change.userArn, {
          repositoryName: pr.repositoryName,
          destinationReference: pr.destinationReference,
          mergeMetadata: { isMerged: true, mergedBy: change.userArn, mergeCommitId: mergeCommit },
        });
        event('PULL_REQUEST_STATUS_CHANGED', change.userArn, { pullRequestStatus: 'CLOSED' });
        break;
      }
      case 'close':
        pr.status = 'CLOSED';
        event('PULL_REQUEST_STATUS_CHANGED', change.userArn, { pullRequestStatus: 'CLOSED' });
        break;
      case 'comment':
        break;
    }
  }
}
