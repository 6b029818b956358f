/**
 * A tenant's API keys: list them (never the key or its hash: the prefix it starts with), rotate (a new
 * key, shown once; the old ones stay valid for a grace period, then are refused) and revoke one at
 * once. Time is the application's clock (`ctx.now()`), like every other time the API compares.
 */

import {
  type ApiKeyInfo,
  listApiKeys,
  revokeApiKey,
  rotateApiKey,
} from '@codecommit-evidence/evidence-store';
import { z } from 'zod';
import { tenantId } from '../auth.js';
import type { RoutePlugin } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { decodeCursor, PageQuery, page } from '../evidence-views/pagination.js';
import { ApiKeyList, ApiKeyRevoked, ApiKeyRotated, answers } from '../responses.js';
import { parseUuidOr404 } from '../schemas.js';

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function keyView(k: ApiKeyInfo, now: Date) {
  const expiresAt = k.expires_at === null ? null : new Date(k.expires_at);
  return {
    id: k.id,
    prefix: k.key_prefix,
    createdAt: iso(k.created_at),
    expiresAt: iso(expiresAt),
    revokedAt: iso(k.revoked_at),
    status: (k.revoked_at !== null
      ? 'revoked'
      : expiresAt === null
        ? 'valid'
        : expiresAt.getTime() > now.getTime()
          ? 'expiring'
          : 'expired') as 'revoked' | 'valid' | 'expiring' | 'expired',
  };
}

export const apiKeyRoutes: RoutePlugin = {
  name: 'api-keys',
  scope: 'tenant',
  register(app, ctx) {
    const tags = ['api-keys'];

    app.get(
      '/v1/api-keys',
      {
        schema: {
          response: answers(ApiKeyList),
          tags,
          summary:
            "The tenant's API keys, newest first: prefix, status, expiry (paginated: ?limit=, ?cursor=)",
          querystring: z.strictObject(PageQuery),
        },
      },
      async (req) => {
        const before = decodeCursor(req.query.cursor, ['instant', 'uuid'] as const);
        const rows = await listApiKeys(ctx.db, tenantId(req), {
          ...(before ? { before: { createdAt: new Date(before[0]), id: before[1] } } : {}),
          limit: req.query.limit + 1,
        });
        const { items, nextCursor } = page(rows, req.query.limit, (k) => [
          new Date(k.created_at).getTime(),
          k.id,
        ]);
        const now = ctx.now();
        return { apiKeys: items.map((k) => keyView(k, now)), nextCursor };
      },
    );

    app.post(
      '/v1/api-keys/rotate',
      {
        schema: {
          response: answers(ApiKeyRotated, 201),
          tags,
          summary:
            'Rotate: a new API key (shown once); every key valid now, this one included, stays valid for the grace period, then is refused',
          body: z
            .strictObject({
              graceMinutes: z
                .number()
                .int()
                .min(0)
                .max(ctx.limits.apiKeyGraceMinutes)
                .optional()
                .describe(
                  `minutes the old keys stay valid (0: refused at once); default and at most ${ctx.limits.apiKeyGraceMinutes}`,
                ),
            })
            // Fastify gives a request without a body as null.
            .nullish(),
        },
      },
      async (req, reply) => {
        const graceMinutes = req.body?.graceMinutes ?? ctx.limits.apiKeyGraceMinutes;
        const now = ctx.now();
        const rotated = await rotateApiKey(ctx.db, tenantId(req), graceMinutes * 60_000, now);
        return reply.code(201).send({
          apiKey: rotated.apiKey,
          key: keyView(rotated.key, now),
          expiring: rotated.expiring.map((k) => keyView(k, now)),
        });
      },
    );

    app.delete(
      '/v1/api-keys/:keyId',
      {
        schema: {
          response: answers(ApiKeyRevoked),
          tags,
          summary:
            "Revoke one of the tenant's keys at once (409 last_valid_key for its only valid key: rotate first)",
          params: z.object({ keyId: z.string() }),
        },
      },
      async (req) => {
        const keyId = parseUuidOr404(req.params.keyId, 'API key');
        const now = ctx.now();
        const outcome = await revokeApiKey(ctx.db, tenantId(req), keyId, now);
        if ('refused' in outcome) {
          if (outcome.refused === 'not_found') throw notFound('API key');
          throw new ApiError(
            409,
            'last_valid_key',
            "This is the tenant's only valid API key; revoking it would lock the tenant out. Rotate first (POST /v1/api-keys/rotate with graceMinutes 0 replaces it at once).",
          );
        }
        return { apiKey: keyView(outcome.revoked, now) };
      },
    );
  },
};
