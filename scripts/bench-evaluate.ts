/**
 * `pnpm bench:evaluate [--repos 1000] [--prs 50] [--users 2000] [--load] [--only evaluate] [--json]`: one evaluation, a
 * re-evaluation without changes and the read API at the size of a real customer, on a synced account
 * kept between runs (the first run syncs it through fake-aws once; with `--load`, the bench loader runs
 * the workers' jobs in process against fake-aws's core instead, for sizes a sync would take hours for). Prints the figures against the goals
 * of issue 15; `--only evaluate` stops after the evaluation and the re-evaluation (no reads, no exports). Needs Postgres and Redis (DATABASE_URL, REDIS_URL). Never part of `pnpm test`. The
 * benchmark lives with the evaluator (apps/checks-evaluator/bench), whose dependencies it uses.
 */
import { runEvaluateBench } from '../apps/checks-evaluator/bench/evaluate-bench.js';
import { exitWithUsageOnHelp } from './usage.js';

exitWithUsageOnHelp(
  'pnpm bench:evaluate [--repos 1000] [--prs 50] [--users 2000] [--load] [--only evaluate] [--json]',
);
await runEvaluateBench(process.argv.slice(2));
