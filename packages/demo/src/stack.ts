/**
 * The whole product as separate processes on this machine: fake-aws, the API and the three workers,
 * each started with `node <compiled entry point>` exactly as in production. Used by the demo and by
 * the cross-process tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shiftCalendarDates } from '@codecommit-evidence/fake-aws';
import { deleteKeysWithPrefix } from '@codecommit-evidence/queues';
import { Redis } from 'ioredis';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const ENTRY_POINTS = {
  'fake-aws': 'packages/fake-aws/bin/fake-aws.js',
  'connector-api': 'apps/connector-api/dist/index.js',
  'repo-sync': 'apps/repo-sync/dist/index.js',
  'iam-sync': 'apps/iam-sync/dist/index.js',
  'checks-evaluator': 'apps/checks-evaluator/dist/index.js',
  migrate: 'packages/evidence-store/bin/cce-migrate.js',
} as const;
export type ProcessName = Exclude<keyof typeof ENTRY_POINTS, 'migrate'>;
export const WORKERS = ['repo-sync', 'iam-sync', 'checks-evaluator'] as const;

export interface DemoScenarioFacts {
  file: string;
  platformAccountId: string;
  platform: { accessKeyId: string; secretAccessKey: string };
  admin: { accessKeyId: string; secretAccessKey: string };
  region: string;
  /** The story's "today" in the file; fake-aws serves it moved to today (`--shift-dates`). */
  referenceDate: string;
}

/** The facts of a scenario file the stack needs: accounts and credentials. */
export function readScenarioFacts(file = path.join(repoRoot, 'scenarios/demo.json')): DemoScenarioFacts {
  const s = JSON.parse(readFileSync(file, 'utf8'));
  const regions = Object.keys(s.account?.regions ?? {});
  return {
    file,
    platformAccountId: String(s.platform.accountId),
    platform: s.platform.credentials,
    admin: s.account.adminCredentials,
    region: regions[0] ?? 'us-east-1',
    referenceDate: String(s.referenceDate),
  };
}

/**
 * The story's roster with its calendar dates (offboarding) moved by the same whole days as the
 * scenario fake-aws serves, so the story reads the same on any date.
 */
export async function readStoryRoster(
  stack: Pick<Stack, 'fakeUrl' | 'scenario'>,
  file = path.join(repoRoot, 'scenarios/demo.roster.json'),
): Promise<{ people: unknown[] }> {
  const served = (await (await fetch(`${stack.fakeUrl}/_fake/scenario`)).json()) as { referenceDate: string };
  const shift = Date.parse(served.referenceDate) - Date.parse(stack.scenario.referenceDate);
  return shiftCalendarDates(JSON.parse(readFileSync(file, 'utf8')), shift);
}

export interface StackOptions {
  databaseUrl: string;
  redisUrl: string;
  logDir: string;
  scenario?: DemoScenarioFacts;
  /** Extra arguments for `fake-aws serve` (latency, rates). */
  fakeAwsArgs?: string[];
  /** Extra environment for the API and the workers. */
  env?: Record<string, string>;
}

export interface Stack {
  fakeUrl: string;
  apiUrl: string;
  /** Each worker's health and metrics server (`/healthz`, `/readyz`, `/metrics`). */
  healthUrls: Record<(typeof WORKERS)[number], string>;
  adminToken: string;
  queuePrefix: string;
  scenario: DemoScenarioFacts;
  logDir: string;
  /** Starts (or restarts) one process and waits until it is up. */
  start(name: ProcessName): Promise<ChildProcess>;
  /** Sends a signal and waits for the process to exit; resolves with its exit code or signal. */
  stop(name: ProcessName, signal?: NodeJS.Signals): Promise<number | string | null>;
  process(name: ProcessName): ChildProcess | undefined;
  logOf(name: ProcessName): string;
  /** Stops everything and removes this stack's queue keys from Redis. */
  stopAll(): Promise<void>;
}

export async function migrate(databaseUrl: string): Promise<string> {
  return runToEnd(ENTRY_POINTS.migrate, [], { DATABASE_URL: databaseUrl });
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const scenario = options.scenario ?? readScenarioFacts();
  mkdirSync(options.logDir, { recursive: true });
  const [fakePort, apiPort] = [await freePort(), await freePort()];
  const healthPorts: Record<(typeof WORKERS)[number], number> = {
    'repo-sync': await freePort(),
    'iam-sync': await freePort(),
    'checks-evaluator': await freePort(),
  };
  const fakeUrl = `http://127.0.0.1:${fakePort}`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const adminToken = randomBytes(24).toString('base64url');
  const queuePrefix = `{cce-demo-${randomBytes(4).toString('hex')}}`;
  const procs = new Map<ProcessName, ChildProcess>();
  /** Processes being stopped on purpose: their exit is no news. */
  const stopRequested = new Set<ChildProcess>();
  let stopping = false;

  const common: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: queuePrefix,
    AWS_ENDPOINT_URL: fakeUrl,
    AWS_ACCESS_KEY_ID: scenario.platform.accessKeyId,
    AWS_SECRET_ACCESS_KEY: scenario.platform.secretAccessKey,
    AWS_REGION: scenario.region,
    LOG_LEVEL: 'info',
    SHUTDOWN_TIMEOUT_MS: '20000',
    ...options.env,
  };
  const argvOf = (name: ProcessName): string[] =>
    name === 'fake-aws'
      ? [
          ENTRY_POINTS['fake-aws'],
          'serve',
          '--scenario',
          scenario.file,
          '--port',
          String(fakePort),
          '--shift-dates',
          ...(options.fakeAwsArgs ?? []),
        ]
      : [ENTRY_POINTS[name]];
  const envOf = (name: ProcessName): Record<string, string> =>
    name === 'fake-aws'
      ? {}
      : name === 'connector-api'
        ? {
            ...common,
            PORT: String(apiPort),
            HOST: '127.0.0.1',
            ADMIN_TOKEN: adminToken,
            PLATFORM_AWS_ACCOUNT_ID: scenario.platformAccountId,
          }
        : { ...common, HEALTH_HOST: '127.0.0.1', HEALTH_PORT: String(healthPorts[name]) };
  const logOf = (name: ProcessName) => path.join(options.logDir, `${name}.log`);

  const stack: Stack = {
    fakeUrl,
    apiUrl,
    healthUrls: {
      'repo-sync': `http://127.0.0.1:${healthPorts['repo-sync']}`,
      'iam-sync': `http://127.0.0.1:${healthPorts['iam-sync']}`,
      'checks-evaluator': `http://127.0.0.1:${healthPorts['checks-evaluator']}`,
    },
    adminToken,
    queuePrefix,
    scenario,
    logDir: options.logDir,
    logOf,
    process: (name) => procs.get(name),
    async start(name) {
      const logStart = sizeOf(logOf(name));
      const out = openSync(logOf(name), 'a');
      const proc = spawn(process.execPath, argvOf(name), {
        cwd: repoRoot,
        env: { ...process.env, ...envOf(name) },
        stdio: ['ignore', out, out],
      });
      procs.set(name, proc);
      proc.on('exit', (code, signal) => {
        if (
          !stopping &&
          procs.get(name) === proc &&
          code !== 0 &&
          signal !== 'SIGTERM' &&
          signal !== 'SIGKILL'
        ) {
          process.stderr.write(`${name} exited unexpectedly (${signal ?? code}); see ${logOf(name)}\n`);
        }
      });
      if (name === 'fake-aws') await waitForHttp(`${fakeUrl}/_fake/health`, proc, logOf(name));
      else if (name === 'connector-api') await waitForHttp(`${apiUrl}/readyz`, proc, logOf(name));
      else await waitForLog(logOf(name), logStart, /started/, proc);
      return proc;
    },
    async stop(name, signal = 'SIGTERM') {
      const proc = procs.get(name);
      if (!proc || proc.exitCode !== null || proc.signalCode !== null)
        return proc?.exitCode ?? proc?.signalCode ?? null;
      stopRequested.add(proc);
      return new Promise((resolve) => {
        const kill = setTimeout(() => proc.kill('SIGKILL'), 30_000);
        proc.once('exit', (code, sig) => {
          clearTimeout(kill);
          resolve(code ?? sig);
        });
        proc.kill(signal);
      });
    },
    async stopAll() {
      stopping = true;
      await Promise.all([...procs.keys()].map((n) => stack.stop(n)));
      await deleteQueueKeys(options.redisUrl, queuePrefix).catch(() => {});
    },
  };
  try {
    await stack.start('fake-aws');
    await stack.start('connector-api');
    for (const w of WORKERS) await stack.start(w);
  } catch (err) {
    await stack.stopAll();
    throw err;
  }
  return stack;
}

async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  try {
    await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

function runToEnd(entry: string, argv: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [entry, ...argv], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (d) => {
      output += d;
    });
    proc.stderr.on('data', (d) => {
      output += d;
    });
    proc.on('exit', (code) =>
      code === 0 ? resolve(output.trim()) : reject(new Error(`${entry} failed (exit ${code}):\n${output}`)),
    );
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export function tcpReachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(2000, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

// Start-up bounds are generous: a cold `tsx`/`node` start on a loaded 2-core machine can take tens of seconds.
async function waitForHttp(url: string, proc: ChildProcess, log: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {}
    if (proc.exitCode !== null)
      throw new Error(`process exited during start-up (${proc.exitCode}); see ${log}`);
    if (Date.now() > until) throw new Error(`not ready at ${url} after ${timeoutMs} ms; see ${log}`);
    await sleep(150);
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Waits for `pattern` in what the process wrote to its log after `from` (restarts append). */
async function waitForLog(
  log: string,
  from: number,
  pattern: RegExp,
  proc: ChildProcess,
  timeoutMs = 120_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let text = '';
    try {
      text = readFileSync(log).subarray(from).toString('utf8');
    } catch {}
    if (pattern.test(text)) return;
    if (proc.exitCode !== null)
      throw new Error(`process exited during start-up (${proc.exitCode}); see ${log}`);
    if (Date.now() > until) throw new Error(`no start-up line in ${log} after ${timeoutMs} ms`);
    await sleep(150);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
