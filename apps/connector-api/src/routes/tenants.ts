/** `POST /v1/tenants`: the only admin route, guarded by ADMIN_TOKEN. The API key is returned once. */

import { createHash, timingSafeEqual } from 'node:crypto';
import { createTenant } from '@codecommit-evidence/evidence-store';
import { z } from 'zod';
import { bearerToken } from '../auth.js';
import type { RoutePlugin } from '../context.js';
import { ApiError } from '../errors.js';
import { text } from '../schemas.js';

/** Constant-time comparison; hashing first makes the lengths equal, so the length leaks nothing either. */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export const tenantRoutes: RoutePlugin = {
  name: 'tenants',
  scope: 'admin',
  register(app, ctx) {
    app.post(
      '/v1/tenants',
      {
        schema: {
          tags: ['tenants'],
          summary: 'Create a tenant and its API key (admin token required; the key is shown once)',
          security: [{ adminToken: [] }],
          body: z.strictObject({ name: text(200) }),
        },
        onRequest: async (req) => {
          const token = bearerToken(req.headers.authorization);
          if (token === undefined || !tokensEqual(token, ctx.config.adminToken)) {
            throw new ApiError(
              401,
              'unauthorized',
              'POST /v1/tenants needs Authorization: Bearer <ADMIN_TOKEN>.',
            );
          }
        },
      },
      async (req, reply) => {
        const created = await createTenant(ctx.db, req.body.name, ctx.now());
        return reply.code(201).send({ tenant: created.tenant, apiKey: created.apiKey });
      },
    );
  },
};
