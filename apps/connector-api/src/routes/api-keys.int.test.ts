/**
 * API keys and tenants: rotation (the old key valid for the grace period, then refused, judged by the
 * application's clock), revocation, the list of keys (never a key or its hash), the admin list of
 * tenants; and a deleted connection, whose evidence stays readable and exportable.
 */

import { createActiveConnection } from '@codecommit-evidence/evidence-views/test-support';
import { describe, expect, it } from 'vitest';
import { writeEvaluatedRun } from '../../test-support/evaluated-run.js';
import { ADMIN_TOKEN, api, newTenant, useHarness } from '../../test-support/harness.js';

let clock = new Date('2026-06-01T12:00:00.000Z');
const h = useHarness({ now: () => clock, limits: { apiKeyGraceMinutes: 60 } });
const later = (ms: number) => {
  clock = new Date(clock.getTime() + ms);
};
const whoami = (key: string) => api(h.current.app, 'GET', '/v1/api-keys', { token: key });

describe('API keys', () => {
  it('rotates: the old key works for the grace period, then is refused; the new one works', async () => {
    const t = await newTenant(h.current.app, 'rotating');
    later(1000); // the two keys are listed newest first
    const rotated = await api(h.current.app, 'POST', '/v1/api-keys/rotate', { token: t.apiKey });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(201);
    const fresh = rotated.body.apiKey as string;
    expect(fresh).toMatch(/^cce_/);
    expect(rotated.body.expiring).toHaveLength(1);
    expect(rotated.body.expiring[0]).toMatchObject({
      status: 'expiring',
      expiresAt: new Date(clock.getTime() + 3_600_000).toISOString(),
      prefix: t.apiKey.slice(0, 8),
    });

    later(59 * 60_000);
    expect((await whoami(t.apiKey)).status).toBe(200);
    later(60_001);
    expect((await whoami(t.apiKey)).status).toBe(401);
    const listed = await whoami(fresh);
    expect(listed.status).toBe(200);
    expect(listed.body.apiKeys.map((k: { status: string }) => k.status)).toEqual(['valid', 'expired']);
    // Neither the key nor its hash is ever shown again, nor logged.
    expect(JSON.stringify(listed.body)).not.toContain(fresh);
    expect(h.current.logs.join('\n')).not.toContain(fresh);
    expect(h.current.logs.join('\n')).not.toContain(t.apiKey);
  });

  it('a shorter grace period, down to 0 (refused at once); at most the configured one', async () => {
    const t = await newTenant(h.current.app, 'urgent');
    const tooLong = await api(h.current.app, 'POST', '/v1/api-keys/rotate', {
      token: t.apiKey,
      body: { graceMinutes: 61 },
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toContain('body.graceMinutes');
    const now = await api(h.current.app, 'POST', '/v1/api-keys/rotate', {
      token: t.apiKey,
      body: { graceMinutes: 0 },
    });
    expect(now.status).toBe(201);
    expect((await whoami(t.apiKey)).status).toBe(401);
    expect((await whoami(now.body.apiKey)).status).toBe(200);
  });

  it('revokes a key at once, but never the only valid one; another tenant’s key is not found', async () => {
    const t = await newTenant(h.current.app, 'revoking');
    const other = await newTenant(h.current.app, 'other');
    const keys = (await whoami(t.apiKey)).body.apiKeys as { id: string }[];
    const only = keys[0]?.id as string;
    const refused = await api(h.current.app, 'DELETE', `/v1/api-keys/${only}`, { token: t.apiKey });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('last_valid_key');
    expect((await api(h.current.app, 'DELETE', `/v1/api-keys/${only}`, { token: other.apiKey })).status).toBe(
      404,
    );
    expect((await api(h.current.app, 'DELETE', '/v1/api-keys/not-a-uuid', { token: t.apiKey })).status).toBe(
      404,
    );

    const fresh = (await api(h.current.app, 'POST', '/v1/api-keys/rotate', { token: t.apiKey })).body.apiKey;
    const revoked = await api(h.current.app, 'DELETE', `/v1/api-keys/${only}`, { token: fresh });
    expect(revoked.status).toBe(200);
    expect(revoked.body.apiKey).toMatchObject({ id: only, status: 'revoked' });
    expect((await whoami(t.apiKey)).status).toBe(401);
    expect((await whoami(fresh)).status).toBe(200);
  });
});

describe('GET /v1/tenants', () => {
  it('lists every tenant for the admin token, paginated; a tenant key cannot', async () => {
    const mine = await newTenant(h.current.app, 'listed');
    expect((await api(h.current.app, 'GET', '/v1/tenants', { token: mine.apiKey })).status).toBe(401);
    expect((await api(h.current.app, 'GET', '/v1/tenants')).status).toBe(401);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: Awaited<ReturnType<typeof api>> = await api(
        h.current.app,
        'GET',
        `/v1/tenants?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: ADMIN_TOKEN },
      );
      expect(res.status).toBe(200);
      expect(res.body.tenants.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.tenants.map((x: { id: string }) => x.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    const rows = await h.current.db.selectFrom('tenants').select('id').execute();
    expect(seen.sort()).toEqual(rows.map((r) => r.id).sort());
    const all = await api(h.current.app, 'GET', '/v1/tenants?limit=500', { token: ADMIN_TOKEN });
    expect(all.body.tenants.find((x: { id: string }) => x.id === mine.id)).toMatchObject({
      name: 'listed',
      validApiKeys: 1,
      connections: 0,
    });
  });
});

describe('a deleted connection', () => {
  it('stays readable and exportable, read-only', async () => {
    const { apiKey, connectionId } = await createActiveConnection(h.current.db, 'leaving');
    const { runId, checkRunId } = await writeEvaluatedRun(h.current.db, connectionId, clock);
    const base = `/v1/connections/${connectionId}`;
    expect((await api(h.current.app, 'DELETE', base, { token: apiKey })).status).toBe(204);
    for (const path of [
      '',
      '/checks',
      `/checks?checkRunId=${checkRunId}`,
      '/checks/codecommit-peer-review/findings',
      '/check-runs',
      '/repositories',
      '/pull-requests',
      '/iam-users',
      '/syncs',
      `/syncs/${runId}`,
      '/exports/check-results.csv',
      '/exports/check-results.json',
      '/exports/access-review.csv',
      '/exports/access-review.json',
    ]) {
      const res = await api(h.current.app, 'GET', `${base}${path}`, { token: apiKey });
      expect(res.status, path).toBe(200);
    }
    const checks = await api(h.current.app, 'GET', `${base}/checks`, { token: apiKey });
    expect(checks.body.checkRun.id).toBe(checkRunId);
    const csv = await api(h.current.app, 'GET', `${base}/exports/check-results.csv`, { token: apiKey });
    expect(String(csv.body)).toContain('codecommit-peer-review');
    const patch = await api(h.current.app, 'PATCH', base, { token: apiKey, body: { name: 'x' } });
    expect(patch.status).toBe(409);
    expect(patch.body.error.code).toBe('connection_deleted');
    // Another tenant still gets 404.
    const stranger = await newTenant(h.current.app, 'stranger');
    expect((await api(h.current.app, 'GET', `${base}/checks`, { token: stranger.apiKey })).status).toBe(404);
  });
});
