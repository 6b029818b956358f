/**
 * The accounts `pnpm bench:console` measures the console on, each behind a running stack:
 * - demo: the demo scenario connected, synced and judged as `pnpm demo` does;
 * - bench: a scratch copy of the 1,000 × 50 × 2,000 account that `pnpm bench:evaluate --load` keeps in
 *   its cache database (never loaded a second time here: without the cache the bench stops and says
 *   how to make it), ANALYZEd (this machine's Postgres runs with autovacuum off), given a roster of its
 *   2,000 users (one in ten offboarded) whose upload queues the one evaluation the checks pages need.
 *   The copy is dropped when the bench ends.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type Api,
  apiClient,
  connectDemoAccount,
  followSyncRun,
  waitForCheckRun,
} from '@codecommit-evidence/demo/journey';
import { migrate, type Stack, startStack } from '@codecommit-evidence/demo/stack';
import {
  analyzeDatabase,
  cacheDatabaseName,
  copyOfCache,
  dropCopy,
} from '../../checks-evaluator/bench/synced-account.js';
import type { BenchAccount } from './bench-table.js';

export interface BenchPage {
  name: string;
  /** Below /console. */
  url: string;
  /** A CSS selector of the page's content (not its loading state): its first match ends the timing. */
  ready: string;
}

export interface BenchSubject {
  account: BenchAccount;
  apiUrl: string;
  pages: BenchPage[];
  /** A one-time sign-in link for the account's tenant. */
  signInLink(): Promise<string>;
  stop(): Promise<void>;
}

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = (m: string) => process.stderr.write(`${m}\n`);

/** The pages of one connection, each with what shows that its content is there. */
function pagesOf(connectionId: string, findingsOf: string): BenchPage[] {
  const c = `/connections/${connectionId}`;
  return [
    { name: 'connections', url: '/', ready: 'table tbody tr' },
    { name: 'checks', url: c, ready: '.grid article.check:nth-child(4)' },
    { name: `findings (${findingsOf})`, url: `${c}/checks/codecommit-${findingsOf}`, ready: 'li.finding' },
    { name: 'history', url: `${c}/history`, ready: '#check-runs-title ~ table tbody tr' },
    { name: 'evidence', url: `${c}/evidence`, ready: '#users-title ~ table tbody tr' },
    { name: 'exports', url: `${c}/exports`, ready: '#exports-title' },
    { name: 'operate', url: `${c}/operate`, ready: '#problems-title ~ [data-loaded]' },
    { name: 'roster', url: '/roster', ready: '#people-title ~ table tbody tr' },
  ];
}

function logDir(account: BenchAccount): string {
  return path.join(tmpdir(), `cce-bench-console-${account}-${process.pid}`);
}

const linkFor = (api: Api) => async () => (await api('POST', '/v1/session/links')).link as string;

export async function prepareDemoAccount(): Promise<BenchSubject> {
  const databaseUrl =
    process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/codecommit_evidence_bench_console';
  await migrate(databaseUrl);
  const stack = await startStack({ databaseUrl, redisUrl, logDir: logDir('demo') });
  try {
    const { api, connectionId, runId, rosterAt } = await connectDemoAccount(stack, {
      tenant: 'bench',
      connection: 'demo',
    });
    await followSyncRun(api, connectionId, runId, () => {});
    await waitForCheckRun(api, connectionId, runId, rosterAt);
    return {
      account: 'demo',
      apiUrl: stack.apiUrl,
      pages: pagesOf(connectionId, 'branch-protection-admins'),
      signInLink: linkFor(api),
      stop: () => stack.stopAll(),
    };
  } catch (err) {
    await stack.stopAll();
    throw err;
  }
}

/** The bench account's size: the one `pnpm bench:evaluate --load` loads by default. */
const BENCH_SIZE = { repos: 1000, prs: 50, users: 2000 };

/** A roster of every IAM user of the account (by the generator's email tag), one in ten offboarded. */
async function uploadRoster(api: Api, connectionId: string): Promise<number> {
  const people: { email: string; status: 'active' | 'offboarded'; offboardedAt?: string }[] = [];
  let cursor: string | undefined;
  do {
    const q = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const pageOf = await api('GET', `/v1/connections/${connectionId}/iam-users?${q}`);
    for (const u of pageOf.iamUsers as { name: string }[]) {
      const offboarded = people.length % 10 === 9;
      people.push({
        email: `${u.name}@example.com`,
        ...(offboarded ? { status: 'offboarded', offboardedAt: '2026-01-15' } : { status: 'active' }),
      });
    }
    cursor = pageOf.nextCursor ?? undefined;
  } while (cursor);
  await api('PUT', '/v1/people', { people });
  return people.length;
}

export async function prepareBenchAccount(): Promise<BenchSubject> {
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const cacheName = cacheDatabaseName(BENCH_SIZE, 'load');
  log(`copying ${cacheName}…`);
  const copy = await copyOfCache(adminUrl, cacheName).catch((err: Error) => {
    throw new Error(
      `${cacheName} could not be copied (${err.message}); make it once with: pnpm bench:evaluate --load`,
    );
  });
  let stack: Stack | undefined;
  try {
    await analyzeDatabase(copy.url);
    stack = await startStack({ databaseUrl: copy.url, redisUrl, logDir: logDir('bench') });
    const { connectionId, runId, apiKey } = copy.account;
    const api = apiClient(stack.apiUrl, apiKey);
    log('uploading a roster of the account’s users…');
    const rosterAt = new Date();
    const people = await uploadRoster(api, connectionId);
    log(`${people} people; waiting for the evaluation (about a minute)…`);
    await waitForCheckRun(api, connectionId, runId, rosterAt, 900_000);
    // The evaluation's writes, analysed as production's autovacuum would.
    await analyzeDatabase(copy.url);
    const running = stack;
    return {
      account: 'bench',
      apiUrl: stack.apiUrl,
      pages: pagesOf(connectionId, 'peer-review'),
      signInLink: linkFor(api),
      stop: async () => {
        await running.stopAll();
        await dropCopy(adminUrl, copy.name);
      },
    };
  } catch (err) {
    await stack?.stopAll();
    await dropCopy(adminUrl, copy.name);
    throw err;
  }
}
