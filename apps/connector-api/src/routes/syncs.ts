/** Sync runs of a connection: trigger (one active run at a time), list, follow. */

import { getAwsCalls, getSyncRun, listSyncProblems, listSyncRuns } from '@codecommit-evidence/evidence-store';
import { z } from 'zod';
import { tenantId } from '../auth.js';
import { startSyncRun } from '../connect/connect-connection.js';
import type { RoutePlugin } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { syncRunDetail, syncRunSummary } from '../presenters.js';
import { IdParams, parseRunIdOr404, RunParams } from '../schemas.js';
import { loadConnection } from './connections.js';

export const syncRoutes: RoutePlugin = {
  name: 'syncs',
  scope: 'tenant',
  register(app, ctx) {
    const tags = ['syncs'];

    app.post(
      '/v1/connections/:id/syncs',
      {
        schema: {
          tags,
          summary: 'Start a sync now (202); a run already queued or running is returned instead',
          params: IdParams,
        },
      },
      async (req, reply) => {
        const connection = await loadConnection(ctx, tenantId(req), req.params.id);
        if (connection.status !== 'active') {
          throw new ApiError(
            409,
            'connection_not_active',
            `The connection is ${connection.status}; connect it first (POST /v1/connections/{id}/connect).`,
            { status: connection.status },
          );
        }
        const run = await startSyncRun(ctx, connection.id, 'api');
        return reply.code(202).send({ syncRun: syncRunSummary(run) });
      },
    );

    app.get(
      '/v1/connections/:id/syncs',
      {
        schema: {
          tags,
          summary: 'Recent sync runs, newest first',
          params: IdParams,
          querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
        },
      },
      async (req) => {
        const connection = await loadConnection(ctx, tenantId(req), req.params.id);
        const runs = await listSyncRuns(ctx.db, connection.id, req.query.limit);
        return { syncRuns: runs.map(syncRunSummary) };
      },
    );

    app.get(
      '/v1/connections/:id/syncs/:runId',
      {
        schema: {
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
