/**
 * `pnpm bench:access-analysis [--repos 1000] [--users 2000] [--extra-roles 0] [--json]`: times the
 * access analysis (own policies on the synced repositories and in every CodeCommit Region, and the
 * role-assumption closure) on a generated benchmark account, in one process, without a database.
 * Never part of `pnpm test`. The benchmark lives with the evaluator (apps/checks-evaluator/bench).
 */
import { runAccessAnalysisBench } from '../apps/checks-evaluator/bench/access-analysis-bench.js';
import { exitWithUsageOnHelp } from './usage.js';

exitWithUsageOnHelp(
  'pnpm bench:access-analysis [--repos 1000] [--users 2000] [--extra-roles 0] [--memoised-only] [--json]',
);
runAccessAnalysisBench(process.argv.slice(2));
