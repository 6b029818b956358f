/**
 * Console sessions: the browser exchanges the tenant's API key (or a one-time sign-in link) for a
 * server-side session, so the key never sits in the page's storage. The session lives in Redis under
 * the hash of its id, carries the hash of the key it was opened with (revoking the key ends it), a
 * CSRF token, and an expiry judged by the server's clock. The cookie is `HttpOnly`, `SameSite=Strict`,
 * `Path=/`, and `Secure` when the API is configured as served over TLS.
 *
 * State-changing requests authenticated by the cookie must send the session's CSRF token in
 * `X-CSRF-Token` (a synchronizer token: the page reads it from `GET /v1/session`). Requests with
 * `Authorization: Bearer` never look at the cookie, so API clients work as before.
 */

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { findTenantByApiKey, findTenantByApiKeyHash, hashApiKey } from '@codecommit-evidence/evidence-store';
import cookie from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { bearerToken } from './auth.js';
import type { AppContext, RoutePlugin } from './context.js';
import { ApiError } from './errors.js';
import { answers, NO_CONTENT, SessionAnswer, SignInLinkAnswer } from './responses.js';

export const SESSION_COOKIE = 'cce_session';
export const CSRF_HEADER = 'x-csrf-token';
/** How long a one-time sign-in link (`POST /v1/session/links`) can be used. */
export const SIGN_IN_LINK_TTL_MS = 15 * 60_000;
export const DEFAULT_SESSION_TTL_MINUTES = 8 * 60;

export interface SessionConfig {
  /** Absolute lifetime of a session from sign-in. */
  ttlMinutes: number;
  /** `Secure` on the cookie: set when browsers reach the API over TLS. */
  cookieSecure: boolean;
}

interface StoredSession {
  tenantId: string;
  keyHash: string;
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
}

const sessionConfig = (ctx: AppContext): SessionConfig =>
  ctx.config.session ?? { ttlMinutes: DEFAULT_SESSION_TTL_MINUTES, cookieSecure: false };

const digest = (s: string) => createHash('sha256').update(s).digest('hex');
/** Redis keys hold the hash of the secret, so a Redis dump opens no session. */
const sessionKey = (ctx: AppContext, id: string) => `${ctx.queuePrefix}:session:${digest(id)}`;
const linkKey = (ctx: AppContext, token: string) => `${ctx.queuePrefix}:sign-in-link:${digest(token)}`;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Session ids and link tokens are 32 random bytes, base64url: anything else is refused unread. */
const TOKEN_FORM = /^[A-Za-z0-9_-]{43}$/;

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(digest(a));
  const y = Buffer.from(digest(b));
  return timingSafeEqual(x, y);
}

async function readSession(
  ctx: AppContext,
  id: string | undefined,
): Promise<(StoredSession & { id: string }) | undefined> {
  if (!id || !TOKEN_FORM.test(id)) return undefined;
  const raw = await ctx.redis.get(sessionKey(ctx, id));
  if (!raw) return undefined;
  const s = JSON.parse(raw) as StoredSession;
  // Redis expires the key too, but the server's clock decides (tests move it; Redis's clock is not ours).
  if (Date.parse(s.expiresAt) <= ctx.now().getTime()) {
    await ctx.redis.del(sessionKey(ctx, id));
    return undefined;
  }
  return { ...s, id };
}

/**
 * The tenant of the request's session cookie, for the API-key hook when no bearer token was sent;
 * undefined when there is no live session. A state-changing request without the right CSRF token is
 * refused (403) even with a live session.
 */
export async function sessionTenant(
  ctx: AppContext,
  req: FastifyRequest,
): Promise<{ id: string; name: string } | undefined> {
  const session = await readSession(ctx, req.cookies?.[SESSION_COOKIE]);
  if (!session) return undefined;
  const tenant = await findTenantByApiKeyHash(ctx.db, session.keyHash, ctx.now());
  if (!tenant || tenant.id !== session.tenantId) return undefined;
  if (!SAFE_METHODS.has(req.method)) assertCsrf(req, session.csrfToken);
  return tenant;
}

function assertCsrf(req: FastifyRequest, expected: string): void {
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !sameToken(sent, expected)) {
    throw new ApiError(
      403,
      'csrf_token_invalid',
      `A request signed in by the session cookie must send the session's CSRF token in X-CSRF-Token (from GET /v1/session).`,
    );
  }
}

function setCookie(ctx: AppContext, reply: FastifyReply, value: string, maxAgeSeconds: number): void {
  reply.setCookie(SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'strict',
    secure: sessionConfig(ctx).cookieSecure,
    path: '/',
    maxAge: maxAgeSeconds,
  });
}

const signedOut = () =>
  new ApiError(401, 'unauthorized', 'Not signed in, or the session has expired: sign in again.', {
    reason: 'no_session',
  });

export const sessionRoutes: RoutePlugin = {
  name: 'session',
  scope: 'public',
  async register(app, ctx) {
    await app.register(cookie);

    app.post(
      '/v1/session',
      {
        schema: {
          tags: ['session'],
          summary:
            'Sign in (the console): exchange the API key, or a one-time sign-in link, for a session cookie',
          description:
            'Answers the session and sets an HttpOnly, SameSite=Strict cookie. Send exactly one of apiKey and link.',
          security: [],
          body: z
            .strictObject({
              apiKey: z.string().min(1).max(512).optional(),
              link: z.string().min(1).max(512).optional().describe('token of POST /v1/session/links'),
            })
            .refine((b) => (b.apiKey === undefined) !== (b.link === undefined), {
              message: 'send exactly one of apiKey and link',
            }),
          response: answers(SessionAnswer, 201),
        },
      },
      async (req, reply) => {
        let keyHash: string | undefined;
        let tenant: { id: string; name: string } | undefined;
        if (req.body.apiKey !== undefined) {
          tenant = await findTenantByApiKey(ctx.db, req.body.apiKey, ctx.now());
          keyHash = hashApiKey(req.body.apiKey);
        } else if (req.body.link !== undefined && TOKEN_FORM.test(req.body.link)) {
          // GETDEL: a link opens one session, however many tabs race for it.
          const raw = await ctx.redis.getdel(linkKey(ctx, req.body.link));
          const link = raw ? (JSON.parse(raw) as { keyHash: string; expiresAt: string }) : undefined;
          if (link && Date.parse(link.expiresAt) > ctx.now().getTime()) {
            keyHash = link.keyHash;
            tenant = await findTenantByApiKeyHash(ctx.db, link.keyHash, ctx.now());
          }
        }
        if (!tenant || !keyHash) {
          throw new ApiError(
            401,
            'unauthorized',
            req.body.apiKey !== undefined
              ? 'Unknown or revoked API key.'
              : 'This sign-in link is unknown, used or expired: ask for a new one.',
            { field: req.body.apiKey !== undefined ? 'body.apiKey' : 'body.link' },
          );
        }
        const id = randomBytes(32).toString('base64url');
        const ttlMs = sessionConfig(ctx).ttlMinutes * 60_000;
        const now = ctx.now();
        const stored: StoredSession = {
          tenantId: tenant.id,
          keyHash,
          csrfToken: randomBytes(32).toString('base64url'),
          createdAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
        };
        await ctx.redis.set(sessionKey(ctx, id), JSON.stringify(stored), 'PX', ttlMs);
        setCookie(ctx, reply, id, Math.floor(ttlMs / 1000));
        return reply.code(201).send({ tenant, csrfToken: stored.csrfToken, expiresAt: stored.expiresAt });
      },
    );

    app.get(
      '/v1/session',
      {
        schema: {
          tags: ['session'],
          summary: 'The current console session (401 when signed out or expired)',
          security: [],
          response: answers(SessionAnswer),
        },
      },
      async (req) => {
        const session = await readSession(ctx, req.cookies[SESSION_COOKIE]);
        const tenant = session ? await findTenantByApiKeyHash(ctx.db, session.keyHash, ctx.now()) : undefined;
        if (!session || !tenant) throw signedOut();
        return { tenant, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
      },
    );

    app.delete(
      '/v1/session',
      {
        schema: {
          tags: ['session'],
          summary: 'Sign out: ends the session on the server and clears the cookie (needs X-CSRF-Token)',
          security: [],
          response: NO_CONTENT,
        },
      },
      async (req, reply) => {
        const session = await readSession(ctx, req.cookies[SESSION_COOKIE]);
        if (session) {
          assertCsrf(req, session.csrfToken);
          await ctx.redis.del(sessionKey(ctx, session.id));
        }
        setCookie(ctx, reply, '', 0);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/v1/session/links',
      {
        schema: {
          tags: ['session'],
          summary: 'A one-time console sign-in link for the calling API key (bearer only; 15 minutes)',
          response: answers(SignInLinkAnswer, 201),
        },
      },
      async (req, reply) => {
        // Only a bearer key makes links: a session cannot mint itself more sessions.
        const token = bearerToken(req.headers.authorization);
        const tenant = token ? await findTenantByApiKey(ctx.db, token, ctx.now()) : undefined;
        if (!token || !tenant) {
          throw new ApiError(401, 'unauthorized', 'Send Authorization: Bearer <API key>.');
        }
        const link = randomBytes(32).toString('base64url');
        const expiresAt = new Date(ctx.now().getTime() + SIGN_IN_LINK_TTL_MS).toISOString();
        await ctx.redis.set(
          linkKey(ctx, link),
          JSON.stringify({ keyHash: hashApiKey(token), expiresAt }),
          'PX',
          SIGN_IN_LINK_TTL_MS,
        );
        return reply.code(201).send({ link, path: `/console/sign-in#link=${link}`, expiresAt });
      },
    );
  },
};
