import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './cli.js';
import { DEMO_SCENARIO } from './test-support/fixture.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));

/** Runs the CLI in process, capturing what it prints. */
async function run(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const log = vi.spyOn(console, 'log').mockImplementation((m: unknown) => {
    stdout += `${String(m)}\n`;
  });
  const error = vi.spyOn(console, 'error').mockImplementation((m: unknown) => {
    stderr += `${String(m)}\n`;
  });
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((m: string | Uint8Array) => {
    stdout += String(m);
    return true;
  });
  try {
    const status = await main(args);
    return { status, stdout, stderr };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

describe('fake-aws CLI', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGTERM');
  });
  afterEach(() => vi.restoreAllMocks());

  it('prints help for the tool and each command', async () => {
    const help = await run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: fake-aws <command>');
    expect((await run('serve', '--help')).stdout).toContain('--rate SERVICE=RPS');
    expect((await run('generate', '-h')).stdout).toContain('--prs-per-repo M');
    expect((await run()).status).toBe(2);
  });

  it('exits 2 with a clear message on bad arguments', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['generate', '--repos', 'ten', '--prs-per-repo', '1', '--users', '1'],
        /--repos must be an integer >= 0, got "ten"/,
      ],
      [['generate', '--repos', '1'], /--prs-per-repo is required/],
      [['serve', '--scenario', DEMO_SCENARIO, '--rate', 'ec2=5'], /unknown service "ec2"/],
      [['serve', '--scenario', DEMO_SCENARIO, '--fault-rate', '3'], /--fault-rate must be between 0 and 1/],
      [['serve', '--bogus'], /Unknown option '--bogus'/],
      [['serve'], /--scenario FILE is required/],
      [['deploy'], /unknown command "deploy"/],
      [['serve', '--scenario', join(tmpdir(), 'missing.json')], /cannot read JSON/],
    ];
    for (const [args, message] of cases) {
      const result = await run(...args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });

  it('accepts every option its README documents, and lists each in its help', async () => {
    const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
    const usage = (command: string) => {
      const start = readme.indexOf(`\`fake-aws ${command} `);
      return readme.slice(start, readme.indexOf('`', start + 1));
    };
    for (const command of ['serve', 'generate']) {
      const documented = [...usage(command).matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]);
      expect(documented.length, command).toBeGreaterThan(2);
      const help = (await run(command, '--help')).stdout;
      for (const option of documented) expect(help, `${command} ${option}`).toContain(option);
    }
    // And each serve flag of the knobs table parses (an unknown one exits 2 before reading the scenario).
    for (const flag of ['--shift-dates', '--any-key-is-platform']) {
      const result = await run('serve', flag, '--scenario', join(tmpdir(), 'missing.json'));
      expect(result.stderr, flag).toMatch(/cannot read JSON/);
    }
  });

  it('generates the same file for the same arguments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-aws-cli-'));
    const a = join(dir, 'a.json');
    expect(
      (
        await run(
          'generate',
          '--repos',
          '3',
          '--prs-per-repo',
          '2',
          '--users',
          '4',
          '--seed',
          '9',
          '--out',
          a,
        )
      ).status,
    ).toBe(0);
    const b = await run('generate', '--repos', '3', '--prs-per-repo', '2', '--users', '4', '--seed', '9');
    expect(JSON.parse(b.stdout)).toEqual(JSON.parse(readFileSync(a, 'utf8')));
    expect(JSON.parse(b.stdout).account.regions['us-east-1'].pullRequests).toHaveLength(6);
  });

  it('serves a scenario and prints its URL (the real entry point)', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cli, 'serve', '--scenario', DEMO_SCENARIO, '--port', '0'],
      { cwd: packageDir },
    );
    children.push(child);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const stats = await (await fetch(`${url}/_fake/stats`)).json();
    expect(stats).toEqual({ calls: {}, throttled: {}, faulted: {}, denied: {}, injected: {} });
  });
});
