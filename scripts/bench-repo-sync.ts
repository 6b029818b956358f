/**
 * `pnpm bench:repo-sync [--repos 1000] [--prs 50] [--rps 600] [--aws-rps 750] [--concurrency 16]
 * [--account-concurrency 64] [--latency-ms 0] [--json]`: syncs a generated account through fake-aws
 * with the repo-sync worker as its own process, and prints calls per operation against the floor,
 * elapsed time against the rate-limit floor, the no-change and the 1 %-change re-syncs' calls beside
 * the issue's goals, whether the incremental evidence equals a full sync's of the same final state,
 * and the worker's peak memory. Needs
 * Postgres and Redis (DATABASE_URL, REDIS_URL; a scratch database and key prefix are created and
 * removed). Never part of `pnpm test`. The benchmark lives with the worker
 * (apps/repo-sync/bench), whose dependencies it uses.
 */
import { runRepoSyncBench } from '../apps/repo-sync/bench/repo-sync-bench.js';
import { exitWithUsageOnHelp } from './usage.js';

exitWithUsageOnHelp(
  'pnpm bench:repo-sync [--repos 1000] [--prs 50] [--users 50] [--rps 600] [--aws-rps 750] [--concurrency 16] [--account-concurrency 64] [--latency-ms 0] [--json] [--cpu-prof-dir DIR]',
);
await runRepoSyncBench(process.argv.slice(2));
