/** Check results: the latest (or a past) check run with a result per check, findings, history. */

import { CHECKS, type FindingStatus } from '@codecommit-evidence/domain';
import {
  getEvidenceBlobs,
  listCheckResults,
  listCheckRunHistory,
  listFindingChanges,
  listFindings,
} from '@codecommit-evidence/evidence-store';
import { z } from 'zod';
import { tenantId } from '../auth.js';
import type { AppContext, RoutePlugin } from '../context.js';
import { notFound } from '../errors.js';
import { decodeCursor, PageQuery, page } from '../http/pagination.js';
import { CheckRunSelector, onlyOneSelector, positiveId, resolveCheckRun } from '../http/selection.js';
import { checkDefinition, checkRunView, checkView, findingView } from '../presenters.js';
import {
  answers,
  CheckRunHistory,
  ChecksAnswer,
  EvidenceReference,
  FindingChanges,
  FindingsAnswer,
} from '../responses.js';
import { IdParams, text } from '../schemas.js';
import { loadConnection } from './connections.js';

const FINDING_STATUSES = [
  'pass',
  'fail',
  'unknown',
  'not_applicable',
] as const satisfies readonly FindingStatus[];
const CheckParams = z.object({ id: z.string(), checkId: z.string() });
const CheckRunQuery = z.strictObject(CheckRunSelector).superRefine(onlyOneSelector);
const FindingsQuery = z
  .strictObject({
    ...CheckRunSelector,
    status: z.enum(FINDING_STATUSES).optional().describe('only findings with this status'),
    search: text(200)
      .optional()
      .describe(
        'only findings whose subject (repository or IAM user name) contains this text, case-insensitively',
      ),
    ...PageQuery,
  })
  .superRefine(onlyOneSelector);
const HistoryQuery = z.strictObject(PageQuery);
const ChangesQuery = z.strictObject({
  from: positiveId.describe('the earlier check run (id)'),
  to: positiveId.describe('the later check run (id)'),
  change: z
    .enum(['new_failures', 'fixed'])
    .describe('new_failures: failing in `to`, not in `from`; fixed: failing in `from`, not in `to`'),
  ...PageQuery,
});
const EvidenceRefParams = z.object({
  id: z.string(),
  digest: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, 'must be a reference of finding evidence: sha256: and 64 hex digits'),
});

async function findingsPage(
  ctx: AppContext,
  tenant: string,
  params: z.infer<typeof CheckParams>,
  query: z.infer<typeof FindingsQuery>,
) {
  const connection = await loadConnection(ctx, tenant, params.id);
  const def = checkDefinition(params.checkId);
  if (!def) throw notFound('check');
  const run = await resolveCheckRun(ctx.db, connection.id, query);
  const after = decodeCursor(query.cursor, ['number'] as const);
  const [results, rows] = await Promise.all([
    listCheckResults(ctx.db, run.id),
    listFindings(ctx.db, run.id, {
      checkId: def.id,
      ...(query.status ? { status: query.status } : {}),
      ...(query.search ? { search: query.search } : {}),
      ...(after ? { afterId: after[0] } : {}),
      limit: query.limit + 1,
    }),
  ]);
  const { items, nextCursor } = page(rows, query.limit, (f) => [f.id]);
  return {
    checkRun: checkRunView(run),
    check: checkView(
      def,
      results.find((r) => r.check_id === def.id),
    ),
    findings: items.map(findingView),
    nextCursor,
  };
}

export const checkRoutes: RoutePlugin = {
  name: 'checks',
  scope: 'tenant',
  register(app, ctx) {
    const tags = ['checks'];

    app.get(
      '/v1/connections/:id/checks',
      {
        schema: {
          response: answers(ChecksAnswer),
          tags,
          summary:
            'Check results: each check with its controls, status, counts and how to fix. Latest by default; ?checkRunId=, ?runId= (a sync run) or ?at= (ISO date) for history',
          params: IdParams,
          querystring: CheckRunQuery,
        },
      },
      async (req) => {
        const connection = await loadConnection(ctx, tenantId(req), req.params.id);
        const run = await resolveCheckRun(ctx.db, connection.id, req.query);
        const results = await listCheckResults(ctx.db, run.id);
        return {
          checkRun: checkRunView(run),
          checks: CHECKS.map((def) =>
            checkView(
              def,
              results.find((r) => r.check_id === def.id),
            ),
          ),
        };
      },
    );

    app.get(
      '/v1/connections/:id/checks/:checkId',
      {
        schema: {
          response: answers(FindingsAnswer),
          tags,
          summary:
            'One check of a check run with its findings (filter by ?status= and ?search= on the subject, paginated by ?cursor=)',
          params: CheckParams,
          querystring: FindingsQuery,
        },
      },
      async (req) => findingsPage(ctx, tenantId(req), req.params, req.query),
    );

    // DESIGN.md names the findings resource explicitly; it answers exactly like the check itself.
    app.get(
      '/v1/connections/:id/checks/:checkId/findings',
      {
        schema: {
          response: answers(FindingsAnswer),
          tags,
          summary: 'Findings of one check (same as GET …/checks/{checkId})',
          params: CheckParams,
          querystring: FindingsQuery,
        },
      },
      async (req) => findingsPage(ctx, tenantId(req), req.params, req.query),
    );

    // What changed between two check runs, one page at a time in SQL (the console's Compare).
    app.get(
      '/v1/connections/:id/checks/:checkId/changes',
      {
        schema: {
          response: answers(FindingChanges),
          tags,
          summary:
            'What changed in one check between two check runs: ?change=new_failures (failing in ?to=, not in ?from=) or fixed (the reverse), paginated by ?cursor=',
          params: CheckParams,
          querystring: ChangesQuery,
        },
      },
      async (req) => {
        const connection = await loadConnection(ctx, tenantId(req), req.params.id);
        const def = checkDefinition(req.params.checkId);
        if (!def) throw notFound('check');
        const [from, to] = await Promise.all([
          resolveCheckRun(ctx.db, connection.id, { checkRunId: req.query.from }),
          resolveCheckRun(ctx.db, connection.id, { checkRunId: req.query.to }),
        ]);
        const after = decodeCursor(req.query.cursor, ['number'] as const);
        const rows = await listFindingChanges(
          ctx.db,
          { fromRunId: from.id, toRunId: to.id },
          def.id,
          req.query.change,
          {
            ...(after ? { afterId: after[0] } : {}),
            limit: req.query.limit + 1,
          },
        );
        const { items, nextCursor } = page(rows, req.query.limit, (f) => [f.id]);
        return {
          from: checkRunView(from),
          to: checkRunView(to),
          checkId: def.id,
          change: req.query.change,
          findings: items.map(findingView),
          nextCursor,
        };
      },
    );

    // Findings hold {"$ref": "sha256:…"} where evidence is shared by many findings (stored once).
    app.get(
      '/v1/connections/:id/evidence-references/:digest',
      {
        schema: {
          response: answers(EvidenceReference),
          tags,
          summary:
            'A part of finding evidence that many findings share, by the reference a finding holds ({"$ref": "sha256:…"}); it may hold references itself',
          params: EvidenceRefParams,
        },
      },
      async (req) => {
        const connection = await loadConnection(ctx, tenantId(req), req.params.id);
        const bodies = await getEvidenceBlobs(ctx.db, connection.id, [req.params.digest]);
        if (!bodies.has(req.params.digest)) throw notFound('evidence reference');
        return { ref: req.params.digest, evidence: bodies.get(req.params.digest) };
      },
    );

    app.get(
      '/v1/connections/:id/check-runs',
      {
        schema: {
          response: answers(CheckRunHistory),
          tags,
          summary:
            'History of check runs, newest first, with each check’s status and its findings counted by status (paginated: ?limit=, ?cursor=)',
          params: IdParams,
          querystring: HistoryQuery,
        },
      },
      async (req) => {
        const connection = await loadConnection(ctx, tenantId(req), req.params.id);
        const before = decodeCursor(req.query.cursor, ['number'] as const);
        const entries = await listCheckRunHistory(ctx.db, connection.id, {
          ...(before ? { beforeId: before[0] } : {}),
          limit: req.query.limit + 1,
        });
        const { items, nextCursor } = page(entries, req.query.limit, (e) => [e.run.id]);
        return {
          checkRuns: items.map(({ run, results }) => ({
            ...checkRunView(run),
            results: Object.fromEntries(Object.entries(results).map(([id, r]) => [id, r.status])),
            counts: Object.fromEntries(Object.entries(results).map(([id, r]) => [id, r.counts])),
          })),
          nextCursor,
        };
      },
    );
  },
};
