import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { clockEnv, useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import { describe, expect, it } from 'vitest';

const appDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs `src/index.ts` as production runs `dist/index.js` (sources through tsx), until `until` is printed or it exits. */
function run(env: Record<string, string>, until?: RegExp): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/index.ts'], {
      cwd: appDir,
      env: { PATH: process.env.PATH ?? '', HEALTH_PORT: '0', ...clockEnv(), ...env }, // any free port: runs in parallel
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let signalled = false;
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      // One SIGTERM only: a second one would meet no handler and kill the process outright.
      if (!signalled && until?.test(output)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(kill);
      resolve({ code, output });
    });
  });
}

describe('checks-evaluator process', () => {
  const t = useTestDatabase();
  const r = useTestRedis();

  it('refuses to start on a bad variable, naming it and not its value', async () => {
    const res = await run({
      DATABASE_URL: 'mysql://user:s3cret@db/x',
      REDIS_URL: 'redis://127.0.0.1:6379',
      CHECKS_CONCURRENCY: '0',
    });
    expect(res.code).toBe(78);
    expect(res.output).toContain('DATABASE_URL');
    expect(res.output).toContain('CHECKS_CONCURRENCY');
    expect(res.output).not.toContain('s3cret');
  });

  it('stops at start when Postgres cannot be reached, naming DATABASE_URL', async () => {
    const res = await run({
      DATABASE_URL: 'postgres://postgres:pw@127.0.0.1:1/none',
      REDIS_URL: r.current.url,
      QUEUE_PREFIX: r.current.prefix,
    });
    expect(res.code).toBe(1);
    expect(res.output).toContain('DATABASE_URL: cannot reach Postgres');
    expect(res.output).not.toContain(':pw@');
  });

  it('starts the worker and shuts down in order on SIGTERM (exit 128+15)', async () => {
    const res = await run(
      {
        DATABASE_URL: t.current.url,
        REDIS_URL: r.current.url,
        QUEUE_PREFIX: r.current.prefix,
        SHUTDOWN_TIMEOUT_MS: '5000',
      },
      /checks-evaluator worker started/,
    );
    expect(res.output, `${res.code}: ${res.output}`).toContain('shutdown complete');
    expect(res.code).toBe(143);
  });
});
