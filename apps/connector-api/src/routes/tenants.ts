/**
 * Admin routes, guarded by ADMIN_TOKEN: create a tenant (its API key is returned once) and list the
 * tenants (paginated).
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { createTenant, listTenants } from '@codecommit-evidence/evidence-store';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { bearerToken } from '../auth.js';
import type { AppContext, RoutePlugin } from '../context.js';
import { ApiError } from '../errors.js';
import { decodeCursor, PageQuery, page } from '../evidence-views/pagination.js';
import { answers, TenantCreated, TenantList } from '../responses.js';
import { text } from '../schemas.js';

/** Constant-time comparison; hashing first makes the lengths equal, so the length leaks nothing either. */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function adminOnly(ctx: AppContext) {
  return async (req: FastifyRequest) => {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined || !tokensEqual(token, ctx.config.adminToken)) {
      throw new ApiError(
        401,
        'unauthorized',
        `${req.method} ${req.routeOptions.url} needs Authorization: Bearer <ADMIN_TOKEN>.`,
      );
    }
  };
}

export const tenantRoutes: RoutePlugin = {
  name: 'tenants',
  scope: 'admin',
  register(app, ctx) {
    const admin = { tags: ['tenants'], security: [{ adminToken: [] }] };

    app.post(
      '/v1/tenants',
      {
        schema: {
          response: answers(TenantCreated, 201),
          ...admin,
          summary: 'Create a tenant and its API key (admin token required; the key is shown once)',
          body: z.strictObject({ name: text(200) }),
        },
        onRequest: adminOnly(ctx),
      },
      async (req, reply) => {
        const created = await createTenant(ctx.db, req.body.name, ctx.now());
        return reply.code(201).send({ tenant: created.tenant, apiKey: created.apiKey });
      },
    );

    app.get(
      '/v1/tenants',
      {
        schema: {
          response: answers(TenantList),
          ...admin,
          summary:
            'Every tenant, oldest first, with its count of valid API keys and of connections (admin token required; paginated: ?limit=, ?cursor=)',
          querystring: z.strictObject(PageQuery),
        },
        onRequest: adminOnly(ctx),
      },
      async (req) => {
        const after = decodeCursor(req.query.cursor, ['instant', 'uuid'] as const);
        const rows = await listTenants(
          ctx.db,
          {
            ...(after ? { after: { createdAt: new Date(after[0]), id: after[1] } } : {}),
            limit: req.query.limit + 1,
          },
          ctx.now(),
        );
        const { items, nextCursor } = page(rows, req.query.limit, (t) => [
          new Date(t.created_at).getTime(),
          t.id,
        ]);
        return {
          tenants: items.map((t) => ({
            id: t.id,
            name: t.name,
            createdAt: new Date(t.created_at).toISOString(),
            validApiKeys: t.valid_keys,
            connections: t.connections,
          })),
          nextCursor,
        };
      },
    );
  },
};
