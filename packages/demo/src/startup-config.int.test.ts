import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ENTRY_POINTS, repoRoot } from './stack.js';

/**
 * Every process stops at start, with a message naming the variable, when DATABASE_URL or REDIS_URL is
 * malformed or points at nothing — instead of starting and failing later, or retrying forever.
 */
const APPS = ['connector-api', 'repo-sync', 'iam-sync', 'checks-evaluator'] as const;
const unreachablePostgres = 'postgres://postgres@127.0.0.1:1/nothing';
const unreachableRedis = 'redis://127.0.0.1:1';

describe.each(APPS)('%s at start-up', (app) => {
  const entry = path.join(repoRoot, ENTRY_POINTS[app]);
  const base = () => ({
    DATABASE_URL: inject('databaseAdminUrl'),
    REDIS_URL: inject('redisUrl'),
    ADMIN_TOKEN: 'a-long-enough-admin-token',
    PLATFORM_AWS_ACCOUNT_ID: '444455556666',
    PORT: '0',
    LOG_LEVEL: 'info',
  });

  it.each([
    ['a malformed DATABASE_URL', { DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    ['an unreachable DATABASE_URL', { DATABASE_URL: unreachablePostgres }, 'DATABASE_URL'],
    ['a malformed REDIS_URL', { REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL'],
    ['an unreachable REDIS_URL', { REDIS_URL: unreachableRedis }, 'REDIS_URL'],
  ])('stops with %s, naming it', async (_label, override, variable) => {
    expect(existsSync(entry), `${entry} is missing: run \`pnpm build\` first`).toBe(true);
    const { code, output } = await run(entry, { ...base(), ...override });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toContain(variable);
  });
});

function run(entry: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [entry], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    p.stdout.on('data', (d) => {
      output += d;
    });
    p.stderr.on('data', (d) => {
      output += d;
    });
    // A process that does not stop by itself within the bound has failed the test.
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${entry} did not stop within 100 s:\n${output}`));
    }, 100_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
