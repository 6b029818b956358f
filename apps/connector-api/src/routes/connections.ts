/**
 * Connections: create (pending, with the setup kit), list, read, change schedule/window, delete.
 *
 * Deleting stops syncing and makes the connection read-only; it does not remove access to what was
 * collected: its sync runs, evidence, check runs and exports stay readable (an auditor may ask about
 * a period when the account was connected), and every change to it answers 409 `connection_deleted`.
 */

import {
  type Connection,
  createConnection,
  getConnection,
  latestSyncRuns,
  listConnections,
  listSyncRuns,
  updateConnection,
} from '@codecommit-evidence/evidence-store';
import { removeSyncSchedule, upsertSyncSchedule } from '@codecommit-evidence/queues';
import { z } from 'zod';
import { tenantId } from '../auth.js';
import type { AppContext, RoutePlugin } from '../context.js';
import { ApiError, notFound, rateLimited } from '../errors.js';
import { decodeCursor, PageQuery, page } from '../evidence-views/pagination.js';
import { connectionView } from '../presenters.js';
import {
  answers,
  ConnectionAnswer,
  ConnectionCreated,
  ConnectionList,
  NO_CONTENT,
  SetupKitAnswer,
} from '../responses.js';
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

const ListConnectionsQuery = z.strictObject({
  ...PageQuery,
  includeDeleted: z
    .enum(['true', 'false'])
    .default('false')
    .describe('true: deleted connections too (read-only, their evidence stays readable)'),
});

/** A tenant's connection for reading: a deleted one too (its evidence stays readable). */
export async function loadConnection(ctx: AppContext, tenant: string, rawId: string): Promise<Connection> {
  const id = parseUuidOr404(rawId, 'connection');
  const connection = await getConnection(ctx.db, tenant, id, { includeDeleted: true });
  if (!connection) throw notFound('connection');
  return connection;
}

/** A tenant's connection for a change: a deleted one is read-only (409 `connection_deleted`). */
export async function loadLiveConnection(
  ctx: AppContext,
  tenant: string,
  rawId: string,
): Promise<Connection> {
  const connection = await loadConnection(ctx, tenant, rawId);
  if (connection.status === 'deleted') {
    throw new ApiError(
      409,
      'connection_deleted',
      'This connection was deleted: it is read-only (its evidence, check runs and exports stay readable). Create a new connection to sync again.',
      { deletedAt: connection.deleted_at ? new Date(connection.deleted_at).toISOString() : null },
    );
  }
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
    // Each new connection may be connected and synced, spending the customer's AWS quota: a tenant
    // creates at most this many an hour (counted in Redis across replicas, like the request rate).
    const creationLimit = app.createRateLimit({
      max: ctx.limits.connectionsPerHour,
      timeWindow: 3_600_000,
      keyGenerator: (req) => `connections-created:${req.tenant?.id ?? 'none'}`,
    });

    app.post(
      '/v1/connections',
      {
        schema: {
          response: answers(ConnectionCreated, 201),
          tags,
          summary: 'Create a pending connection with its External ID and setup kit',
          body: CreateConnectionBody,
        },
      },
      async (req, reply) => {
        const limit = await creationLimit(req);
        if (!limit.isAllowed && limit.isExceeded) {
          reply.header('retry-after', limit.ttlInSeconds);
          throw rateLimited(
            `This tenant created ${limit.max} connections in the last hour, the most allowed; retry in ${limit.ttlInSeconds} s.`,
            { limit: limit.max, windowSeconds: 3600, retryAfterSeconds: limit.ttlInSeconds },
          );
        }
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

    app.get(
      '/v1/connections',
      {
        schema: {
          response: answers(ConnectionList),
          tags,
          summary:
            "The tenant's connections, oldest first, each with its last sync run (paginated: ?limit=, ?cursor=)",
          querystring: ListConnectionsQuery,
        },
      },
      async (req) => {
        const after = decodeCursor(req.query.cursor, ['instant', 'uuid'] as const);
        const rows = await listConnections(ctx.db, tenantId(req), {
          ...(after ? { after: { createdAt: new Date(after[0]), id: after[1] } } : {}),
          limit: req.query.limit + 1,
          includeDeleted: req.query.includeDeleted === 'true',
        });
        const { items, nextCursor } = page(rows, req.query.limit, (c) => [
          new Date(c.created_at).getTime(),
          c.id,
        ]);
        const runs = await latestSyncRuns(
          ctx.db,
          items.map((c) => c.id),
        );
        return { connections: items.map((c) => connectionView(c, runs.get(c.id))), nextCursor };
      },
    );

    app.get(
      '/v1/connections/:id',
      {
        schema: {
          response: answers(ConnectionAnswer),
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
          response: answers(SetupKitAnswer),
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
          response: answers(ConnectionAnswer),
          tags,
          summary: 'Rename, change the sync interval (reschedules) or the audit window',
          params: IdParams,
          body: PatchConnectionBody,
        },
      },
      async (req) => {
        const connection = await loadLiveConnection(ctx, tenantId(req), req.params.id);
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
      {
        schema: {
          response: NO_CONTENT,
          tags,
          summary:
            'Delete: stops syncing and makes the connection read-only; its evidence, check runs and exports stay readable (GET …?includeDeleted=true lists it)',
          params: IdParams,
        },
      },
      async (req, reply) => {
        const connection = await loadConnection(ctx, tenantId(req), req.params.id);
        // Deleting again changes nothing (idempotent).
        if (connection.status === 'deleted') return reply.code(204).send(null);
        await updateConnection(
          ctx.db,
          connection.id,
          { status: 'deleted', deleted_at: ctx.now() },
          ctx.now(),
        );
        await removeSyncSchedule(ctx.queues, connection.id);
        return reply.code(204).send(null);
      },
    );
  },
};
