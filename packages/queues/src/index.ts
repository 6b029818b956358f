/** The job catalog, producers, the sync-run flow and the worker factory shared by every app. */
export * from './catalog.js';
export { RedisEnv } from './env.js';
export {
  QUEUE_DEPTH_STATES,
  type ServeWorkerHealthOptions,
  serveWorkerHealth,
  serveWorkerHealthOrStop,
  waitListKey,
} from './observability.js';
export * from './producers.js';
export { assertRedisReachable, createRedisConnection, deleteKeysWithPrefix } from './redis.js';
export * from './worker.js';
