/** connector-api entry point: wiring only (config, connections, server, shutdown). */

import { assertDatabaseReachable, createDb } from '@codecommit-evidence/evidence-store';
import {
  assertRedisReachable,
  closeQueues,
  createFlowProducer,
  createQueues,
  createRedisConnection,
} from '@codecommit-evidence/queues';
import {
  checkDependenciesOrExit,
  createLogger,
  createShutdown,
  loadConfigOrExit,
} from '@codecommit-evidence/runtime';
import { ConnectorApiEnv } from './config.js';
import { defaultConsoleDir } from './console.js';
import { buildServer } from './server.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit('connector-api', ConnectorApiEnv);
  const logger = createLogger({ name: 'connector-api', level: config.LOG_LEVEL });
  const db = createDb(config.DATABASE_URL, {
    applicationName: 'connector-api',
    onConnectionError: (err) => logger.warn({ err: err.message }, 'postgres connection lost'),
  });
  const redis = createRedisConnection(config.REDIS_URL, 'producer');
  // ioredis retries forever in the background; an unreachable Redis is reported by the checks below.
  redis.on('error', () => {});
  await checkDependenciesOrExit(
    logger,
    [() => assertDatabaseReachable(db), () => assertRedisReachable(redis)],
    async () => {
      redis.disconnect();
      await db.destroy();
    },
  );

  const queues = createQueues(redis, config.QUEUE_PREFIX);
  const flowProducer = createFlowProducer(redis, config.QUEUE_PREFIX);
  const app = await buildServer({
    db,
    redis,
    queues,
    flowProducer,
    queuePrefix: config.QUEUE_PREFIX,
    logger,
    config: {
      adminToken: config.ADMIN_TOKEN,
      platformAccountId: config.PLATFORM_AWS_ACCOUNT_ID,
      defaultSyncIntervalMinutes: config.DEFAULT_SYNC_INTERVAL_MINUTES,
      session: { ttlMinutes: config.SESSION_TTL_MINUTES, cookieSecure: config.SESSION_COOKIE_SECURE },
      consoleDir: config.CONSOLE_DIR ?? defaultConsoleDir(),
      limits: {
        syncMinIntervalSeconds: config.SYNC_MIN_INTERVAL_SECONDS,
        requestsPerMinute: config.RATE_LIMIT_PER_MINUTE,
        connectionsPerHour: config.CONNECTIONS_PER_HOUR,
        apiKeyGraceMinutes: config.API_KEY_ROTATION_GRACE_MINUTES,
      },
    },
    // Platform credentials come from the SDK default chain (env, container role, IRSA).
    aws: config.AWS_ENDPOINT_URL ? { endpoint: config.AWS_ENDPOINT_URL } : {},
  });

  const shutdown = createShutdown({ logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  shutdown.register('http', () => app.close());
  shutdown.register('queues', async () => {
    await closeQueues(queues);
    await flowProducer.close();
  });
  shutdown.register('redis', () => redis.quit());
  shutdown.register('postgres', () => db.destroy());
  shutdown.listen();

  await app.listen({ port: config.PORT, host: config.HOST });
}

main().catch((err: unknown) => {
  process.stderr.write(`connector-api: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
