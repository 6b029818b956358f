/**
 * The entry point as a process: bad config and unreachable services stop it at start with a message
 * naming the variable; a good config serves, and SIGTERM shuts it down in order with exit 143.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { clockEnv, useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import { describe, expect, it } from 'vitest';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const database = useTestDatabase();
const redis = useTestRedis();

function start(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/index.ts'], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1', ...clockEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    out += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

const base = () => ({
  ADMIN_TOKEN: 'a-long-enough-admin-token',
  PLATFORM_AWS_ACCOUNT_ID: '444455556666',
  DATABASE_URL: database.current.url,
  REDIS_URL: redis.current.url,
  QUEUE_PREFIX: redis.current.prefix,
  PORT: '0',
  HOST: '127.0.0.1',
});

describe('connector-api process', () => {
  it('refuses a bad config naming the variables', async () => {
    const p = start({ ...base(), ADMIN_TOKEN: 'short', PLATFORM_AWS_ACCOUNT_ID: 'x' });
    expect(await p.exited).toBe(78);
    expect(p.output()).toContain('ADMIN_TOKEN');
    expect(p.output()).toContain('PLATFORM_AWS_ACCOUNT_ID');
  });

  it('stops at start when Postgres is unreachable, naming DATABASE_URL', async () => {
    const p = start({ ...base(), DATABASE_URL: 'postgres://postgres:s3cret@127.0.0.1:1/none' });
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('DATABASE_URL');
    expect(p.output()).not.toContain('s3cret');
  });

  it('stops at start when Redis is unreachable, naming REDIS_URL', async () => {
    const p = start({ ...base(), REDIS_URL: 'redis://127.0.0.1:1' });
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('REDIS_URL');
  });

  it('serves and shuts down on SIGTERM', async () => {
    const p = start(base());
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(p.output());
        if (m?.[1]) {
          clearInterval(timer);
          resolve(m[1]);
        }
      }, 50);
      void p.exited.then(() => {
        clearInterval(timer);
        reject(new Error(`exited early: ${p.output()}`));
      });
    });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(143);
    expect(p.output()).toContain('shutdown complete');
  });
});
