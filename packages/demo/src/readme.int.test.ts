import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ChecksEvaluatorEnv } from '@codecommit-evidence/checks-evaluator/config';
import { ConnectorApiEnv } from '@codecommit-evidence/connector-api/config';
import { IamSyncEnv } from '@codecommit-evidence/iam-sync/config';
import { RepoSyncEnv } from '@codecommit-evidence/repo-sync/config';
import { withDatabase } from '@codecommit-evidence/testing';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { repoRoot } from './stack.js';

const run = promisify(execFile);
const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const rootPackage = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const ci = readFileSync(path.join(repoRoot, '.ci/run'), 'utf8');

/** The README stays true: its commands exist and run, its configuration table lists what apps read. */
describe('README.md', () => {
  it('has the two set-up commands, pinned to the pnpm the repository declares', () => {
    const pnpm = rootPackage.packageManager.replace(/^pnpm@/, '');
    const demo = readme.split('\n').filter((l) => /^npm install -g pnpm@.* pnpm demo$/.test(l));
    const tests = readme.split('\n').filter((l) => /^npm install -g pnpm@.* pnpm test$/.test(l));
    expect(demo).toHaveLength(1);
    expect(tests).toHaveLength(1);
    for (const line of [...demo, ...tests])
      expect(line).toContain(`npm install -g pnpm@${pnpm} && pnpm install --frozen-lockfile`);
    // CI runs the test line itself, read from the README.
    expect(ci).toContain("grep -E '^npm install -g pnpm@[0-9.]+ && .* pnpm test$' README.md");
    expect(rootPackage.scripts.demo).toContain('pnpm --filter @codecommit-evidence/demo run --silent demo');
    expect(rootPackage.scripts.test).toContain('vitest run');
  });

  it('documents every environment variable every app reads', () => {
    const schemas = [ConnectorApiEnv, RepoSyncEnv, IamSyncEnv, ChecksEvaluatorEnv];
    const names = new Set(schemas.flatMap((s) => Object.keys((s as unknown as { shape: object }).shape)));
    // A row of the configuration table: | `NAME` | default | … (the formatter pads the cells).
    const undocumented = [...names].filter((n) => !new RegExp(`^\\|\\s*\`${n}\`\\s*\\|`, 'm').test(readme));
    expect(undocumented).toEqual([]);
  });

  it('names only root scripts that exist', () => {
    const mentioned = new Set([...readme.matchAll(/`pnpm ([a-z:-]+)/g)].map((m) => m[1]!));
    const builtIn = new Set(['install', 'vitest']);
    const missing = [...mentioned].filter((s) => !builtIn.has(s) && !(s in rootPackage.scripts));
    expect(missing).toEqual([]);
  });

  it('`pnpm migrate` creates and migrates a database, and is safe to run again', async () => {
    const name = `cce_readme_${randomBytes(4).toString('hex')}`;
    const url = withDatabase(inject('databaseAdminUrl'), name);
    try {
      const first = await run('pnpm', ['migrate'], {
        cwd: repoRoot,
        env: { ...process.env, DATABASE_URL: url },
      });
      expect(first.stdout).toContain(`created database ${name}`);
      expect(first.stdout).toMatch(/applied \d+ migration/);
      const again = await run('pnpm', ['migrate'], {
        cwd: repoRoot,
        env: { ...process.env, DATABASE_URL: url },
      });
      expect(again.stdout).toContain('schema is up to date');
    } finally {
      const admin = new pg.Client({ connectionString: inject('databaseAdminUrl') });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });

  it('`pnpm fake-aws generate` writes an account from the repository root', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'cce-readme-')), 'small.json');
    await run(
      'pnpm',
      ['fake-aws', 'generate', '--repos', '3', '--prs-per-repo', '2', '--users', '4', '--out', out],
      { cwd: repoRoot },
    );
    const scenario = JSON.parse(readFileSync(out, 'utf8'));
    const repos = Object.values<{ repositories: unknown[] }>(scenario.account.regions).flatMap(
      (r) => r.repositories,
    );
    expect(repos).toHaveLength(3);
  });
});
