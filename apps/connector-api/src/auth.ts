/** API-key authentication for tenant-scoped routes. */

import { findTenantByApiKey } from '@codecommit-evidence/evidence-store';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from './context.js';
import { ApiError } from './errors.js';

/** Longer than any key we issue (`cce_` + 43 characters); longer tokens are refused without a lookup. */
const MAX_TOKEN_LENGTH = 512;

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  const token = m?.[1];
  if (!token || token.length > MAX_TOKEN_LENGTH) return undefined;
  return token;
}

export function apiKeyHook(ctx: AppContext) {
  return async (req: FastifyRequest) => {
    const token = bearerToken(req.headers.authorization);
    const tenant = token ? await findTenantByApiKey(ctx.db, token, ctx.now()) : undefined;
    if (!tenant) {
      throw new ApiError(
        401,
        'unauthorized',
        'Send Authorization: Bearer <API key> (from POST /v1/tenants).',
      );
    }
    req.tenant = tenant;
  };
}

/** The authenticated tenant's id (the hook ran, so it is set). */
export function tenantId(req: FastifyRequest): string {
  if (!req.tenant) throw new ApiError(401, 'unauthorized', 'Not authenticated.');
  return req.tenant.id;
}
