/**
 * What the deployment tests (Compose, Kubernetes) compare the manifests with: the apps' config
 * schemas, the Dockerfile's targets and their commands, the package entry points.
 */
import { type ExecFileSyncOptions, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ChecksEvaluatorEnv } from '@codecommit-evidence/checks-evaluator/config';
import { ConnectorApiEnv } from '@codecommit-evidence/connector-api/config';
import { IamSyncEnv } from '@codecommit-evidence/iam-sync/config';
import { QUEUES, type QueueName } from '@codecommit-evidence/queues';
import { RepoSyncEnv } from '@codecommit-evidence/repo-sync/config';
import type { z } from 'zod';
import { repoRoot } from './stack.js';

/** Read by the AWS SDK's default chains rather than by our config schemas. */
export const SDK_VARIABLES = new Set([
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_ENDPOINT_URL',
]);

export interface AppFacts {
  schema: z.ZodObject;
  folder: string;
  /** The queue a worker consumes (the catalog's name); none for the API. */
  queue?: QueueName;
}

export const APPS: Record<string, AppFacts> = {
  'connector-api': { schema: ConnectorApiEnv as unknown as z.ZodObject, folder: 'apps/connector-api' },
  'repo-sync': {
    schema: RepoSyncEnv as unknown as z.ZodObject,
    folder: 'apps/repo-sync',
    queue: QUEUES.repoSync,
  },
  'iam-sync': {
    schema: IamSyncEnv as unknown as z.ZodObject,
    folder: 'apps/iam-sync',
    queue: QUEUES.iamSync,
  },
  'checks-evaluator': {
    schema: ChecksEvaluatorEnv as unknown as z.ZodObject,
    folder: 'apps/checks-evaluator',
    queue: QUEUES.checks,
  },
};
export const WORKER_APPS = Object.keys(APPS).filter((a) => APPS[a]!.queue !== undefined);

export function requiredKeys(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape)
    .filter(([, s]) => !(s as z.ZodType).safeParse(undefined).success)
    .map(([k]) => k);
}

/** The value a schema gives a variable nobody sets. */
export function defaultOf(schema: z.ZodObject, key: string): unknown {
  return (schema.shape[key] as z.ZodType).parse(undefined);
}

/** Stand-ins for values that only an operator has (secrets, the platform account). */
export const SAMPLE_SECRETS: Record<string, string> = {
  ADMIN_TOKEN: 'x'.repeat(32),
  PLATFORM_AWS_ACCOUNT_ID: '444455556666',
  DATABASE_URL: 'postgres://cce:pw@db.example.internal:5432/codecommit_evidence',
  REDIS_URL: 'rediss://:pw@redis.example.internal:6379',
};

export function readRepoFile(relative: string): string {
  return readFileSync(path.join(repoRoot, relative), 'utf8');
}

export function packageJson(folder: string): {
  name: string;
  bin?: Record<string, string>;
  scripts?: Record<string, string>;
  files?: string[];
  dependencies?: Record<string, string>;
  packageManager?: string;
} {
  return JSON.parse(readRepoFile(path.join(folder, 'package.json')));
}

export interface DockerTarget {
  name: string;
  from: string;
  /** The exec-form CMD of the stage, if it has one. */
  cmd?: string[];
  lines: string[];
}

/** The Dockerfile's stages by name (`FROM … AS name`), with each one's exec-form CMD. */
export function dockerfileTargets(text = readRepoFile('Dockerfile')): Map<string, DockerTarget> {
  const targets = new Map<string, DockerTarget>();
  let current: DockerTarget | undefined;
  for (const line of text.split('\n')) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      current = { name: from[2] ?? '', from: from[1]!, lines: [] };
      if (from[2]) targets.set(from[2], current);
      continue;
    }
    if (!current) continue;
    current.lines.push(line);
    const cmd = /^CMD\s+(\[.*\])\s*$/.exec(line);
    if (cmd) current.cmd = JSON.parse(cmd[1]!);
  }
  return targets;
}

/** The workspace folder of a Dockerfile `APP` build argument. */
export function workspaceFolderOf(app: string): string {
  for (const dir of ['apps', 'packages']) {
    try {
      packageJson(path.join(dir, app));
      return path.join(dir, app);
    } catch {}
  }
  throw new Error(`APP=${app} is no workspace folder`);
}

/** Workspace packages an app depends on at run time, transitively (what `pnpm deploy --prod` ships). */
export function runtimeWorkspaceDeps(folder: string, seen = new Set<string>()): Set<string> {
  for (const [dep, version] of Object.entries(packageJson(folder).dependencies ?? {})) {
    if (!version.startsWith('workspace:')) continue;
    const depFolder = workspaceFolderOf(dep.replace('@codecommit-evidence/', ''));
    if (seen.has(depFolder)) continue;
    seen.add(depFolder);
    runtimeWorkspaceDeps(depFolder, seen);
  }
  return seen;
}

/**
 * Runs a tool the deployment tests need and returns its stdout. A missing tool fails the test with
 * `missing` (what to install), never skips it; a failing one fails with its stderr.
 */
export function runTool(
  cmd: string,
  args: string[],
  missing: string,
  options: Omit<ExecFileSyncOptions, 'encoding' | 'stdio'> = {},
): string {
  try {
    return execFileSync(cmd, args, { ...options, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error(`${cmd} is not installed: ${missing}`);
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${e.stderr ?? e.message}`);
  }
}
