/**
 * `pnpm bench:console`: how fast the console is in real Chromium on the demo account. Starts the
 * stack as the demo does (its own database, codecommit_evidence_bench_console, or BENCH_DATABASE_URL),
 * connects the demo account and waits for its checks, then prints the first-load JavaScript of the
 * build (compressed) and, for every page, the time from navigation start until the page's content is
 * on screen with its handlers attached (React renders them together), cold (a new browser context,
 * empty cache) and warm (the same context again): median of 5 each.
 */
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectDemoAccount, followSyncRun, waitForCheckRun } from '@codecommit-evidence/demo/journey';
import { migrate, startStack } from '@codecommit-evidence/demo/stack';
import { launchChromium } from '../test-support/browser.js';

const ROUNDS = 5;
const here = path.dirname(fileURLToPath(import.meta.url));
const assets = path.resolve(here, '../dist/assets');
const say = (line: string) => process.stdout.write(`${line}\n`);

const sizes = { gzip: 0, brotli: 0 };
for (const f of readdirSync(assets)) {
  if (f.endsWith('.js.gz')) sizes.gzip += statSync(path.join(assets, f)).size;
  if (f.endsWith('.js.br')) sizes.brotli += statSync(path.join(assets, f)).size;
}
say(
  `first-load JavaScript: ${(sizes.gzip / 1024).toFixed(1)} KB gzip, ${(sizes.brotli / 1024).toFixed(1)} KB brotli`,
);

const databaseUrl =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/codecommit_evidence_bench_console';
await migrate(databaseUrl);
const stack = await startStack({
  databaseUrl,
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  logDir: path.join(tmpdir(), `cce-bench-console-${process.pid}`),
});
const browser = await launchChromium();
try {
  const { api, connectionId, runId, rosterAt } = await connectDemoAccount(stack, {
    tenant: 'bench',
    connection: 'demo',
  });
  await followSyncRun(api, connectionId, runId, () => {});
  await waitForCheckRun(api, connectionId, runId, rosterAt);
  const { link } = await api('POST', '/v1/session/links');
  const signIn = await browser.newContext();
  const first = await signIn.newPage();
  await first.goto(`${stack.apiUrl}/console/sign-in#link=${link}`);
  await first.getByRole('heading', { name: 'Connections' }).waitFor({ timeout: 60_000 });
  const state = await signIn.storageState();
  await signIn.close();

  const c = `/connections/${connectionId}`;
  const pages: [string, string, string][] = [
    ['connections', '/', 'table tbody tr'],
    ['checks', c, 'article.check >> nth=3'],
    ['findings (branch protection)', `${c}/checks/codecommit-branch-protection-admins`, 'li.finding'],
    ['history', `${c}/history`, '#chart-title'],
    ['evidence', `${c}/evidence`, '#users-title ~ table tbody tr'],
    ['exports', `${c}/exports`, '#exports-title'],
    ['operate', `${c}/operate`, '#problems-title'],
    ['roster', '/roster', '#people-title ~ table tbody tr'],
  ];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  say(
    `page                           cold ms   warm ms   (median of ${ROUNDS}, navigation start → content interactive)`,
  );
  for (const [name, url, ready] of pages) {
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const context = await browser.newContext({ storageState: state });
      const page = await context.newPage();
      for (const into of [cold, warm]) {
        await page.goto(`${stack.apiUrl}/console${url}`);
        await page.locator(ready).first().waitFor({ timeout: 60_000 });
        into.push(await page.evaluate(() => performance.now()));
      }
      await context.close();
    }
    say(`${name.padEnd(30)} ${median(cold).toFixed(0).padStart(7)}   ${median(warm).toFixed(0).padStart(7)}`);
  }
} finally {
  await browser.close();
  await stack.stopAll();
}
