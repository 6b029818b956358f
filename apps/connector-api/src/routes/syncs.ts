/**
 * Sync runs of a connection: trigger (one active run at a time, and not again within the minimum
 * interval), list, follow. Every run spends the customer's AWS API quota, so a client looping on
 * `POST …/syncs` gets the running run back, then 429 until the interval since the last run is over.
 */

import { getAwsCalls, getSyncRun, listSyncProblems, listSyncRuns } from '@codecommit-evidence/evidence-store';
import { z } from 'zod';
import { tenantId } from '../auth.js';
import { startSyncRun } from '../connect/connect-connection.js';
import type { RoutePlugin } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { decodeCursor, PageQuery, page } from '../evidence-views/pagination.js';
import { syncRunDetail, syncRunSummary } from '../presenters.js';
import { answers, SyncRunAnswer, SyncRunDetailAnswer, SyncRunList } from '../responses.js';
import { IdParams, parseRunIdOr404, RunParams } from '../schemas.js';
import { loadConnection, loadLiveConnection } from './connections.js';

export const syncRoutes: RoutePlugin = {
  name: 'syncs',
  scope: 'tenant',
  register(app, ctx) {
    const tags = ['syncs'];

    app.post(
      '/v1/connections/:id/syncs',
      {
        schema: {
          response: answers(SyncRunAnswer, 202),
          tags,
          summary:
            'Start a sync now (202); a run already queued or running is returned instead; 429 sync_too_soon (Retry-After) within the minimum interval after the last run',
          params: IdParams,
        },
      },
      async (req, reply) => {
        const connection = await loadLiveConnection(ctx, tenantId(req), req.params.id);
        if (connection.status !== 'active') {
          throw new ApiError(
            409,
            'connection_not_active',
            `The connection is ${connection.status}; connect it first (POST /v1/connections/{id}/connect).`,
            { status: connection.status },
          );
        }
        const [latest] = await listSyncRuns(ctx.db, connection.id, 1);
        const minMs = ctx.limits.syncMinIntervalSeconds * 1000;
        const active = latest?.status === 'queued' || latest?.status === 'running';
        if (latest && !active && minMs > 0) {
          const waitMs = new Date(latest.created_at).getTime() + minMs - ctx.now().getTime();
          if (waitMs > 0) {
            const retryAfterSeconds = Math.ceil(waitMs / 1000);
            reply.header('retry-after', retryAfterSeconds);
            throw new ApiError(
              429,
              'sync_too_soon',
              `The last sync run of this connection started less than ${ctx.limits.syncMinIntervalSeconds} s ago; a new one may start in ${retryAfterSeconds} s.`,
              {
                lastSyncRun: syncRunSummary(latest),
                minIntervalSeconds: ctx.limits.syncMinIntervalSeconds,
                retryAfterSeconds,
              },
            );
          }
        }
        const run = await startSyncRun(ctx, connection.id, 'api');
        return reply.code(202).send({ syncRun: syncRunSummary(run) });
      },
    );

    app.get(
      '/v1/connections/:id/syncs',
      {
        schema: {
          response: answers(SyncRunList),
          tags,
          summary: 'Sync runs, newest first (paginated: ?limit=, ?cursor=)',
          params: IdParams,
          querystring: z.strictObject({
            limit: z.coerce.number().int().min(1).max(200).default(50).describe('page size, at most 200'),
            cursor: PageQuery.cursor,
          }),
        },
      },
      async (req) => {
        const connection = await loadConnection(ctx, tenantId(req), req.params.id);
        const before = decodeCursor(req.query.cursor, ['number'] as const);
        const rows = await listSyncRuns(ctx.db, connection.id, req.query.limit + 1, before?.[0]);
        const { items, nextCursor } = page(rows, req.query.limit, (r) => [r.id]);
        return { syncRuns: items.map(syncRunSummary), nextCursor };
      },
    );

    app.get(
      '/v1/connections/:id/syncs/:runId',
      {
        schema: {
          response: answers(SyncRunDetailAnswer),
          tags,
          summary:
            'A sync run: status, steps, timings, AWS calls per operation, problems (missing permissions included)',
          params: RunParams,
        },
      },
      async (req) => {
        const connection = await loadConnection(ctx, tenantId(req), req.params.id);
        const runId = parseRunIdOr404(req.params.runId);
        const run = await getSyncRun(ctx.db, runId);
        if (!run || run.connection_id !== connection.id) throw notFound('sync run');
        const [awsCalls, problems] = await Promise.all([
          getAwsCalls(ctx.db, run.id),
          listSyncProblems(ctx.db, run.id),
        ]);
        return { syncRun: syncRunDetail(run, awsCalls, problems) };
      },
    );
  },
};
