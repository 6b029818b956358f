/**
 * The pure parts of `pnpm bench:console`: its arguments and the table it prints (unit-tested in
 * test/bench-table.test.ts; the bench itself is a script, not a timed test).
 */
import { parseArgs } from 'node:util';

export type BenchAccount = 'demo' | 'bench';

/** Issue 13's goals: every page interactive within 1 s on the demo account, 2 s on the bench account. */
export const GOAL_MS: Record<BenchAccount, number> = { demo: 1000, bench: 2000 };
/** Issue 13's budget for the first load's compressed JavaScript. */
export const FIRST_LOAD_BUDGET_KB = 300;

export const USAGE = `pnpm bench:console [--account demo|bench] [--rounds N]

Time to interactive of every console page in real Chromium (navigation start until the page's content
selector is visible; React attaches its handlers in the same commit), cold (a new browser context, empty
cache) and warm (the same context loading the page again), median of N rounds (default 5).

  --account demo    (default) the demo scenario, connected and judged by the stack started here
  --account bench   the 1,000-repository account that \`pnpm bench:evaluate --load\` keeps
                    (cce_bench_eval_cache_r1000_p50_u2000_l1): a scratch copy of it, evaluated once
                    with a roster of its users; the cache itself is never loaded or changed here
  --rounds N        rounds per page (default 5)
  --help            this text

Needs Postgres and Redis (DATABASE_URL for the server, default postgres://postgres@127.0.0.1:5432/postgres;
REDIS_URL) and Chromium (CHROMIUM_PATH or Debian's chromium).`;

export interface BenchOptions {
  account: BenchAccount;
  rounds: number;
  help: boolean;
}

/** Parses the bench's arguments; throws with the usage on anything it does not know. */
export function parseBenchArgs(argv: string[]): BenchOptions {
  let values: { account?: string; rounds?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        account: { type: 'string', default: 'demo' },
        rounds: { type: 'string', default: '5' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new Error(`${(err as Error).message}\n\n${USAGE}`);
  }
  const account = values.account;
  if (account !== 'demo' && account !== 'bench')
    throw new Error(`--account must be demo or bench, not ${JSON.stringify(account)}\n\n${USAGE}`);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50)
    throw new Error(`--rounds must be a whole number from 1 to 50, not ${JSON.stringify(values.rounds)}`);
  return { account, rounds, help: values.help ?? false };
}

/** The median of the numbers measured (the lower middle of an even count); NaN when none was. */
export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)]!;
}

export interface PageTiming {
  page: string;
  /** Milliseconds per round; NaN for a round whose content did not appear in time. */
  cold: number[];
  warm: number[];
}

const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)}` : 'timeout');
const verdict = (cold: number, warm: number, goal: number) =>
  !Number.isFinite(cold) || !Number.isFinite(warm) ? 'no' : cold <= goal && warm <= goal ? 'yes' : 'no';

/** The table the bench prints: one row per page, then the first-load JavaScript against its budget. */
export function formatTable(
  account: BenchAccount,
  timings: PageTiming[],
  firstLoad: { gzipBytes: number; brotliBytes: number },
): string {
  const goal = GOAL_MS[account];
  const header = ['page', 'cold p50 ms', 'warm p50 ms', 'goal ms', 'met', 'timeouts'];
  const rows = timings.map((t) => {
    const cold = median(t.cold);
    const warm = median(t.warm);
    const timeouts = [...t.cold, ...t.warm].filter((x) => !Number.isFinite(x)).length;
    return [t.page, ms(cold), ms(warm), String(goal), verdict(cold, warm, goal), String(timeouts)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const kb = (n: number) => (n / 1024).toFixed(1);
  const within = Math.max(firstLoad.gzipBytes, firstLoad.brotliBytes) / 1024 <= FIRST_LOAD_BUDGET_KB;
  return [
    `account: ${account}; median of ${timings[0]?.cold.length ?? 0} rounds; navigation start → content visible and interactive`,
    line(header),
    ...rows.map(line),
    `first-load JavaScript: ${kb(firstLoad.gzipBytes)} KB gzip, ${kb(firstLoad.brotliBytes)} KB brotli (budget ${FIRST_LOAD_BUDGET_KB} KB: ${within ? 'within' : 'over'})`,
  ].join('\n');
}
