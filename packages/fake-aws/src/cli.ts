#!/usr/bin/env node
import { realpathSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseFaultSpec } from './faults.js';
import { generateScenario } from './scenario/generate.js';
import { ScenarioValidationError } from './scenario/load.js';
import { type ServiceName, startFakeAws } from './server.js';

const MAIN_HELP = `Usage: fake-aws <command> [options]

An AWS emulator (STS, IAM, CodeCommit) for the unchanged AWS SDK v3 clients.

Commands:
  serve      serve a scenario over HTTP
  generate   write a large synthetic scenario

Run "fake-aws <command> --help" for the options of a command.`;

const SERVE_HELP = `Usage: fake-aws serve --scenario FILE [options]

Options:
  --scenario FILE                  scenario JSON file (required)
  --port N                         port to listen on, 0 for a free one (default 4566)
  --host HOST                      interface to bind (default 127.0.0.1)
  --latency-ms N                   added to every AWS response (default 0)
  --rate SERVICE=RPS[,…]           requests per second per account and region, for
                                   codecommit, iam and sts (default unlimited)
  --fault-rate P                   probability 0..1 of a 5xx answer (default 0)
  --fault OPERATION=KIND[,key=value…]
                                   answer one operation badly (repeatable); KIND is
                                   server-error, throttle (never clears), access-denied,
                                   truncated (half the body), wrong-type, oversized or nul;
                                   keys: resource=NAME (only requests or list elements
                                   naming it), member=PATH (dot path, * for every element),
                                   value=JSON (wrong-type), size=N (oversized, default
                                   2000000), times=N (then the fault clears)
  --credential-report-delay-ms N   time GenerateCredentialReport takes (default 2000)
  --shift-dates                    move the scenario's dates so referenceDate is now
  --any-key-is-platform            answer unknown non-session access keys as the platform
                                   identity (for tools that sign with their own keys)
  -h, --help                       show this help

Point the SDK at it with AWS_ENDPOINT_URL=<printed url>. Control plane: GET /_fake/stats,
POST /_fake/stats/reset, GET|PUT|PATCH /_fake/scenario, GET|PATCH /_fake/options,
GET|PUT|POST|DELETE /_fake/faults.

Example: --fault codecommit:ListRepositories=wrong-type,member=repositories,value='"none"'`;

const GENERATE_HELP = `Usage: fake-aws generate --repos N --prs-per-repo M --users U [options]

Options:
  --repos N                repositories (required)
  --prs-per-repo M         pull requests per repository (required)
  --users U                IAM users (required)
  --seed S                 PRNG seed; the same arguments give the same file (default 1)
  --groups G               extra groups besides Admins, Developers, ReadOnly (default 0)
  --branches-per-repo B    branches besides main (default 3)
  --region REGION          region of the repositories (default us-east-1)
  --out FILE               write there instead of stdout
  -h, --help               show this help`;

class UsageError extends Error {}

/**
 * Paths are relative to where the user typed the command: `pnpm fake-aws …` runs the script in the
 * package directory but records the original directory in INIT_CWD.
 */
function userPath(path: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), path);
}

function integer(name: string, raw: string | undefined, min: number, required = true): number | undefined {
  if (raw === undefined) {
    if (required) throw new UsageError(`--${name} is required`);
    return undefined;
  }
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return n;
}

function parseRates(raw: string): Partial<Record<ServiceName, number>> {
  const rates: Partial<Record<ServiceName, number>> = {};
  for (const part of raw.split(',')) {
    const [service, value] = part.split('=');
    if (service !== 'codecommit' && service !== 'iam' && service !== 'sts') {
      throw new UsageError(`--rate: unknown service "${service}" (expected codecommit, iam or sts)`);
    }
    const n = Number(value);
    if (value === undefined || !(n > 0) || !Number.isFinite(n)) {
      throw new UsageError(
        `--rate: ${service} needs a positive number of requests per second, got "${value ?? ''}"`,
      );
    }
    rates[service] = n;
  }
  return rates;
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

function parse(
  args: string[],
  options: OptionSpec,
): { values: Record<string, string | boolean | string[] | undefined> } {
  try {
    const { values } = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    return { values: values as Record<string, string | boolean | string[] | undefined> };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function serve(args: string[]): Promise<void> {
  const { values } = parse(args, {
    scenario: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'latency-ms': { type: 'string' },
    rate: { type: 'string' },
    'fault-rate': { type: 'string' },
    fault: { type: 'string', multiple: true },
    'credential-report-delay-ms': { type: 'string' },
    'shift-dates': { type: 'boolean' },
    'any-key-is-platform': { type: 'boolean' },
  });
  if (values.help) {
    console.log(SERVE_HELP);
    return;
  }
  const scenario = values.scenario as string | undefined;
  if (!scenario) throw new UsageError('--scenario FILE is required');
  const port = integer('port', values.port as string | undefined, 0, false) ?? 4566;
  if (port > 65535) throw new UsageError(`--port must be <= 65535, got ${port}`);
  const faultRaw = values['fault-rate'] as string | undefined;
  const faultRate = faultRaw === undefined ? 0 : Number(faultRaw);
  if (!(faultRate >= 0 && faultRate <= 1))
    throw new UsageError(`--fault-rate must be between 0 and 1, got "${faultRaw}"`);
  const faults = ((values.fault as string[] | undefined) ?? []).map((spec) => {
    try {
      return parseFaultSpec(spec);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  });
  const fake = await startFakeAws({
    scenario: userPath(scenario),
    port,
    host: (values.host as string | undefined) ?? '127.0.0.1',
    latencyMs: integer('latency-ms', values['latency-ms'] as string | undefined, 0, false) ?? 0,
    rates: values.rate ? parseRates(values.rate as string) : {},
    faultRate,
    faults,
    credentialReportDelayMs:
      integer(
        'credential-report-delay-ms',
        values['credential-report-delay-ms'] as string | undefined,
        0,
        false,
      ) ?? 2000,
    shiftDates: values['shift-dates'] === true,
    anyKeyIsPlatform: values['any-key-is-platform'] === true,
    logger: { info: (m) => console.log(m), error: (m) => console.error(m) },
  });
  const s = fake.scenario();
  console.log(`  customer account ${s.account.accountId}, platform account ${s.platform.accountId}`);
  console.log(
    `  platform credentials: ${fake.platformCredentials.accessKeyId} / ${fake.platformCredentials.secretAccessKey}`,
  );
  console.log(
    `  admin credentials:    ${fake.adminCredentials.accessKeyId} / ${fake.adminCredentials.secretAccessKey}`,
  );
  const stop = () => {
    fake.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function generate(args: string[]): void {
  const { values } = parse(args, {
    repos: { type: 'string' },
    'prs-per-repo': { type: 'string' },
    users: { type: 'string' },
    seed: { type: 'string' },
    groups: { type: 'string' },
    'branches-per-repo': { type: 'string' },
    region: { type: 'string' },
    out: { type: 'string' },
  });
  if (values.help) {
    console.log(GENERATE_HELP);
    return;
  }
  const region = values.region as string | undefined;
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    throw new UsageError(`--region: not a region name "${region}"`);
  const scenario = generateScenario({
    repos: integer('repos', values.repos as string | undefined, 0)!,
    prsPerRepo: integer('prs-per-repo', values['prs-per-repo'] as string | undefined, 0)!,
    users: integer('users', values.users as string | undefined, 0)!,
    seed: integer('seed', values.seed as string | undefined, 0, false) ?? 1,
    groups: integer('groups', values.groups as string | undefined, 0, false) ?? 0,
    branchesPerRepo:
      integer('branches-per-repo', values['branches-per-repo'] as string | undefined, 0, false) ?? 3,
    ...(region ? { region } : {}),
  });
  const json = JSON.stringify(scenario);
  if (values.out) {
    writeFileSync(userPath(values.out as string), json);
    console.error(`wrote ${values.out} (${(json.length / 1e6).toFixed(1)} MB)`);
  } else {
    process.stdout.write(`${json}\n`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      console.log(MAIN_HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === 'serve') await serve(rest);
    else if (command === 'generate') generate(rest);
    else throw new UsageError(`unknown command "${command}"`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(
        `fake-aws: ${error.message}\nRun "fake-aws ${command === 'serve' || command === 'generate' ? `${command} ` : ''}--help" for usage.`,
      );
      return 2;
    }
    if (error instanceof ScenarioValidationError) {
      console.error(`fake-aws: ${error.message}`);
      return 2;
    }
    if (error instanceof z.ZodError) {
      console.error(`fake-aws: --fault: ${z.prettifyError(error)}`);
      return 2;
    }
    console.error(`fake-aws: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}

/** Runs the CLI and sets the exit code; a running server keeps the process alive. */
export async function run(argv: string[]): Promise<void> {
  const code = await main(argv);
  if (code !== 0) process.exitCode = code;
}

// Executed directly (`node dist/cli.js`, `tsx src/cli.ts`) rather than imported.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  await run(process.argv.slice(2));
}
