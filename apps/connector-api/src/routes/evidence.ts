/**
 * Evidence reads, as of the latest finished sync run or `?runId=`: repositories, branches, pull
 * requests with approvals, IAM users with their effective CodeCommit access. Paginated by keyset.
 */

import { listRunAccess, listSyncProblems, selectAsOf } from '@codecommit-evidence/evidence-store';
import {
  accessEntriesOf,
  completenessFromProblems,
  ensureRunAccess,
  loadRosterFor,
  type RunCompleteness,
} from '@codecommit-evidence/evidence-views';
import { z } from 'zod';
import { tenantId } from '../auth.js';
import type { RoutePlugin } from '../context.js';
import { notFound } from '../errors.js';
import { decodeCursor, PageQuery, page } from '../evidence-views/pagination.js';
import { asOfView, iso } from '../evidence-views/presenters.js';
import { RosterSelector, resolveSyncRun, SyncRunSelector } from '../evidence-views/selection.js';
import { answers, BranchList, IamUserList, PullRequestList, RepositoryList } from '../responses.js';
import { IdParams, pathName, text } from '../schemas.js';
import { loadConnection } from './connections.js';

const ListQuery = z.strictObject({ ...SyncRunSelector, ...PageQuery });
const IamUsersQuery = z.strictObject({ ...SyncRunSelector, ...RosterSelector, ...PageQuery });
const RepositoryParams = z.object({ id: z.string(), name: pathName(100) });
const PullRequestQuery = z.strictObject({
  ...SyncRunSelector,
  ...PageQuery,
  repository: text(100).optional().describe('only pull requests of this repository'),
});

export const evidenceRoutes: RoutePlugin = {
  name: 'evidence',
  scope: 'tenant',
  register(app, ctx) {
    const tags = ['evidence'];
    const db = ctx.db;

    /** The connection, the sync run the read is as of, and that run's gaps. */
    async function asOf(tenant: string, id: string, runId: number | undefined) {
      const connection = await loadConnection(ctx, tenant, id);
      const run = await resolveSyncRun(db, connection.id, runId);
      return { connection, run };
    }

    async function gapsOf(runId: number) {
      return completenessFromProblems(await listSyncProblems(db, runId));
    }

    app.get(
      '/v1/connections/:id/repositories',
      {
        schema: {
          response: answers(RepositoryList),
          tags,
          summary: 'Repositories as of a sync run, by name, with their approval rule templates',
          params: IdParams,
          querystring: ListQuery,
        },
      },
      async (req) => {
        const { connection, run } = await asOf(tenantId(req), req.params.id, req.query.runId);
        const after = decodeCursor(req.query.cursor, ['string', 'number'] as const);
        let q = selectAsOf(db, 'repositories', connection.id, run.id).selectAll();
        if (after)
          // A row comparison, so Postgres reads the keyset index from the cursor on (an OR of the two
          // columns is only a filter, and page n cost n pages: 1.1 s p95 for pull requests at 50,000).
          q = q.where((eb) => eb(eb.refTuple('repository_name', 'id'), '>', eb.tuple(after[0], after[1])));
        const rows = await q
          .orderBy('repository_name')
          .orderBy('id')
          .limit(req.query.limit + 1)
          .execute();
        const { items, nextCursor } = page(rows, req.query.limit, (r) => [r.repository_name, r.id]);
        const ids = items.map((r) => r.repository_id);
        const associations = ids.length
          ? await selectAsOf(db, 'repository_template_associations', connection.id, run.id)
              .selectAll()
              .where('repository_id', 'in', ids)
              .orderBy('template_name')
              .execute()
          : [];
        return {
          syncRun: asOfView(run),
          repositories: items.map((r) => ({
            repositoryId: r.repository_id,
            name: r.repository_name,
            arn: r.arn,
            accountId: r.account_id,
            description: r.description,
            defaultBranch: r.default_branch,
            cloneUrlHttp: r.clone_url_http,
            cloneUrlSsh: r.clone_url_ssh,
            createdAt: iso(r.creation_date),
            lastModifiedAt: iso(r.last_modified_date),
            approvalRuleTemplates: associations
              .filter((a) => a.repository_id === r.repository_id)
              .map((a) => a.template_name),
          })),
          nextCursor,
          gaps: await gapsOf(run.id),
        };
      },
    );

    app.get(
      '/v1/connections/:id/repositories/:name/branches',
      {
        schema: {
          response: answers(BranchList),
          tags,
          summary: 'Branches of a repository as of a sync run',
          params: RepositoryParams,
          querystring: ListQuery,
        },
      },
      async (req) => {
        const { connection, run } = await asOf(tenantId(req), req.params.id, req.query.runId);
        const repository = await selectAsOf(db, 'repositories', connection.id, run.id)
          .selectAll()
          .where('repository_name', '=', req.params.name)
          .executeTakeFirst();
        if (!repository) throw notFound('repository');
        const after = decodeCursor(req.query.cursor, ['string', 'number'] as const);
        let q = selectAsOf(db, 'branches', connection.id, run.id)
          .selectAll()
          .where('repository_id', '=', repository.repository_id);
        if (after)
          // A row comparison, so Postgres reads the keyset index from the cursor on (an OR of the two
          // columns is only a filter, and page n cost n pages: 1.1 s p95 for pull requests at 50,000).
          q = q.where((eb) => eb(eb.refTuple('branch_name', 'id'), '>', eb.tuple(after[0], after[1])));
        const rows = await q
          .orderBy('branch_name')
          .orderBy('id')
          .limit(req.query.limit + 1)
          .execute();
        const { items, nextCursor } = page(rows, req.query.limit, (b) => [b.branch_name, b.id]);
        return {
          syncRun: asOfView(run),
          repository: { repositoryId: repository.repository_id, name: repository.repository_name },
          branches: items.map((b) => ({
            name: b.branch_name,
            commitId: b.commit_id,
            isDefault: b.branch_name === repository.default_branch,
          })),
          nextCursor,
        };
      },
    );

    app.get(
      '/v1/connections/:id/pull-requests',
      {
        schema: {
          response: answers(PullRequestList),
          tags,
          summary: 'Pull requests as of a sync run, with approvals, rule evaluation and override state',
          params: IdParams,
          querystring: PullRequestQuery,
        },
      },
      async (req) => {
        const { connection, run } = await asOf(tenantId(req), req.params.id, req.query.runId);
        if (req.query.repository !== undefined) {
          const known = await selectAsOf(db, 'repositories', connection.id, run.id)
            .select('id')
            .where('repository_name', '=', req.query.repository)
            .executeTakeFirst();
          if (!known) throw notFound('repository');
        }
        const after = decodeCursor(req.query.cursor, ['string', 'number'] as const);
        let q = selectAsOf(db, 'pull_requests', connection.id, run.id).selectAll();
        if (req.query.repository !== undefined) q = q.where('repository_name', '=', req.query.repository);
        if (after)
          // A row comparison, so Postgres reads the keyset index from the cursor on (an OR of the two
          // columns is only a filter, and page n cost n pages: 1.1 s p95 for pull requests at 50,000).
          q = q.where((eb) => eb(eb.refTuple('repository_name', 'id'), '>', eb.tuple(after[0], after[1])));
        const rows = await q
          .orderBy('repository_name')
          .orderBy('id')
          .limit(req.query.limit + 1)
          .execute();
        const { items, nextCursor } = page(rows, req.query.limit, (p) => [p.repository_name, p.id]);
        const ids = items.map((p) => p.pull_request_id);
        const approvals = ids.length
          ? await selectAsOf(db, 'pull_request_approvals', connection.id, run.id)
              .selectAll()
              .where('pull_request_id', 'in', ids)
              .orderBy('id')
              .execute()
          : [];
        return {
          syncRun: asOfView(run),
          pullRequests: items.map((p) => ({
            pullRequestId: p.pull_request_id,
            repository: p.repository_name,
            title: p.title,
            authorArn: p.author_arn,
            status: p.status,
            isMerged: p.is_merged,
            mergedBy: p.merged_by,
            mergedAt: iso(p.merged_at),
            sourceReference: p.source_reference,
            destinationReference: p.destination_reference,
            revisionId: p.revision_id,
            createdAt: iso(p.creation_date),
            lastActivityAt: iso(p.last_activity_date),
            approvals: approvals
              .filter((a) => a.pull_request_id === p.pull_request_id)
              .map((a) => ({
                revisionId: a.revision_id,
                userArn: a.user_arn,
                state: a.approval_state,
                onFinalRevision: a.revision_id === p.revision_id,
              })),
            approvalRules: p.approval_rules,
            evaluation: p.evaluation,
            overrideState: p.override_state,
          })),
          nextCursor,
        };
      },
    );

    app.get(
      '/v1/connections/:id/iam-users',
      {
        schema: {
          response: answers(IamUserList),
          tags,
          summary:
            'IAM users as of a sync run with their effective CodeCommit access level, the person they belong to (and how linked), MFA and last use',
          params: IdParams,
          querystring: IamUsersQuery,
        },
      },
      async (req) => {
        const { connection, run } = await asOf(tenantId(req), req.params.id, req.query.runId);
        // Effective access is derived once per run (when it is evaluated) and stored: a page is a keyset
        // read of it, with the people of its users joined as of `rosterAsOf`.
        const rosterAsOf = req.query.rosterAsOf ? new Date(req.query.rosterAsOf) : ctx.now();
        const after = decodeCursor(req.query.cursor, ['string'] as const);
        const state = await ensureRunAccess(db, { connectionId: connection.id, runId: run.id }, ctx.now);
        const rows = await listRunAccess(db, run.id, {
          principalType: 'iam_user',
          ...(after ? { after: { principalType: 'iam_user' as const, name: after[0] } } : {}),
          limit: req.query.limit + 1,
        });
        const { items, nextCursor } = page(rows, req.query.limit, (u) => [u.name]);
        // Only the people and links that can link this page's users.
        const roster = await loadRosterFor(db, connection.tenant_id, rosterAsOf, items);
        const users = await accessEntriesOf(db, connection.id, items, roster);
        return {
          syncRun: asOfView(run),
          rosterAsOf: rosterAsOf.toISOString(),
          // A page stays small whatever the account: an administrator reaches every repository, so the
          // list is cut to its first ones (repositoryCount says how many; the access-review export
          // lists them all).
          iamUsers: users.map(({ principalType: _type, ...user }) => user),
          nextCursor,
          gaps: state.completeness as RunCompleteness,
        };
      },
    );
  },
};
