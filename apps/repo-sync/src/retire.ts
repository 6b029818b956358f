import {
  type Database,
  type EvidenceInput,
  retireMissing,
  selectCurrent,
} from '@codecommit-evidence/evidence-store';
import type { Kysely, Transaction } from 'kysely';

type Db = Kysely<Database> | Transaction<Database>;
type Target = { connectionId: string; runId: number };

/**
 * Approvals have no repository column, so `retireMissing` (one scope per call) would cost one query
 * per pull request. This does the same for many pull requests at once: open approvals of `pullRequestIds`
 * that are not in `present` end at this run, or are dropped when this same run opened them (as
 * `retireMissing` does).
 */
export async function retireApprovalsNotIn(
  db: Db,
  target: Target,
  pullRequestIds: readonly string[],
  present: readonly EvidenceInput<'pull_request_approvals'>[],
): Promise<number> {
  if (pullRequestIds.length === 0) return 0;
  const key = (r: { pull_request_id: string; revision_id: string; user_arn: string }) =>
    `${r.pull_request_id}\u001f${r.revision_id}\u001f${r.user_arn}`;
  const keep = new Set(present.map(key));
  const open = await selectCurrent(db, 'pull_request_approvals', target.connectionId)
    .where('pull_request_id', 'in', pullRequestIds)
    .select(['id', 'pull_request_id', 'revision_id', 'user_arn', 'valid_from_run'])
    .execute();
  const gone = open.filter((r) => !keep.has(key(r)));
  const close = gone.filter((r) => Number(r.valid_from_run) !== target.runId).map((r) => r.id);
  const drop = gone.filter((r) => Number(r.valid_from_run) === target.runId).map((r) => r.id);
  if (close.length > 0)
    await db
      .updateTable('pull_request_approvals')
      .set({ valid_to_run: target.runId })
      .where('id', 'in', close)
      .execute();
  if (drop.length > 0) await db.deleteFrom('pull_request_approvals').where('id', 'in', drop).execute();
  return gone.length;
}

/**
 * A repository gone from AWS: its evidence (the repository, branches, template associations, pull
 * requests and their approvals) is marked removed as of this run. History stays readable.
 */
export async function retireRepositoryEvidence(
  db: Kysely<Database>,
  target: Target,
  repo: { repositoryId: string; repositoryName: string },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const prIds = (
      await selectCurrent(trx, 'pull_requests', target.connectionId)
        .where('repository_name', '=', repo.repositoryName)
        .select('pull_request_id')
        .execute()
    ).map((r) => r.pull_request_id);
    for (let i = 0; i < prIds.length; i += 500) {
      await retireApprovalsNotIn(trx, target, prIds.slice(i, i + 500), []);
    }
    await retireMissing(trx, 'pull_requests', target, { repository_name: repo.repositoryName }, []);
    await retireMissing(trx, 'branches', target, { repository_id: repo.repositoryId }, []);
    await retireMissing(
      trx,
      'repository_template_associations',
      target,
      { repository_id: repo.repositoryId },
      [],
    );
    await retireMissing(trx, 'repositories', target, { repository_id: repo.repositoryId }, []);
  });
}
