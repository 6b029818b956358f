import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, api, useHarness } from '../test-support/harness.js';
import type { App } from './context.js';
import { buildServer } from './server.js';
import { SESSION_COOKIE } from './session.js';

/**
 * Console sessions against real Redis and Postgres: the key is exchanged for an HttpOnly,
 * SameSite=Strict cookie; the cookie authenticates reads, writes need the CSRF token, sign-out and
 * expiry end the session on the server, a revoked key ends its sessions, bearer clients are unchanged.
 */
describe('console sessions', () => {
  const h = useHarness();

  async function tenant(app: App = h.current.app) {
    const res = await api(app, 'POST', '/v1/tenants', { token: ADMIN_TOKEN, body: { name: 'acme' } });
    expect(res.status).toBe(201);
    return res.body as { apiKey: string; tenant: { id: string } };
  }

  async function signIn(app: App, body: Record<string, unknown>) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    const setCookie = String(res.headers['set-cookie'] ?? '');
    const id = new RegExp(`${SESSION_COOKIE}=([^;]*)`).exec(setCookie)?.[1] ?? '';
    return { res, setCookie, cookie: `${SESSION_COOKIE}=${id}`, body: res.json() };
  }

  const withCookie = (app: App, method: 'GET' | 'POST' | 'DELETE', url: string, cookie: string, extra = {}) =>
    app.inject({ method, url, headers: { cookie, ...extra } });

  it('exchanges the key for an HttpOnly SameSite=Strict cookie that reads; writes need the CSRF token', async () => {
    const { app } = h.current;
    const t = await tenant();
    const s = await signIn(app, { apiKey: t.apiKey });
    expect(s.res.statusCode).toBe(201);
    expect(s.setCookie).toMatch(/HttpOnly/i);
    expect(s.setCookie).toMatch(/SameSite=Strict/i);
    expect(s.setCookie).toMatch(/Path=\//);
    expect(s.setCookie).not.toMatch(/Secure/i);
    // The key is nowhere in what the browser keeps or reads back.
    expect(s.setCookie).not.toContain(t.apiKey);
    expect(JSON.stringify(s.body)).not.toContain(t.apiKey);
    expect(s.body.tenant.id).toBe(t.tenant.id);

    const me = await withCookie(app, 'GET', '/v1/session', s.cookie);
    expect(me.statusCode).toBe(200);
    expect(me.json().csrfToken).toBe(s.body.csrfToken);
    expect((await withCookie(app, 'GET', '/v1/connections', s.cookie)).statusCode).toBe(200);

    const create = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/v1/connections',
        headers: { cookie: s.cookie, 'content-type': 'application/json', ...headers },
        payload: JSON.stringify({ name: 'prod' }),
      });
    const noToken = await create({});
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().error.code).toBe('csrf_token_invalid');
    const wrongToken = await create({ 'x-csrf-token': 'x'.repeat(43) });
    expect(wrongToken.statusCode).toBe(403);
    expect((await create({ 'x-csrf-token': s.body.csrfToken })).statusCode).toBe(201);

    // Bearer clients never look at cookies or CSRF tokens.
    const bearer = await api(app, 'POST', '/v1/connections', { token: t.apiKey, body: { name: 'ci' } });
    expect(bearer.status).toBe(201);

    // Nothing secret in the logs.
    const logs = h.current.logs.join('\n');
    for (const secret of [t.apiKey, s.body.csrfToken, s.cookie.split('=')[1]!])
      expect(logs).not.toContain(secret);
  });

  it('sign-out ends the session on the server, not just in the browser', async () => {
    const { app } = h.current;
    const t = await tenant();
    const s = await signIn(app, { apiKey: t.apiKey });
    const noCsrf = await withCookie(app, 'DELETE', '/v1/session', s.cookie);
    expect(noCsrf.statusCode).toBe(403);
    const out = await withCookie(app, 'DELETE', '/v1/session', s.cookie, {
      'x-csrf-token': s.body.csrfToken,
    });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/Max-Age=0/);
    // The old cookie, replayed, opens nothing.
    const replay = await withCookie(app, 'GET', '/v1/connections', s.cookie);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.code).toBe('unauthorized');
    expect((await withCookie(app, 'GET', '/v1/session', s.cookie)).statusCode).toBe(401);
  });

  it('a session expires by the server clock; Secure is set when configured; a bad key is refused', async () => {
    let now = new Date('2031-05-01T10:00:00Z');
    const app = await buildServer({
      ...h.current.deps,
      now: () => now,
      config: { ...h.current.deps.config, session: { ttlMinutes: 30, cookieSecure: true } },
    });
    try {
      const t = await tenant(app);
      const s = await signIn(app, { apiKey: t.apiKey });
      expect(s.setCookie).toMatch(/; Secure/i);
      expect(s.body.expiresAt).toBe('2031-05-01T10:30:00.000Z');
      now = new Date('2031-05-01T10:29:00Z');
      expect((await withCookie(app, 'GET', '/v1/connections', s.cookie)).statusCode).toBe(200);
      now = new Date('2031-05-01T10:30:01Z');
      expect((await withCookie(app, 'GET', '/v1/connections', s.cookie)).statusCode).toBe(401);

      const bad = await signIn(app, { apiKey: 'cce_not-a-key' });
      expect(bad.res.statusCode).toBe(401);
      expect(bad.setCookie).toBe('');
      const both = await signIn(app, { apiKey: t.apiKey, link: 'x' });
      expect(both.res.statusCode).toBe(400);
      expect(both.body.error.code).toBe('invalid_request');
      const forged = await withCookie(app, 'GET', '/v1/connections', `${SESSION_COOKIE}=${'a'.repeat(43)}`);
      expect(forged.statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('a one-time sign-in link opens one session; revoking the key ends its sessions', async () => {
    const { app, db } = h.current;
    const t = await tenant();
    const made = await api(app, 'POST', '/v1/session/links', { token: t.apiKey });
    expect(made.status).toBe(201);
    expect(made.body.path).toBe(`/console/sign-in#link=${made.body.link}`);
    const first = await signIn(app, { link: made.body.link });
    expect(first.res.statusCode).toBe(201);
    const again = await signIn(app, { link: made.body.link });
    expect(again.res.statusCode).toBe(401);
    expect(again.body.error.details.field).toBe('body.link');
    // A session cannot mint links for itself.
    expect((await withCookie(app, 'POST', '/v1/session/links', first.cookie)).statusCode).toBe(401);

    const byKey = await signIn(app, { apiKey: t.apiKey });
    await db
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('tenant_id', '=', t.tenant.id)
      .execute();
    expect((await withCookie(app, 'GET', '/v1/connections', byKey.cookie)).statusCode).toBe(401);
    expect((await withCookie(app, 'GET', '/v1/connections', first.cookie)).statusCode).toBe(401);
  });
});
