import { assertDatabaseReachable, createDb } from '@codecommit-evidence/evidence-store';
import {
  assertRedisReachable,
  closeWorkerGracefully,
  createRedisConnection,
  QUEUES,
  serveWorkerHealthOrStop,
} from '@codecommit-evidence/queues';
import {
  checkDependenciesOrExit,
  createLogger,
  createShutdown,
  createWorkerMetrics,
  loadConfigOrExit,
} from '@codecommit-evidence/runtime';
import { createSyncWorkerDeps, syncAwsOptionsFromEnv } from '@codecommit-evidence/sync-support';
import { IamSyncEnv, settingsFromEnv } from './config.js';
import { createIamSyncWorker } from './worker.js';

// Wiring only: config, connections, the worker, orderly shutdown.
const env = loadConfigOrExit('iam-sync', IamSyncEnv);
const logger = createLogger({ name: 'iam-sync', level: env.LOG_LEVEL });
const db = createDb(env.DATABASE_URL, {
  onConnectionError: (err) => logger.warn({ err: err.message }, 'postgres connection lost'),
  applicationName: 'iam-sync',
  max: Math.max(4, env.IAM_SYNC_CONCURRENCY + 2),
});
const redis = createRedisConnection(env.REDIS_URL, 'worker');
// A Redis that never answers must not keep retrying forever in the background before we give up.
redis.on('error', () => {});

await checkDependenciesOrExit(
  logger,
  [() => assertDatabaseReachable(db), () => assertRedisReachable(redis)],
  async () => {
    redis.disconnect();
    await db.destroy();
  },
);

const metrics = createWorkerMetrics();
const deps = createSyncWorkerDeps({
  db,
  metrics,
  redis,
  logger,
  keyPrefix: env.QUEUE_PREFIX,
  ...syncAwsOptionsFromEnv(env),
});
const worker = createIamSyncWorker({
  deps: { ...deps, settings: settingsFromEnv(env) },
  connection: redis,
  prefix: env.QUEUE_PREFIX,
  logger,
  concurrency: env.IAM_SYNC_CONCURRENCY,
});

const shutdown = createShutdown({ logger, timeoutMs: env.SHUTDOWN_TIMEOUT_MS });
// Worker first (stop taking jobs, let the active ones finish or hand them back), then Redis, then
// the AWS clients, then the pool; closeWorkerGracefully leaves a margin of the overall timeout.
shutdown.register('worker', () =>
  closeWorkerGracefully(worker, Math.max(1_000, env.SHUTDOWN_TIMEOUT_MS - 3_000)),
);
shutdown.register('redis', () => redis.quit());
shutdown.register('aws', async () => deps.aws.destroy());
shutdown.register('database', () => db.destroy());
shutdown.listen();
await serveWorkerHealthOrStop({
  worker,
  queue: QUEUES.iamSync,
  connection: redis,
  env,
  metrics,
  logger,
  readiness: { postgres: () => assertDatabaseReachable(db) },
  shutdown,
});
logger.info({ concurrency: env.IAM_SYNC_CONCURRENCY, prefix: env.QUEUE_PREFIX }, 'iam-sync worker started');
