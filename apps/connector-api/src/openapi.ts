/**
 * The OpenAPI document the server publishes at `/docs/json`, built without a database, Redis or AWS:
 * the console generates its typed client from it (apps/console, `pnpm gen:api`), and
 * its test fails when the committed types differ from this document.
 */

import { createDb } from '@codecommit-evidence/evidence-store';
import type { Queues } from '@codecommit-evidence/queues';
import type { FlowProducer } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { buildServer } from './server.js';

export async function openApiDocument(): Promise<Record<string, unknown>> {
  // Nothing connects: the pool and Redis are lazy, and no request is served.
  const db = createDb('postgres://unused@127.0.0.1:1/unused');
  const redis = new Redis({ lazyConnect: true });
  const app = await buildServer({
    db,
    redis,
    queues: {} as Queues,
    flowProducer: {} as FlowProducer,
    queuePrefix: 'openapi',
    logger: pino({ level: 'silent' }),
    config: {
      adminToken: 'x'.repeat(16),
      platformAccountId: '000000000000',
      defaultSyncIntervalMinutes: 360,
    },
    aws: {},
  });
  try {
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
    redis.disconnect();
    await db.destroy();
  }
}
