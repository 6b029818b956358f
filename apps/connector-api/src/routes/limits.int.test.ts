/**
 * Limits: a sync is not started again within the minimum interval (429 + Retry-After, judged by the
 * application's clock), a tenant's request rate and connection creations are bounded with counters
 * in Redis that every API replica shares, and every list is paginated.
 */

import { finishSyncRun, upsertIdentityLinks } from '@codecommit-evidence/evidence-store';
import { createActiveConnection, userArn } from '@codecommit-evidence/evidence-views/test-support';
import { describe, expect, it } from 'vitest';
import { api, newTenant, TEST_LIMITS, useHarness } from '../../test-support/harness.js';
import type { App } from '../context.js';
import { buildServer } from '../server.js';

let clock = new Date('2026-06-01T12:00:00.000Z');
const h = useHarness({ now: () => clock, limits: { syncMinIntervalSeconds: 300 } });

/** Another API replica over the same Postgres, Redis and prefix, with its own limits. */
async function replica(limits: Record<string, number>): Promise<App> {
  const deps = h.current.deps;
  return buildServer({ ...deps, config: { ...deps.config, limits: { ...TEST_LIMITS, ...limits } } });
}

describe('POST /v1/connections/{id}/syncs', () => {
  it('answers the running run, then refuses a new one within the minimum interval with Retry-After', async () => {
    const { apiKey, connectionId } = await createActiveConnection(h.current.db, 'syncs');
    const sync = () => api(h.current.app, 'POST', `/v1/connections/${connectionId}/syncs`, { token: apiKey });
    const first = await sync();
    expect(first.status).toBe(202);
    const runId = first.body.syncRun.id as number;
    // While it runs, asking again answers that run (no second one).
    expect((await sync()).body.syncRun.id).toBe(runId);

    clock = new Date(clock.getTime() + 60_000);
    await finishSyncRun(h.current.db, runId, 'succeeded', undefined, clock);
    clock = new Date(clock.getTime() + 10_000);
    const early = await sync();
    expect(early.status).toBe(429);
    expect(early.body.error.code).toBe('sync_too_soon');
    expect(early.headers['retry-after']).toBe('230');
    expect(early.body.error.details).toMatchObject({
      minIntervalSeconds: 300,
      retryAfterSeconds: 230,
      lastSyncRun: { id: runId, status: 'succeeded' },
    });

    clock = new Date(clock.getTime() + 230_000);
    const later = await sync();
    expect(later.status).toBe(202);
    expect(later.body.syncRun.id).toBeGreaterThan(runId);
  });
});

describe('per-tenant limits shared by every replica', () => {
  it('refuses a tenant over its request rate with 429 and Retry-After, on every replica, and only that tenant', async () => {
    const [one, two] = [await replica({ requestsPerMinute: 5 }), await replica({ requestsPerMinute: 5 })];
    try {
      const busy = await newTenant(h.current.app, 'busy');
      const quiet = await newTenant(h.current.app, 'quiet');
      const get = (app: App, key: string) => api(app, 'GET', '/v1/people', { token: key });
      for (const app of [one, two, one, two, one]) expect((await get(app, busy.apiKey)).status).toBe(200);
      for (const app of [one, two]) {
        const refused = await get(app, busy.apiKey);
        expect(refused.status).toBe(429);
        expect(refused.body.error.code).toBe('rate_limited');
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
        expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      }
      expect((await get(two, quiet.apiKey)).status).toBe(200);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('bounds connection creation per tenant and hour (refused attempts do not count)', async () => {
    const [one, two] = [await replica({ connectionsPerHour: 2 }), await replica({ connectionsPerHour: 2 })];
    try {
      const t = await newTenant(h.current.app, 'creator');
      const create = (app: App, body: unknown) =>
        api(app, 'POST', '/v1/connections', { token: t.apiKey, body });
      expect((await create(one, { name: '' })).status).toBe(400);
      expect((await create(one, { name: 'a' })).status).toBe(201);
      expect((await create(two, { name: 'b' })).status).toBe(201);
      const refused = await create(one, { name: 'c' });
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3000);
      // Reads are not creations.
      expect((await api(two, 'GET', '/v1/connections', { token: t.apiKey })).body.connections).toHaveLength(
        2,
      );
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe('every list is paginated', () => {
  async function all(path: string, key: string, field: string): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const res: Awaited<ReturnType<typeof api>> = await api(
        h.current.app,
        'GET',
        `${path}${sep}limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: key },
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body[field].length).toBeLessThanOrEqual(2);
      seen.push(
        ...res.body[field].map((x: { id?: string | number; iamUserArn?: string }) =>
          String(x.id ?? x.iamUserArn),
        ),
      );
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(1);
    return seen;
  }

  it('GET /v1/connections, /v1/identity-links and …/syncs page by cursor without losing or repeating one', async () => {
    const t = await newTenant(h.current.app, 'many');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock = new Date(clock.getTime() + (i % 2) * 1000); // two pairs share a creation instant
      ids.push(
        (await api(h.current.app, 'POST', '/v1/connections', { token: t.apiKey, body: { name: `c${i}` } }))
          .body.connection.id,
      );
    }
    // Two rows with microseconds in the same millisecond (as the database's clock wrote them before
    // the application-clock migration): each is listed once, though the cursor holds milliseconds.
    for (const at of ['2026-06-01T12:00:05.123456Z', '2026-06-01T12:00:05.123789Z']) {
      const row = await h.current.db
        .insertInto('connections')
        .values({
          tenant_id: t.id,
          name: 'legacy',
          external_id: `cce-legacy-${at}`,
          created_at: at,
          updated_at: at,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(row.id);
    }
    const listed = await all('/v1/connections', t.apiKey, 'connections');
    expect(listed).toHaveLength(7);
    expect(new Set(listed)).toEqual(new Set(ids));

    const arns = ['a', 'b', 'c', 'd', 'e'].map((n) => userArn(n));
    await upsertIdentityLinks(
      h.current.db,
      t.id,
      arns.map((a) => ({ iamUserArn: a, personEmail: 'p@example.com' })),
      clock,
    );
    expect(await all('/v1/identity-links', t.apiKey, 'links')).toEqual(arns);

    const { apiKey, connectionId } = await createActiveConnection(h.current.db, 'runs');
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await api(h.current.app, 'POST', `/v1/connections/${connectionId}/syncs`, {
        token: apiKey,
      });
      runs.push(run.body.syncRun.id);
      await finishSyncRun(h.current.db, run.body.syncRun.id, 'succeeded', undefined, clock);
      clock = new Date(clock.getTime() + 301_000);
    }
    expect(await all(`/v1/connections/${connectionId}/syncs`, apiKey, 'syncRuns')).toEqual(
      runs.reverse().map(String),
    );
  });
});
