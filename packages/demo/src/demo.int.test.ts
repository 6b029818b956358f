import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useTestDatabase } from '@codecommit-evidence/testing';
import { describe, expect, inject, it } from 'vitest';
import { repoRoot } from './stack.js';

/**
 * The README's demo command, across real processes (fake-aws, the API, the three workers) against the
 * test run's Postgres and Redis: the printed results must be exactly what the demo story implies.
 */
describe('pnpm demo', () => {
  const t = useTestDatabase();

  it('connects, syncs and judges the demo account exactly as scenarios/demo.story.md says', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'cce-demo-test-')), 'results.json');
    const { code, stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'packages/demo/src/cli.ts', '--json', out],
      { DATABASE_URL: t.current.url, REDIS_URL: inject('redisUrl') },
    );
    expect(code, `demo failed:\n${stdout}\n${stderr}`).toBe(0);
    const expected = JSON.parse(readFileSync(path.join(repoRoot, 'scenarios/demo.expected.json'), 'utf8'));
    const actual = JSON.parse(readFileSync(out, 'utf8'));
    for (const [checkId, want] of Object.entries<{ status: string; findings: Record<string, string> }>(
      expected.checks,
    )) {
      expect(actual.checks[checkId]?.status, checkId).toBe(want.status);
      expect(actual.checks[checkId]?.findings, checkId).toEqual(want.findings);
    }
    expect(Object.keys(actual.checks).sort()).toEqual(Object.keys(expected.checks).sort());
    // What the user reads: every check, the failing findings with their reasons, where to go next.
    for (const checkId of Object.keys(expected.checks)) expect(stdout).toContain(checkId);
    expect(stdout).toContain('External ID: cce-');
    expect(stdout).toMatch(/carol: .*offboarded/);
    expect(stdout).toContain('/docs');
    expect(stdout).toMatch(/console: +http:\/\/127\.0\.0\.1:\d+\/console\//);
    expect(stdout).toMatch(/sign in once: +http:\/\/127\.0\.0\.1:\d+\/console\/sign-in#link=[\w-]{43}/);
    expect(stdout).toContain('everything it started has been stopped');
  });
});

function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
