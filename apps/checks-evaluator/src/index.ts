import { assertDatabaseReachable, createDb } from '@codecommit-evidence/evidence-store';
import {
  assertRedisReachable,
  closeWorkerGracefully,
  createFlowProducer,
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
import { ChecksEvaluatorEnv } from './config.js';
import { createChecksWorker } from './worker.js';

// Wiring only: config, connections, the worker, orderly shutdown.
const env = loadConfigOrExit('checks-evaluator', ChecksEvaluatorEnv);
const logger = createLogger({ name: 'checks-evaluator', level: env.LOG_LEVEL });
const db = createDb(env.DATABASE_URL, {
  onConnectionError: (err) => logger.warn({ err: err.message }, 'postgres connection lost'),
  applicationName: 'checks-evaluator',
  max: env.CHECKS_CONCURRENCY * 4 + 2,
});
const redis = createRedisConnection(env.REDIS_URL, 'worker');
// Errors surface through assertRedisReachable and the worker; an unhandled 'error' event would crash.
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
const flowProducer = createFlowProducer(redis, env.QUEUE_PREFIX);
const worker = createChecksWorker({
  db,
  connection: redis,
  prefix: env.QUEUE_PREFIX,
  flowProducer,
  logger,
  concurrency: env.CHECKS_CONCURRENCY,
});

const shutdown = createShutdown({ logger, timeoutMs: env.SHUTDOWN_TIMEOUT_MS });
// Worker first (stop taking jobs, finish or hand back the active ones), then the flow producer and
// Redis, then the pool; the worker's share leaves a margin of the overall timeout for the rest.
shutdown.register('worker', () =>
  closeWorkerGracefully(worker, Math.max(1_000, env.SHUTDOWN_TIMEOUT_MS - 3_000)),
);
shutdown.register('flow-producer', () => flowProducer.close());
shutdown.register('redis', () => redis.quit());
shutdown.register('database', () => db.destroy());
shutdown.listen();
await serveWorkerHealthOrStop({
  worker,
  queue: QUEUES.checks,
  connection: redis,
  env,
  metrics,
  logger,
  readiness: { postgres: () => assertDatabaseReachable(db) },
  shutdown,
});
logger.info(
  { concurrency: env.CHECKS_CONCURRENCY, prefix: env.QUEUE_PREFIX },
  'checks-evaluator worker started',
);
