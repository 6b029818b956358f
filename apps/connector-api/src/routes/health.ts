/** Liveness, readiness (Postgres and Redis answer) and Prometheus metrics. Unauthenticated. */

import { sql } from 'kysely';
import type { RoutePlugin } from '../context.js';
import { ErrorBody, Healthy, Ready } from '../responses.js';

const PROBE_TIMEOUT_MS = 2_000;

async function within(p: Promise<unknown>, label: string): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${label} did not answer within ${PROBE_TIMEOUT_MS} ms`)),
      PROBE_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([p, timeout]);
    return 'ok';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: RoutePlugin = {
  name: 'health',
  scope: 'public',
  register(app, ctx) {
    app.get(
      '/healthz',
      { schema: { tags: ['health'], summary: 'The process is up', response: { 200: Healthy } } },
      async () => ({
        status: 'ok' as const,
      }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          response: { 200: Ready, 503: ErrorBody },
          tags: ['health'],
          summary: 'Postgres and Redis are reachable (503 naming the one that is not)',
        },
      },
      async (_req, reply) => {
        const [postgres, redis] = await Promise.all([
          within(sql`select 1`.execute(ctx.db), 'Postgres'),
          within(ctx.redis.ping(), 'Redis'),
        ]);
        if (postgres === 'ok' && redis === 'ok')
          return { status: 'ready' as const, checks: { postgres, redis } };
        const down = [
          postgres !== 'ok' ? 'Postgres' : undefined,
          redis !== 'ok' ? 'Redis' : undefined,
        ].filter(Boolean);
        return reply.code(503).send({
          error: {
            code: 'not_ready',
            message: `${down.join(' and ')} ${down.length > 1 ? 'are' : 'is'} not reachable.`,
            details: { postgres, redis },
          },
        });
      },
    );

    app.get(
      '/metrics',
      { schema: { tags: ['health'], summary: 'Prometheus metrics' } },
      async (_req, reply) => {
        const body = await ctx.metrics.registry.metrics();
        return reply.type(ctx.metrics.registry.contentType).send(body);
      },
    );
  },
};
