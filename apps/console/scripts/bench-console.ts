/**
 * `pnpm bench:console [--account demo|bench] [--rounds N]` (`--help`): how fast the console is in real
 * Chromium. `demo` (the default) starts the stack as the demo does (its own database,
 * codecommit_evidence_bench_console, or BENCH_DATABASE_URL) and connects the demo account; `bench`
 * starts it on a scratch copy of the 1,000-repository account `pnpm bench:evaluate --load` keeps
 * (bench-accounts.ts). Then, for every page, the time from navigation start until the page's content
 * is in the DOM — measured by a MutationObserver the page gets before its first script, read after
 * Playwright has seen the content visible; React attaches its handlers in the commit that inserts the
 * content — cold (a new browser context, empty cache) and warm (the same context again), median of
 * N rounds, and the first-load JavaScript of the build against its 300 KB budget. Every wait has a
 * timeout (an in-page requestAnimationFrame probe hung on real pages before): a page that does not
 * show its content in time counts as a timeout, and the bench goes on.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test-support/browser.js';
import { type BenchSubject, prepareBenchAccount, prepareDemoAccount } from './bench-accounts.js';
import { formatTable, median, type PageTiming, parseBenchArgs, USAGE } from './bench-table.js';

const WAIT_MS = 30_000;
const here = path.dirname(fileURLToPath(import.meta.url));
const assets = path.resolve(here, '../dist/assets');
const say = (line: string) => process.stdout.write(`${line}\n`);

let options: ReturnType<typeof parseBenchArgs>;
try {
  options = parseBenchArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
if (options.help) {
  say(USAGE);
  process.exit(0);
}

const firstLoad = { gzipBytes: 0, brotliBytes: 0 };
for (const f of readdirSync(assets)) {
  if (f.endsWith('.js.gz')) firstLoad.gzipBytes += statSync(path.join(assets, f)).size;
  if (f.endsWith('.js.br')) firstLoad.brotliBytes += statSync(path.join(assets, f)).size;
}

/** Rejects after `ms`: page.evaluate has no timeout of its own. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

interface Probe {
  readyMs: number;
  /** The slowest API call the page made before its content showed, from Resource Timing. */
  slowestApi: { path: string; ms: number; bytes: number } | undefined;
  /** Where the time went, ms after navigation start (Navigation and Resource Timing). */
  phases: Phases | undefined;
}

interface Phases {
  /** The HTML's last byte. */
  html: number;
  /** The bundle's last byte. */
  script: number;
  /** The first API request sent (the bundle has run). */
  firstApi: number;
  /** The last API answer received before the content showed. */
  lastApi: number;
}

/** One navigation: the content's first appearance after navigation start, or NaN on a timeout. */
async function measure(page: Page, url: string, ready: string): Promise<Probe> {
  try {
    await page.goto(url, { timeout: WAIT_MS, waitUntil: 'commit' });
    await page.locator(ready).first().waitFor({ state: 'visible', timeout: WAIT_MS });
    return await within(
      WAIT_MS,
      'reading the probe',
      page.evaluate(() => {
        const w = window as unknown as { __contentAt?: number };
        const readyMs = w.__contentAt ?? performance.now();
        const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
        const calls = resources.filter(
          (e) => new URL(e.name).pathname.startsWith('/v1/') && e.startTime < readyMs,
        );
        const api = calls
          .map((e) => ({ path: new URL(e.name).pathname, ms: e.duration, bytes: e.encodedBodySize }))
          .sort((a, b) => b.ms - a.ms);
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
        const script = resources.find((e) => e.name.endsWith('.js'));
        const phases = {
          html: nav?.responseEnd ?? Number.NaN,
          script: script?.responseEnd ?? Number.NaN,
          firstApi: Math.min(...calls.map((e) => e.startTime)),
          lastApi: Math.max(...calls.map((e) => e.responseEnd)),
        };
        return { readyMs, slowestApi: api[0], phases };
      }),
    );
  } catch (err) {
    process.stderr.write(`  ${url}: ${(err as Error).message.split('\n')[0]}\n`);
    return { readyMs: Number.NaN, slowestApi: undefined, phases: undefined };
  }
}

async function run(subject: BenchSubject, rounds: number): Promise<void> {
  const browser = await launchChromium();
  try {
    const signIn = await browser.newContext();
    const first = await signIn.newPage();
    await first.goto(`${subject.apiUrl}/console/sign-in#link=${await subject.signInLink()}`, {
      timeout: WAIT_MS,
    });
    await first.getByRole('heading', { name: 'Connections' }).waitFor({ timeout: 60_000 });
    const state = await signIn.storageState();
    await signIn.close();

    const timings: PageTiming[] = [];
    const diagnostics: string[] = [];
    for (const { name, url, ready } of subject.pages) {
      const timing: PageTiming = { page: name, cold: [], warm: [] };
      const slowest: Probe['slowestApi'][] = [];
      const phases: Record<'cold' | 'warm', Phases[]> = { cold: [], warm: [] };
      for (let i = 0; i < rounds; i++) {
        const context = await browser.newContext({ storageState: state });
        // Installed before any of the page's scripts: notes when the content selector first matches.
        await context.addInitScript(
          (selector: string) => {
            const w = window as unknown as { __contentAt?: number };
            const observer = new MutationObserver(() => {
              if (w.__contentAt === undefined && document.querySelector(selector)) {
                w.__contentAt = performance.now();
                observer.disconnect();
              }
            });
            observer.observe(document, { childList: true, subtree: true });
          },
          ready.replace(/ >> nth=\d+$/, ''),
        );
        const page = await context.newPage();
        for (const into of [timing.cold, timing.warm]) {
          const probe = await measure(page, `${subject.apiUrl}/console${url}`, ready);
          into.push(probe.readyMs);
          if (into === timing.cold) slowest.push(probe.slowestApi);
          if (probe.phases) phases[into === timing.cold ? 'cold' : 'warm'].push(probe.phases);
        }
        await context.close();
      }
      timings.push(timing);
      const apis = slowest.filter((s) => s !== undefined);
      const p50 = median(apis.map((a) => a.ms));
      const worst = apis.sort((a, b) => b.ms - a.ms)[0];
      for (const kind of ['cold', 'warm'] as const) {
        const p = (k: keyof Phases) => Math.round(median(phases[kind].map((x) => x[k])));
        diagnostics.push(
          `${name} ${kind} (p50 of each phase, ms after navigation start): HTML ${p('html')}, bundle ${p('script')}, first API call ${p('firstApi')}, last API answer ${p('lastApi')}, content ${Math.round(median(timing[kind]))}`,
        );
      }
      if (worst)
        diagnostics.push(
          `${name}: slowest API call (cold) p50 ${Math.round(p50)} ms, worst ${Math.round(worst.ms)} ms ${worst.path} (${(worst.bytes / 1024).toFixed(0)} KB)`,
        );
      process.stderr.write(`  ${name} measured\n`);
    }
    say(formatTable(subject.account, timings, firstLoad));
    for (const d of diagnostics) say(d);
  } finally {
    await browser.close();
  }
}

const subject = options.account === 'demo' ? await prepareDemoAccount() : await prepareBenchAccount();
try {
  await run(subject, options.rounds);
} finally {
  await subject.stop();
}
