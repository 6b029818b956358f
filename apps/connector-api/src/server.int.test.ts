import {
  addAwsCalls,
  createOrGetActiveSyncRun,
  finishSyncRun,
  recordSyncProblem,
} from '@codecommit-evidence/evidence-store';
import { createQueues, createRedisConnection, jobIds } from '@codecommit-evidence/queues';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  api,
  createRole,
  newConnection,
  newTenant,
  REPO_REGION,
  useHarness,
} from '../test-support/harness.js';
import { buildServer } from './server.js';

const h = useHarness();
let a: { id: string; apiKey: string };
let b: { id: string; apiKey: string };

beforeAll(async () => {
  a = await newTenant(h.current.app, 'Tenant A');
  b = await newTenant(h.current.app, 'Tenant B');
});

describe('tenants and API keys', () => {
  it('creates a tenant only with the admin token and shows the key once', async () => {
    for (const token of [
      undefined,
      'wrong-token-but-long-enough',
      `${ADMIN_TOKEN}x`,
      ADMIN_TOKEN.slice(0, -1),
    ]) {
      const res = await api(h.current.app, 'POST', '/v1/tenants', {
        ...(token ? { token } : {}),
        body: { name: 'x' },
      });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
    const ok = await api(h.current.app, 'POST', '/v1/tenants', {
      token: ADMIN_TOKEN,
      body: { name: '  Globex  ' },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.tenant.name).toBe('Globex');
    expect(ok.body.apiKey).toMatch(/^cce_/);
    const stored = await h.current.db.selectFrom('api_keys').select('key_hash').execute();
    expect(JSON.stringify(stored)).not.toContain(ok.body.apiKey);
    // The API key is not an admin token and the admin token is not an API key.
    expect(
      (await api(h.current.app, 'POST', '/v1/tenants', { token: ok.body.apiKey, body: { name: 'y' } }))
        .status,
    ).toBe(401);
    expect((await api(h.current.app, 'GET', '/v1/connections', { token: ADMIN_TOKEN })).status).toBe(401);
  });

  it('every /v1 route needs a valid API key', async () => {
    for (const [method, url] of [
      ['GET', '/v1/connections'],
      ['POST', '/v1/connections'],
      ['GET', '/v1/people'],
      ['PUT', '/v1/identity-links'],
      ['GET', '/v1/connections/00000000-0000-0000-0000-000000000000/syncs'],
    ] as const) {
      for (const header of [
        undefined,
        'Bearer',
        'Bearer cce_nope',
        `Basic ${a.apiKey}`,
        `Bearer ${a.apiKey} extra`,
      ]) {
        const res = await h.current.app.inject({
          method,
          url,
          headers: header ? { authorization: header } : {},
        });
        expect(res.statusCode, `${method} ${url} ${header}`).toBe(401);
        expect(res.json().error.code).toBe('unauthorized');
      }
    }
  });
});

describe('tenant isolation', () => {
  it("another tenant's connection answers 404 on every route, and malformed ids do too", async () => {
    const mine = (await newConnection(h.current.app, a.apiKey, { name: 'A-prod' })).connection.id;
    const paths = ['', '/setup-kit', '/syncs', '/syncs/1'];
    for (const p of paths) {
      const res = await api(h.current.app, 'GET', `/v1/connections/${mine}${p}`, { token: b.apiKey });
      expect(res.status, p).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect(
      (await api(h.current.app, 'PATCH', `/v1/connections/${mine}`, { token: b.apiKey, body: { name: 'x' } }))
        .status,
    ).toBe(404);
    expect((await api(h.current.app, 'DELETE', `/v1/connections/${mine}`, { token: b.apiKey })).status).toBe(
      404,
    );
    expect(
      (await api(h.current.app, 'POST', `/v1/connections/${mine}/syncs`, { token: b.apiKey })).status,
    ).toBe(404);
    expect(
      (
        await api(h.current.app, 'POST', `/v1/connections/${mine}/connect`, {
          token: b.apiKey,
          body: { roleArn: 'arn:aws:iam::111122223333:role/X', region: 'us-east-1' },
        })
      ).status,
    ).toBe(404);
    const listB = await api(h.current.app, 'GET', '/v1/connections', { token: b.apiKey });
    expect(JSON.stringify(listB.body)).not.toContain(mine);
    for (const id of [
      'not-a-uuid',
      '1',
      "1' OR '1'='1",
      '%00',
      'ZZZZZZZZ-0000-0000-0000-000000000000',
      `${mine}x`,
    ]) {
      const res = await api(h.current.app, 'GET', `/v1/connections/${encodeURIComponent(id)}`, {
        token: a.apiKey,
      });
      expect(res.status, id).toBe(404);
    }
    for (const run of ['0', '-1', 'abc', '99999999999999999999', '1.5']) {
      expect(
        (await api(h.current.app, 'GET', `/v1/connections/${mine}/syncs/${run}`, { token: a.apiKey })).status,
      ).toBe(404);
    }
  });
});

describe('connection lifecycle', () => {
  it('creates a pending connection with a server-generated External ID and the setup kit', async () => {
    const res = await api(h.current.app, 'POST', '/v1/connections', {
      token: a.apiKey,
      body: { name: 'prod', syncIntervalMinutes: 60, auditWindowDays: 30 },
    });
    expect(res.status).toBe(201);
    const c = res.body.connection;
    expect(c).toMatchObject({
      status: 'pending',
      syncIntervalMinutes: 60,
      auditWindowDays: 30,
      roleArn: null,
    });
    expect(c.externalId).toMatch(/^cce-[A-Za-z0-9_-]{32}$/);
    const kit = res.body.setupKit;
    expect(kit.platformAccountId).toBe('444455556666');
    expect(kit.trustPolicy.Statement[0].Condition).toEqual({
      StringEquals: { 'sts:ExternalId': c.externalId },
    });
    expect(kit.trustPolicy.Statement[0].Principal).toEqual({ AWS: 'arn:aws:iam::444455556666:root' });
    const other = await api(h.current.app, 'POST', '/v1/connections', {
      token: a.apiKey,
      body: { name: 'prod' },
    });
    expect(other.body.connection.externalId).not.toBe(c.externalId);
    expect(other.body.connection.syncIntervalMinutes).toBe(360);

    const fetched = await api(h.current.app, 'GET', `/v1/connections/${c.id}/setup-kit`, { token: a.apiKey });
    expect(fetched.body.setupKit).toEqual(kit);

    // The External ID is never settable by the client.
    const forged = await api(h.current.app, 'POST', '/v1/connections', {
      token: a.apiKey,
      body: { name: 'x', externalId: 'attacker-chosen' },
    });
    expect(forged.status).toBe(400);
    expect(forged.body.error).toMatchObject({ code: 'invalid_request' });
    expect(forged.body.error.message).toContain('externalId');
    const patched = await api(h.current.app, 'PATCH', `/v1/connections/${c.id}`, {
      token: a.apiKey,
      body: { externalId: 'attacker-chosen' },
    });
    expect(patched.status).toBe(400);
  });

  it('validation errors name the field', async () => {
    const cases: [unknown, string][] = [
      [{}, 'body.name'],
      [{ name: '' }, 'body.name'],
      [{ name: 'x'.repeat(201) }, 'body.name'],
      [{ name: 'a\u0000b' }, 'body.name'],
      [{ name: 'x', syncIntervalMinutes: 5 }, 'body.syncIntervalMinutes'],
      [{ name: 'x', syncIntervalMinutes: '60' }, 'body.syncIntervalMinutes'],
      [{ name: 'x', auditWindowDays: 0 }, 'body.auditWindowDays'],
    ];
    for (const [body, field] of cases) {
      const res = await api(h.current.app, 'POST', '/v1/connections', { token: a.apiKey, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details.issues[0].field).toBe(field);
    }
  });

  it('PATCH reschedules an active connection; DELETE stops the schedule and leaves it read-only', async () => {
    const { connection, setupKit } = await newConnection(h.current.app, a.apiKey, { name: 'lifecycle' });
    const roleArn = await createRole(h.current.fake, 'EvidenceLifecycle', setupKit.trustPolicy, {
      inline: setupKit.permissionsPolicy,
    });
    const pendingSync = await api(h.current.app, 'POST', `/v1/connections/${connection.id}/syncs`, {
      token: a.apiKey,
    });
    expect(pendingSync.status).toBe(409);
    expect(pendingSync.body.error.code).toBe('connection_not_active');

    const connected = await api(h.current.app, 'POST', `/v1/connections/${connection.id}/connect`, {
      token: a.apiKey,
      body: { roleArn, region: REPO_REGION },
    });
    expect(connected.status).toBe(200);
    const runId = connected.body.syncRunId as number;

    const patched = await api(h.current.app, 'PATCH', `/v1/connections/${connection.id}`, {
      token: a.apiKey,
      body: { syncIntervalMinutes: 60, auditWindowDays: 30, name: 'renamed' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.connection).toMatchObject({
      syncIntervalMinutes: 60,
      auditWindowDays: 30,
      name: 'renamed',
    });
    expect((await h.current.queues.checks.getJobScheduler(jobIds.scheduler(connection.id)))?.every).toBe(
      3_600_000,
    );
    expect(
      (await api(h.current.app, 'PATCH', `/v1/connections/${connection.id}`, { token: a.apiKey, body: {} }))
        .status,
    ).toBe(400);

    // A finished run with calls and a missing permission, as the workers would record them.
    await addAwsCalls(h.current.db, runId, {
      'codecommit:ListRepositories': 2,
      'iam:ListUsers': { calls: 3, throttled: 1 },
    });
    await recordSyncProblem(h.current.db, runId, {
      step: 'iam:credential-report',
      kind: 'missing_permission',
      code: 'access_denied',
      action: 'iam:GetCredentialReport',
      message: 'denied',
    });
    await finishSyncRun(h.current.db, runId, 'partial');
    const run = await api(h.current.app, 'GET', `/v1/connections/${connection.id}/syncs/${runId}`, {
      token: a.apiKey,
    });
    expect(run.status).toBe(200);
    expect(run.body.syncRun).toMatchObject({
      id: runId,
      status: 'partial',
      trigger: 'connect',
      awsCalls: {
        'codecommit:ListRepositories': { calls: 2, throttled: 0 },
        'iam:ListUsers': { calls: 3, throttled: 1 },
      },
      awsCallsTotal: 5,
      missingPermissions: ['iam:GetCredentialReport'],
    });
    expect(run.body.syncRun.problems[0]).toMatchObject({
      kind: 'missing_permission',
      action: 'iam:GetCredentialReport',
    });

    // A new sync now creates a new run (the last one finished).
    const next = await api(h.current.app, 'POST', `/v1/connections/${connection.id}/syncs`, {
      token: a.apiKey,
    });
    expect(next.status).toBe(202);
    expect(next.body.syncRun).toMatchObject({ trigger: 'api', status: 'queued' });
    expect(next.body.syncRun.id).toBeGreaterThan(runId);
    const list = await api(h.current.app, 'GET', `/v1/connections/${connection.id}/syncs?limit=1`, {
      token: a.apiKey,
    });
    expect(list.body.syncRuns.map((r: { id: number }) => r.id)).toEqual([next.body.syncRun.id]);
    expect(
      (await api(h.current.app, 'GET', `/v1/connections/${connection.id}/syncs?limit=0`, { token: a.apiKey }))
        .status,
    ).toBe(400);

    // Another connection's run id is not readable through this one.
    const other = (await newConnection(h.current.app, a.apiKey, { name: 'other' })).connection.id;
    const { run: otherRun } = await createOrGetActiveSyncRun(h.current.db, other, 'api');
    expect(
      (
        await api(h.current.app, 'GET', `/v1/connections/${connection.id}/syncs/${otherRun.id}`, {
          token: a.apiKey,
        })
      ).status,
    ).toBe(404);

    const deleted = await api(h.current.app, 'DELETE', `/v1/connections/${connection.id}`, {
      token: a.apiKey,
    });
    expect(deleted.status).toBe(204);
    expect(await h.current.queues.checks.getJobScheduler(jobIds.scheduler(connection.id))).toBeUndefined();
    // Deleted is read-only: still readable, its runs too; every change is refused; deleting again is a no-op.
    const shown = await api(h.current.app, 'GET', `/v1/connections/${connection.id}`, { token: a.apiKey });
    expect(shown.status).toBe(200);
    expect(shown.body.connection).toMatchObject({ status: 'deleted', deletedAt: expect.any(String) });
    expect(
      (
        await api(h.current.app, 'GET', `/v1/connections/${connection.id}/syncs/${runId}`, {
          token: a.apiKey,
        })
      ).status,
    ).toBe(200);
    for (const [method, path, body] of [
      ['PATCH', '', { name: 'again' }],
      ['POST', '/syncs', undefined],
    ] as const) {
      const refused = await api(h.current.app, method, `/v1/connections/${connection.id}${path}`, {
        token: a.apiKey,
        ...(body ? { body } : {}),
      });
      expect(refused.status, `${method} ${path}`).toBe(409);
      expect(refused.body.error.code).toBe('connection_deleted');
    }
    expect(
      (await api(h.current.app, 'DELETE', `/v1/connections/${connection.id}`, { token: a.apiKey })).status,
    ).toBe(204);
    const listed = await api(h.current.app, 'GET', '/v1/connections?limit=500', { token: a.apiKey });
    expect(listed.body.connections.map((c: { id: string }) => c.id)).not.toContain(connection.id);
    const withDeleted = await api(h.current.app, 'GET', '/v1/connections?limit=500&includeDeleted=true', {
      token: a.apiKey,
    });
    expect(withDeleted.body.connections.map((c: { id: string }) => c.id)).toContain(connection.id);
    const runsKept = await h.current.db
      .selectFrom('sync_runs')
      .select('id')
      .where('connection_id', '=', connection.id)
      .execute();
    expect(runsKept.length).toBe(2);
  });
});

describe('errors, docs, health', () => {
  it('answers unknown routes 404, wrong methods 405, bad JSON 400, large bodies 413, other media 415', async () => {
    const app = h.current.app;
    const unknown = await app.inject({ method: 'GET', url: '/nope' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({
      error: { code: 'not_found', message: 'No route GET /nope.', details: {} },
    });
    const wrong = await app.inject({
      method: 'DELETE',
      url: '/v1/people',
      headers: { authorization: `Bearer ${a.apiKey}` },
    });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('GET, HEAD, PUT');
    const auth = { authorization: `Bearer ${a.apiKey}`, 'content-type': 'application/json' };
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/connections',
      headers: auth,
      payload: '{"name": ',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('malformed_json');
    const poisoned = await app.inject({
      method: 'POST',
      url: '/v1/connections',
      headers: auth,
      payload: '{"name":"x","__proto__":{"admin":true}}',
    });
    expect(poisoned.statusCode).toBe(400);
    const empty = await app.inject({ method: 'POST', url: '/v1/connections', headers: auth, payload: '' });
    expect(empty.statusCode).toBe(400);
    const big = await app.inject({
      method: 'POST',
      url: '/v1/connections',
      headers: auth,
      payload: JSON.stringify({ name: 'x'.repeat(300_000) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('payload_too_large');
    const xml = await app.inject({
      method: 'POST',
      url: '/v1/connections',
      headers: { ...auth, 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().error.code).toBe('unsupported_media_type');
  });

  it('serves the OpenAPI document and UI at /docs', async () => {
    const doc = await h.current.app.inject({ method: 'GET', url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    const paths = Object.keys(doc.json().paths);
    for (const p of [
      '/v1/tenants',
      '/v1/connections',
      '/v1/connections/{id}/connect',
      '/v1/connections/{id}/syncs/{runId}',
      '/v1/people',
      '/v1/identity-links',
      '/v1/api-keys',
      '/v1/api-keys/rotate',
      '/v1/api-keys/{keyId}',
    ]) {
      expect(paths).toContain(p);
    }
    // Every list documents its cursor.
    for (const p of [
      '/v1/connections',
      '/v1/identity-links',
      '/v1/tenants',
      '/v1/api-keys',
      '/v1/connections/{id}/syncs',
    ]) {
      const params = (doc.json().paths[p].get.parameters ?? []) as { name: string }[];
      expect(
        params.map((x) => x.name),
        p,
      ).toContain('cursor');
    }
    const ui = await h.current.app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });

  it('healthz, readyz and metrics', async () => {
    expect((await api(h.current.app, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await api(h.current.app, 'GET', '/readyz')).body).toEqual({
      status: 'ready',
      checks: { postgres: 'ok', redis: 'ok' },
    });
    const metrics = await h.current.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('process_cpu_seconds_total');
    expect(metrics.body).toMatch(/cce_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
    expect(metrics.body).toMatch(/cce_http_requests_total\{method="GET",route="unmatched",status="404"\}/);
    expect(metrics.body).toMatch(/cce_connect_attempts_total\{outcome="connected"\} 1/);
  });

  it('readyz answers 503 naming Redis when Redis is unreachable', async () => {
    // A real client to a port nothing listens on (port 1 is reserved and closed).
    const deadRedis = createRedisConnection('redis://127.0.0.1:1', 'producer', {
      lazyConnect: true,
      retryStrategy: () => null,
    });
    deadRedis.on('error', () => {});
    const app = await buildServer({
      ...h.current.deps,
      redis: deadRedis,
      queues: createQueues(deadRedis, h.current.prefix),
    });
    try {
      const res = await api(app, 'GET', '/readyz');
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('not_ready');
      expect(res.body.error.message).toBe('Redis is not reachable.');
      expect(res.body.error.details.postgres).toBe('ok');
      // A request that needs Redis answers 503, not 500: the client did nothing wrong.
      const id = (await newConnection(app, a.apiKey, { name: 'redis-down' })).connection.id;
      const connect = await api(app, 'POST', `/v1/connections/${id}/connect`, {
        token: a.apiKey,
        body: { roleArn: 'arn:aws:iam::111122223333:role/X', region: 'us-east-1' },
      });
      expect(connect.status).toBe(503);
      expect(connect.body.error.code).toBe('service_unavailable');
    } finally {
      await app.close();
      deadRedis.disconnect();
    }
  });
});
