/**
 * `pnpm demo`: the whole product on this machine, as a newcomer would drive it. Applies migrations,
 * starts fake-aws with scenarios/demo.json, starts the API and the three workers as separate
 * processes (the real queue path), then through the HTTP API: creates a tenant and a connection,
 * plays the customer by creating the role from the setup kit in the fake account, connects it,
 * uploads the roster, follows the sync, and prints every check's result with its failing findings.
 *
 *   pnpm demo            run, print, stop everything
 *   pnpm demo --keep     leave the processes running (Ctrl-C stops them)
 *   pnpm demo --json F   also write the check results as JSON to F (used by the end-to-end test)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(
    readFileSync(fileURLToPath(import.meta.url), 'utf8')
      .split('*/')[0]!
      .replace(/^\/\*\*|^ \* ?/gm, ''),
  );
  process.exit(0);
}
const keep = args.includes('--keep');
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const unknown = args.filter((a, i) => !['--keep', '--json'].includes(a) && args[i - 1] !== '--json');
if (unknown.length > 0 || (args.includes('--json') && !jsonOut)) {
  console.error(
    `demo: unknown or incomplete arguments: ${args.join(' ')}\nusage: pnpm demo [--keep] [--json FILE]`,
  );
  process.exit(2);
}

const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/codecommit_evidence';
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const scenarioFile = path.join(root, 'scenarios/demo.json');
const scenario = JSON.parse(readFileSync(scenarioFile, 'utf8'));
const story = {
  platformAccountId: String(scenario.platform?.accountId ?? '444455556666'),
  platform: scenario.platform?.credentials ?? {
    accessKeyId: 'AKIAFAKEPLATFORM0001',
    secretAccessKey: 'fake-platform-secret',
  },
  admin: scenario.account?.adminCredentials ?? {
    accessKeyId: 'AKIAFAKECUSTADMIN001',
    secretAccessKey: 'fake-admin-secret',
  },
  region: 'us-east-1',
};
const roster = JSON.parse(readFileSync(path.join(root, 'scenarios/demo.roster.json'), 'utf8'));

const logDir = path.join(tmpdir(), `cce-demo-${Date.now()}`);
mkdirSync(logDir, { recursive: true });
const children: { name: string; proc: ChildProcess }[] = [];
const say = (line = '') => process.stdout.write(`${line}\n`);
const step = (line: string) => say(`\n▸ ${line}`);

async function main(): Promise<void> {
  say('CodeCommit Evidence demo');
  await checkService('PostgreSQL', DATABASE_URL, 5432, 'DATABASE_URL');
  await checkService('Redis', REDIS_URL, 6379, 'REDIS_URL');

  step('Applying database migrations');
  await runToEnd('migrate', ['packages/evidence-store/bin/cce-migrate.js'], { DATABASE_URL });

  const [fakePort, apiPort] = [await freePort(), await freePort()];
  const fakeUrl = `http://127.0.0.1:${fakePort}`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const adminToken = randomBytes(24).toString('base64url');
  const prefix = `{cce-demo-${randomBytes(4).toString('hex')}}`;

  step(`Starting fake AWS with scenarios/demo.json on ${fakeUrl}`);
  start(
    'fake-aws',
    [
      'packages/fake-aws/bin/fake-aws.js',
      'serve',
      '--scenario',
      scenarioFile,
      '--port',
      String(fakePort),
      '--shift-dates',
    ],
    {},
  );
  await waitForHttp(`${fakeUrl}/_fake/stats`, 'fake-aws');

  const common = {
    DATABASE_URL,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    AWS_ENDPOINT_URL: fakeUrl,
    AWS_ACCESS_KEY_ID: story.platform.accessKeyId,
    AWS_SECRET_ACCESS_KEY: story.platform.secretAccessKey,
    AWS_REGION: story.region,
    LOG_LEVEL: 'info',
  };
  step('Starting the API and the three workers (separate processes)');
  start('connector-api', ['apps/connector-api/dist/index.js'], {
    ...common,
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    ADMIN_TOKEN: adminToken,
    PLATFORM_AWS_ACCOUNT_ID: story.platformAccountId,
  });
  start('repo-sync', ['apps/repo-sync/dist/index.js'], common);
  start('iam-sync', ['apps/iam-sync/dist/index.js'], common);
  start('checks-evaluator', ['apps/checks-evaluator/dist/index.js'], common);
  await waitForHttp(`${apiUrl}/readyz`, 'connector-api');
  say(`  logs: ${logDir}`);

  const api = client(apiUrl);
  step('Creating a tenant (admin token) and a connection');
  const created = await api('POST', '/v1/tenants', { name: 'Acme Corp (demo)' }, adminToken);
  const key = created.apiKey as string;
  const conn = await api('POST', '/v1/connections', { name: 'acme-prod us-east-1' }, key);
  const connection = conn.connection ?? conn;
  const kit =
    conn.setupKit ??
    connection.setupKit ??
    (await api('GET', `/v1/connections/${connection.id}/setup-kit`, undefined, key));
  say(`  connection ${connection.id}, status ${connection.status}`);
  say(`  External ID: ${connection.externalId}`);
  say(
    `  setup kit: GET ${apiUrl}/v1/connections/${connection.id}/setup-kit (trust policy, permissions policy, CloudFormation)`,
  );

  step('Playing the customer: creating the role from the setup kit in the fake account');
  const iam = new IAMClient({ region: story.region, endpoint: fakeUrl, credentials: story.admin });
  const roleName = 'codecommit-evidence-reader';
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify(kit.trustPolicy),
      Description: 'Read-only access for CodeCommit Evidence',
    }),
  );
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: 'codecommit-evidence',
      PolicyDocument: JSON.stringify(kit.permissionsPolicy),
    }),
  );
  void AttachRolePolicyCommand; // the managed-policy alternative is described in the kit; the demo uses the least-privilege one
  const roleArn = role.Role!.Arn!;
  say(`  created ${roleArn}`);

  step(`Connecting ${roleArn} in ${story.region}`);
  const connected = await api(
    'POST',
    `/v1/connections/${connection.id}/connect`,
    { roleArn: ` ${roleArn} `, region: story.region },
    key,
  );
  say(`  status: ${(connected.connection ?? connected).status}`);
  for (const w of connected.warnings ?? (connected.connection ?? {}).warnings ?? [])
    say(`  warning: ${w.code ?? ''} ${w.message ?? JSON.stringify(w)}`);

  step(`Uploading the roster (${roster.people.length} people)`);
  const rosterAt = new Date();
  await api('PUT', '/v1/people', roster, key);

  step('Starting a sync and following it');
  const started = await api('POST', `/v1/connections/${connection.id}/syncs`, {}, key);
  const runId = (started.syncRun ?? started).id;
  let last = '';
  const deadline = Date.now() + 180_000;
  for (;;) {
    const run = await api('GET', `/v1/connections/${connection.id}/syncs/${runId}`, undefined, key);
    const r = run.syncRun ?? run;
    const steps = Object.entries(r.steps ?? {}) as [string, { status: string }][];
    const done = steps.filter(([, s]) => s.status === 'succeeded').length;
    const line = `  run ${runId}: ${r.status} (${done}/${steps.length} steps done)`;
    if (line !== last) say(line);
    last = line;
    if (['succeeded', 'partial', 'failed'].includes(r.status)) {
      const calls = Object.entries(r.awsCalls ?? {}) as [string, { calls: number } | number][];
      const total = calls.reduce((n, [, v]) => n + (typeof v === 'number' ? v : v.calls), 0);
      say(`  ${total} AWS calls; problems: ${(r.problems ?? []).length}`);
      break;
    }
    if (Date.now() > deadline)
      throw new Error(`sync run ${runId} did not finish within 3 minutes (logs: ${logDir})`);
    await sleep(500);
  }

  // The evaluation that follows the sync judges the roster uploaded above.
  let checks: any;
  for (const until = Date.now() + 60_000; ; ) {
    checks = await api('GET', `/v1/connections/${connection.id}/checks`, undefined, key).catch(
      () => undefined,
    );
    const run = checks?.checkRun;
    if (run && run.syncRunId === runId && new Date(run.evaluatedAt ?? run.evaluated_at) >= rosterAt) break;
    if (Date.now() > until)
      throw new Error(`no check run for sync run ${runId} after a minute (logs: ${logDir})`);
    await sleep(500);
  }

  step('Results');
  const results: Record<string, { status: string; findings: Record<string, string> }> = {};
  for (const check of checks.checks) {
    const counts = Object.entries(check.counts ?? {})
      .filter(([, n]) => (n as number) > 0)
      .map(([s, n]) => `${n} ${s}`)
      .join(', ');
    say(`\n  ${badge(check.status)} ${check.id} — ${check.title}${counts ? ` (${counts})` : ''}`);
    const detail = await api(
      'GET',
      `/v1/connections/${connection.id}/checks/${check.id}?limit=500`,
      undefined,
      key,
    );
    const findings = (detail.findings ?? []) as {
      resourceType: string;
      resourceName: string;
      status: string;
      reason: string;
    }[];
    results[check.id] = {
      status: check.status,
      findings: Object.fromEntries(
        findings.map((f) => [f.resourceType === 'root' ? 'root' : f.resourceName, f.status]),
      ),
    };
    for (const f of findings.filter((x) => x.status === 'fail' || x.status === 'unknown')) {
      say(`      ${f.status.toUpperCase()} ${f.resourceName}: ${f.reason}`);
    }
    if (check.status === 'fail' && check.howToFix)
      say(`      how to fix: ${String(check.howToFix).split('\n')[0]}`);
  }
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ checks: results }, null, 2)}\n`);

  step('Where to look next');
  say(
    `  API:          ${apiUrl}   (Authorization: Bearer ${key.slice(0, 8)}…, printed once above as the tenant's key)`,
  );
  say(`  OpenAPI:      ${apiUrl}/docs`);
  say(`  findings:     GET ${apiUrl}/v1/connections/${connection.id}/checks/<checkId>`);
  say(`  export:       GET ${apiUrl}/v1/connections/${connection.id}/exports/check-results.csv`);
  say(`  access review GET ${apiUrl}/v1/connections/${connection.id}/exports/access-review.csv`);
  if (keep) {
    say(`\n  API key for this tenant: ${key}`);
    say('  --keep: everything stays up; press Ctrl-C to stop.');
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
}

function badge(status: string): string {
  return (
    { pass: 'PASS   ', fail: 'FAIL   ', unknown: 'UNKNOWN', not_applicable: 'N/A    ' }[status] ?? status
  );
}

function client(base: string) {
  return async (method: string, route: string, body?: unknown, token?: string): Promise<any> => {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : {};
    if (!res.ok) {
      const e = parsed.error ?? {};
      throw new Error(`${method} ${route} -> ${res.status} ${e.code ?? ''}: ${e.message ?? text}`);
    }
    return parsed;
  };
}

function start(name: string, argv: string[], env: Record<string, string>): ChildProcess {
  const out = openSync(path.join(logDir, `${name}.log`), 'a');
  const proc = spawn(process.execPath, argv, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', out, out],
  });
  children.push({ name, proc });
  proc.on('exit', (code, signal) => {
    if (!stopping)
      console.error(`demo: ${name} exited (${signal ?? code}); see ${path.join(logDir, `${name}.log`)}`);
  });
  return proc;
}

function runToEnd(name: string, argv: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, argv, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (d) => (output += d));
    proc.stderr.on('data', (d) => (output += d));
    proc.on('exit', (code) => {
      if (code === 0) {
        for (const line of output.trim().split('\n')) if (line) say(`  ${line}`);
        resolve();
      } else reject(new Error(`${name} failed (exit ${code}):\n${output}`));
    });
  });
}

let stopping = false;
async function stopAll(): Promise<void> {
  stopping = true;
  await Promise.all(
    children.map(
      ({ proc }) =>
        new Promise<void>((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
          const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
          proc.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          proc.kill('SIGTERM');
        }),
    ),
  );
}

async function checkService(
  label: string,
  url: string,
  defaultPort: number,
  variable: string,
): Promise<void> {
  let host = '127.0.0.1';
  let port = defaultPort;
  try {
    const u = new URL(url);
    host = u.hostname;
    port = Number(u.port || defaultPort);
  } catch {
    throw new Error(`${variable} is not a valid URL`);
  }
  if (await reachable(host, port)) return;
  throw new Error(
    [
      `${label} is not reachable at ${host}:${port} (${variable}).`,
      'Start it, then run `pnpm demo` again:',
      label === 'PostgreSQL'
        ? '  natively:  pg_ctlcluster <version> main start   (or your OS service manager)'
        : '  natively:  redis-server --daemonize yes',
      '  or:        docker compose up -d postgres redis',
      `or point ${variable} at a running server.`,
    ].join('\n'),
  );
}

function reachable(host: string, port: number): Promise<boolean> {
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitForHttp(url: string, name: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {}
    const child = children.find((c) => c.name === name);
    if (child && child.proc.exitCode !== null)
      throw new Error(`${name} exited during start-up; see ${path.join(logDir, `${name}.log`)}`);
    if (Date.now() > until) throw new Error(`${name} did not become ready at ${url}; see ${logDir}`);
    await sleep(200);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

main()
  .then(async () => {
    await stopAll();
    say(keep ? '\nStopped.' : '\nDemo finished; everything it started is stopped.');
    process.exit(0);
  })
  .catch(async (err: unknown) => {
    console.error(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll();
    process.exit(1);
  });
