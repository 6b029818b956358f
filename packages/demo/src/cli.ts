/**
 * `pnpm demo`: the whole product on this machine, as a newcomer drives it. Applies migrations, starts
 * fake-aws with scenarios/demo.json, starts the API and the three workers as separate processes (the
 * real queue path), then through the HTTP API: creates a tenant and a connection, plays the customer
 * by creating the role from the setup kit in the fake account, connects it, uploads the roster,
 * follows the sync, and prints each check's result with its failing findings and the fix.
 *
 *   pnpm demo              run, print, stop everything it started
 *   pnpm demo --keep       leave everything running (Ctrl-C stops it)
 *   pnpm demo --json FILE  also write the results as JSON (the end-to-end test reads it)
 *
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/codecommit_evidence_demo, created if missing,
 * kept apart from the product's own database) and REDIS_URL
 * (default redis://127.0.0.1:6379) say where Postgres and Redis run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiError,
  apiClient,
  createRoleFromSetupKit,
  createTenantAndConnection,
  findingKey,
  followSyncRun,
  listFindings,
  waitForCheckRun,
} from './journey.js';
import { migrate, readStoryRoster, repoRoot, type Stack, startStack, tcpReachable } from './stack.js';

// The SDK warns on Node < 22 that releases after January 2027 will need Node 22. The containers run
// Node 22; on a Node 20 development machine the warning would only clutter the demo's story.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const say = (line = '') => process.stdout.write(`${line}\n`);
const step = (line: string) => say(`\n▸ ${line}`);

interface Args {
  keep: boolean;
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      say(
        readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .split('*/')[0]!
          .replace(/^\/\*\*\n?|^ \* ?/gm, ''),
      );
      process.exit(0);
    } else if (a === '--keep') args.keep = true;
    else if (a === '--json') {
      const file = argv[++i];
      if (!file) usage('--json needs a file name');
      args.json = path.resolve(process.env.INIT_CWD ?? process.cwd(), file!);
    } else usage(`unknown argument: ${a}`);
  }
  return args;
}

function usage(message: string): never {
  process.stderr.write(`demo: ${message}\nusage: pnpm demo [--keep] [--json FILE]   (--help for more)\n`);
  process.exit(2);
}

async function ensureService(
  label: string,
  url: string,
  variable: string,
  defaultPort: number,
  howToStart: string,
): Promise<void> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${variable} is not a valid URL`);
  }
  const port = Number(u.port || defaultPort);
  if (await tcpReachable(u.hostname, port)) return;
  throw new Error(
    `${label} is not reachable at ${u.hostname}:${port} (${variable}).\n` +
      `Start it, then run \`pnpm demo\` again:\n  natively:    ${howToStart}\n` +
      '  or Docker:   docker compose up -d postgres redis\n' +
      `or set ${variable} to a running server.`,
  );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const databaseUrl =
    process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/codecommit_evidence_demo';
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  say('CodeCommit Evidence — demo');
  await ensureService(
    'PostgreSQL',
    databaseUrl,
    'DATABASE_URL',
    5432,
    'pg_ctlcluster <version> main start   (or: sudo systemctl start postgresql)',
  );
  await ensureService('Redis', redisUrl, 'REDIS_URL', 6379, 'redis-server --daemonize yes');

  step('Applying database migrations');
  for (const line of (await migrate(databaseUrl)).split('\n')) say(`  ${line}`);

  step('Starting fake AWS (scenarios/demo.json), the API and three workers as separate processes');
  const logDir = path.join(tmpdir(), `cce-demo-${Date.now()}`);
  const stack = await startStack({ databaseUrl, redisUrl, logDir });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stack.stopAll();
  };
  // Ctrl-C is how `--keep` ends: stop everything and leave quietly.
  process.once('SIGINT', () => {
    say('\nStopping everything the demo started…');
    void stop().then(() => {
      say('Stopped.');
      process.exit(0);
    });
  });
  try {
    await walkThrough(stack, args);
    if (args.keep) {
      say('\n--keep: everything stays up. Press Ctrl-C to stop it.');
      await new Promise(() => {});
    }
  } finally {
    await stop();
  }
}

async function walkThrough(stack: Stack, args: Args): Promise<void> {
  say(`  fake AWS  ${stack.fakeUrl}`);
  say(`  API       ${stack.apiUrl}`);
  say(`  logs      ${stack.logDir}`);

  step('Creating a tenant (with the admin token) and a connection');
  const created = await createTenantAndConnection(stack.apiUrl, stack.adminToken, {
    tenant: 'Acme Corp (demo)',
    connection: 'acme-prod',
  });
  const api = apiClient(stack.apiUrl, created.apiKey);
  const id = created.connectionId;
  say(`  tenant API key: ${created.apiKey}   (shown once; stored hashed)`);
  say(`  connection ${id}: pending`);
  say(`  External ID: ${created.externalId}`);
  say(
    `  setup kit:   GET ${stack.apiUrl}/v1/connections/${id}/setup-kit   (trust policy, permissions policy, CloudFormation)`,
  );

  step('Playing the customer: creating the role from the setup kit in the fake AWS account');
  const roleArn = await createRoleFromSetupKit(
    stack.fakeUrl,
    stack.scenario.admin,
    stack.scenario.region,
    created.setupKit,
  );
  say(`  created ${roleArn} (trust: our account + the External ID; permissions: the kit's read-only policy)`);

  step(`Connecting it (region ${stack.scenario.region})`);
  const connected = await api('POST', `/v1/connections/${id}/connect`, {
    roleArn,
    region: stack.scenario.region,
  });
  const connection = connected.connection ?? connected;
  say(`  status: ${connection.status}`);
  for (const w of connected.warnings ?? connection.warnings ?? []) say(`  warning: ${w.code}: ${w.message}`);

  const roster = await readStoryRoster(stack);
  step(`Uploading the roster (${roster.people.length} people)`);
  const rosterAt = new Date();
  await api('PUT', '/v1/people', roster);

  // Connect already started the first sync; asking for one now returns that run instead of a second
  // (or, if it already finished, the API refuses a new one so soon: sync_too_soon, and we follow it).
  step('Asking for a sync and following its progress');
  const started = await api('POST', `/v1/connections/${id}/syncs`, {}).catch((err: unknown) => {
    if (err instanceof ApiError && err.code === 'sync_too_soon')
      return { syncRun: { id: connected.syncRunId } };
    throw err;
  });
  const runId = Number((started.syncRun ?? started).id);
  const run = await followSyncRun(api, id, runId, (line) => say(`  ${line}`));
  const calls = Object.values(run.awsCalls ?? {}).reduce<number>(
    (n, v) => n + (typeof v === 'number' ? v : v.calls),
    0,
  );
  say(`  ${calls} AWS calls, ${(run.problems ?? []).length} problem(s) recorded`);

  const { checkRun, checks } = await waitForCheckRun(api, id, runId, rosterAt);
  step(`Results (check run ${checkRun.id})`);
  const results: Record<string, { status: string; findings: Record<string, string> }> = {};
  for (const check of checks) {
    const counts = Object.entries(check.counts ?? {})
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${s}`)
      .join(', ');
    say(`\n  ${badge(check.status)}  ${check.id}: ${check.title}${counts ? ` (${counts})` : ''}`);
    const findings = await listFindings(api, id, check.id, checkRun.id);
    results[check.id] = {
      status: check.status,
      findings: Object.fromEntries(findings.map((f) => [findingKey(f), f.status])),
    };
    for (const f of findings.filter((x) => x.status === 'fail' || x.status === 'unknown')) {
      say(`     ${f.status === 'fail' ? '✗' : '?'} ${f.resourceName}: ${f.reason}`);
    }
    if (check.status === 'fail' && check.howToFix) {
      say('     how to fix:');
      for (const line of check.howToFix.split('\n')) say(`       ${line}`);
    }
  }
  if (args.json)
    writeFileSync(
      args.json,
      `${JSON.stringify({ checkRunId: checkRun.id, syncRunId: runId, checks: results }, null, 2)}\n`,
    );

  step('Where to look next');
  say(`  API:            ${stack.apiUrl}   (Authorization: Bearer <the tenant API key above>)`);
  say(`  OpenAPI:        ${stack.apiUrl}/docs`);
  say(`  findings:       GET /v1/connections/${id}/checks/<check id>`);
  say(`  export:         GET /v1/connections/${id}/exports/check-results.csv`);
  say(`  access review:  GET /v1/connections/${id}/exports/access-review.csv`);
  if (!args.keep) say('  (run `pnpm demo --keep` to keep everything running and explore)');
}

function badge(status: string): string {
  return (
    { pass: 'PASS', fail: 'FAIL', unknown: 'UNKNOWN', not_applicable: 'N/A' }[status] ?? status.toUpperCase()
  );
}

main().then(
  () => {
    say('\nDemo finished; everything it started has been stopped.');
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
