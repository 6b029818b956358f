/**
 * `pnpm bench:iam-sync [--users 2000] [--iam-rps 50] [--latency-ms 10] [--concurrency 8] [--json]`:
 * syncs a generated IAM account through both paths of the iam-sync worker against fake-aws under an
 * IAM rate limit, and prints calls per operation and elapsed time for each. Needs Postgres and Redis
 * (DATABASE_URL, REDIS_URL; a scratch database and key prefix are created and removed). Never part of
 * `pnpm test`. The benchmark itself lives with the worker (apps/iam-sync/bench), whose
 * dependencies it uses.
 */
import { runIamSyncBench } from '../apps/iam-sync/bench/iam-sync-bench.js';
import { exitWithUsageOnHelp } from './usage.js';

exitWithUsageOnHelp(
  'pnpm bench:iam-sync [--users 2000] [--iam-rps 50] [--latency-ms 10] [--concurrency 8] [--json]',
);
await runIamSyncBench(process.argv.slice(2));
