/** What every process of CodeCommit Evidence shares at run time: config parsing, logging, shutdown, health and metrics. */
export { ConfigError, LogEnv, parseEnv, ShutdownEnv } from './env.js';
export {
  HEALTH_PATHS,
  type HealthServer,
  type HealthServerOptions,
  healthEnv,
  type Probe,
  startHealthServer,
} from './health-server.js';
export { createLogger, type Logger, REDACT_PATHS } from './logger.js';
export { createShutdown, type Shutdown } from './shutdown.js';
export { checkDependenciesOrExit, EXIT_CONFIG, EXIT_UNAVAILABLE, loadConfigOrExit } from './startup.js';
export {
  type AwsCallEvent,
  createWorkerMetrics,
  type RateLimiterTotals,
  type WorkerMetrics,
} from './worker-metrics.js';
