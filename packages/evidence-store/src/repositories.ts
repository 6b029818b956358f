import type { Kysely, Transaction } from 'kysely';
import { retireApprovalsNotIn } from './pull-requests.js';
import type { Database, EvidenceRow } from './schema.js';
import { retireMissing, selectAsOf, selectCurrent } from './versioned.js';

type Db = Kysely<Database> | Transaction<Database>;
type Target = { connectionId: string; runId: number };
/** Where a keyset page starts: after this (name, id). */
type NameKey = readonly [name: string, id: number];

/** A page of a connection's repositories as of run `runId`, by name then id, after `after`. */
export async function listRepositoriesAsOf(
  db: Db,
  target: Target,
  page: { after?: NameKey; limit: number },
): Promise<EvidenceRow<'repositories'>[]> {
  let q = selectAsOf(db, 'repositories', target.connectionId, target.runId).selectAll();
  const after = page.after;
  if (after)
    // A row comparison, so Postgres reads the keyset index from the cursor on (an OR of the two
    // columns is only a filter, and page n cost n pages: 1.1 s p95 for pull requests at 50,000).
    q = q.where((eb) => eb(eb.refTuple('repository_name', 'id'), '>', eb.tuple(after[0], after[1])));
  return q.orderBy('repository_name').orderBy('id').limit(page.limit).execute();
}

/** One repository by name as of run `runId`, or undefined when the run does not hold it. */
export async function findRepositoryAsOf(
  db: Db,
  target: Target,
  repositoryName: string,
): Promise<EvidenceRow<'repositories'> | undefined> {
  return selectAsOf(db, 'repositories', target.connectionId, target.runId)
    .selectAll()
    .where('repository_name', '=', repositoryName)
    .executeTakeFirst();
}

/** The approval rule template associations of `repositoryIds` as of run `runId`, by template name. */
export async function listTemplateAssociationsAsOf(
  db: Db,
  target: Target,
  repositoryIds: readonly string[],
): Promise<EvidenceRow<'repository_template_associations'>[]> {
  if (repositoryIds.length === 0) return [];
  return selectAsOf(db, 'repository_template_associations', target.connectionId, target.runId)
    .selectAll()
    .where('repository_id', 'in', repositoryIds)
    .orderBy('template_name')
    .execute();
}

/** A page of one repository's branches as of run `runId`, by name then id, after `after`. */
export async function listBranchesAsOf(
  db: Db,
  target: Target,
  repositoryId: string,
  page: { after?: NameKey; limit: number },
): Promise<EvidenceRow<'branches'>[]> {
  let q = selectAsOf(db, 'branches', target.connectionId, target.runId)
    .selectAll()
    .where('repository_id', '=', repositoryId);
  const after = page.after;
  if (after)
    // A row comparison, so Postgres reads the keyset index from the cursor on (an OR of the two
    // columns is only a filter, and page n cost n pages: 1.1 s p95 for pull requests at 50,000).
    q = q.where((eb) => eb(eb.refTuple('branch_name', 'id'), '>', eb.tuple(after[0], after[1])));
  return q.orderBy('branch_name').orderBy('id').limit(page.limit).execute();
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
