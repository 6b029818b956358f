/**
 * repo-sync: the BullMQ worker that turns a customer's CodeCommit Region into evidence. Wiring only:
 * configuration, connections, the worker, and orderly shutdown.
 */
import { assertDatabaseReachable, createDb } from '@codecommit-evidence/evidence-store';
import {
  assertRedisReachable,
  closeWorkerGracefully,
  createQueue,
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
import { RepoSyncEnv } from './config.js';
import { createRepoSyncWorker } from './worker.js';

const env = loadConfigOrExit('repo-sync', RepoSyncEnv);

const logger = createLogger({ name: 'repo-sync', level: env.LOG_LEVEL });
const db = createDb(env.DATABASE_URL, {
  max: env.DATABASE_POOL_SIZE,
  applicationName: 'repo-sync',
  onConnectionError: (err) => logger.warn({ err: err.message }, 'postgres connection lost'),
});
const redis = createRedisConnection(env.REDIS_URL, 'worker');
redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));

await checkDependenciesOrExit(
  logger,
  [() => assertDatabaseReachable(db), () => assertRedisReachable(redis)],
  async () => {
    redis.disconnect();
    await db.destroy();
  },
);

const metrics = createWorkerMetrics();
const deps = {
  ...createSyncWorkerDeps({
    db,
    metrics,
    redis,
    logger,
    keyPrefix: env.QUEUE_PREFIX,
    ...syncAwsOptionsFromEnv(env),
  }),
  queue: createQueue(QUEUES.repoSync, redis, env.QUEUE_PREFIX),
};
const worker = createRepoSyncWorker(deps, {
  connection: redis,
  prefix: env.QUEUE_PREFIX,
  concurrency: env.REPO_SYNC_CONCURRENCY,
  lockDurationMs: env.REPO_SYNC_LOCK_DURATION_MS,
  jobsPerConnection: env.REPO_SYNC_JOBS_PER_CONNECTION,
});

const shutdown = createShutdown({ logger, timeoutMs: env.SHUTDOWN_TIMEOUT_MS });
// Worker first (stop taking jobs, let the active ones finish), then what it used.
// Past 80% of the budget the active jobs are handed back (their locks lapse, another replica resumes them).
shutdown.register('worker', () => closeWorkerGracefully(worker, Math.floor(env.SHUTDOWN_TIMEOUT_MS * 0.8)));
shutdown.register('queue', () => deps.queue.close());
shutdown.register('aws', async () => deps.aws.destroy());
shutdown.register('redis', () => redis.quit());
shutdown.register('db', () => db.destroy());
shutdown.listen();
await serveWorkerHealthOrStop({
  worker,
  queue: QUEUES.repoSync,
  connection: redis,
  env,
  metrics,
  logger,
  readiness: { postgres: () => assertDatabaseReachable(db) },
  shutdown,
});
logger.info({ concurrency: env.REPO_SYNC_CONCURRENCY, prefix: env.QUEUE_PREFIX }, 'repo-sync worker started');
