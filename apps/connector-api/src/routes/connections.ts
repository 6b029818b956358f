/** Connections: create (pending, with the setup kit), list, read, change schedule/window, delete. */

import {
  createConnection,
  getConnection,
  listConnections,
  listSyncRuns,
  updateConnection,
} from '@codecommit-evidence/evidence-store';
import { removeSyncSchedule, upsertSyncSchedule } from '@codecommit-evidence/queues';
import { z } from 'zod';
import { tenantId } from '../auth.js';
import type { AppContext, RoutePlugin } from '../context.js';
import { notFound } from '../errors.js';
import { connectionView } from '../presenters.js';
import { AuditWindowDays, IdParams, parseUuidOr404, SyncIntervalMinutes, text } from '../schemas.js';
import { buildSetupKit } from '../setup-kit.js';

const CreateConnectionBody = z.strictObject({
  name: text(200),
  syncIntervalMinutes: SyncIntervalMinutes.optional(),
  auditWindowDays: AuditWindowDays.optional(),
});

const PatchConnectionBody = z
  .strictObject({
    name: text(200).optional(),
    syncIntervalMinutes: SyncIntervalMinutes.optional(),
    auditWindowDays: AuditWindowDays.optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: 'give at least one of name, syncIntervalMinutes, auditWindowDays',
  });

export async function loadConnection(ctx: AppContext, tenant: string, rawId: string) {
  const id = parseUuidOr404(rawId, 'connection');
  const connection = await getConnection(ctx.db, tenant, id);
  if (!connection) throw notFound('connection');
  return connection;
}

async function lastRun(ctx: AppContext, connectionId: string) {
  const [run] = await listSyncRuns(ctx.db, connectionId, 1);
  return run;
}

export const connectionRoutes: RoutePlugin = {
  name: 'connections',
  scope: 'tenant',
  register(app, ctx) {
    const tags = ['connections'];

    app.post(
      '/v1/connections',
      {
        schema: {
          tags,
          summary: 'Create a pending connection with its External ID and setup kit',
          body: CreateConnectionBody,
        },
      },
      async (req, reply) => {
        const connection = await createConnection(
          ctx.db,
          {
            tenantId: tenantId(req),
            name: req.body.name,
            syncIntervalMinutes: req.body.syncIntervalMinutes ?? ctx.config.defaultSyncIntervalMinutes,
            ...(req.body.auditWindowDays !== undefined ? { auditWindowDays: req.body.auditWindowDays } : {}),
          },
          ctx.now(),
        );
        return reply.code(201).send({
          connection: connectionView(connection),
          setupKit: buildSetupKit(ctx.config.platformAccountId, connection.external_id),
        });
      },
    );

    app.get('/v1/connections', { schema: { tags, summary: "The tenant's connections" } }, async (req) => {
      const connections = await listConnections(ctx.db, tenantId(req));
      const views = await Promise.all(
        connections.map(async (c) => connectionView(c, await lastRun(ctx, c.id))),
      );
      return { connections: views };
    });

    app.get(
      '/v1/connections/:id',
      {
        schema: {
          tags,
          summary: 'A connection: status, role, Region, permissions, warnings, last sync',
          params: IdParams,
        },
      },
      async (req) => {
        const connection = await loadConnection(ctx, tenantId(req), req.params.id);
        return { connection: connectionView(connection, await lastRun(ctx, connection.id)) };
      },
    );

    app.get(
      '/v1/connections/:id/setup-kit',
      {
        schema: {
          tags,
          summary: "The connection's setup kit (trust policy, permissions, CloudFormation)",
          params: IdParams,
        },
      },
      async (req) => {
        const connection = await loadConnection(ctx, tenantId(req), req.params.id);
        return { setupKit: buildSetupKit(ctx.config.platformAccountId, connection.external_id) };
      },
    );

    app.patch(
      '/v1/connections/:id',
      {
        schema: {
          tags,
          summary: 'Rename, change the sync interval (reschedules) or the audit window',
          params: IdParams,
          body: PatchConnectionBody,
        },
      },
      async (req) => {
        const connection = await loadConnection(ctx, tenantId(req), req.params.id);
        const b = req.body;
        const updated = await updateConnection(
          ctx.db,
          connection.id,
          {
            ...(b.name !== undefined ? { name: b.name } : {}),
            ...(b.syncIntervalMinutes !== undefined ? { sync_interval_minutes: b.syncIntervalMinutes } : {}),
            ...(b.auditWindowDays !== undefined ? { audit_window_days: b.auditWindowDays } : {}),
          },
          ctx.now(),
        );
        // A pending connection has no schedule yet; connect creates it with the interval stored here.
        if (updated.status === 'active' && b.syncIntervalMinutes !== undefined) {
          await upsertSyncSchedule(ctx.queues, updated.id, updated.sync_interval_minutes);
        }
        return { connection: connectionView(updated, await lastRun(ctx, updated.id)) };
      },
    );

    app.delete(
      '/v1/connections/:id',
      { schema: { tags, summary: 'Delete: stops the schedule; the evidence stays', params: IdParams } },
      async (req, reply) => {
        const connection = await loadConnection(ctx, tenantId(req), req.params.id);
        await updateConnection(
          ctx.db,
          connection.id,
          { status: 'deleted', deleted_at: ctx.now() },
          ctx.now(),
        );
        await removeSyncSchedule(ctx.queues, connection.id);
        return reply.code(204).send();
      },
    );
  },
};
