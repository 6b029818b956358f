import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ChecksEvaluatorEnv } from '@codecommit-evidence/checks-evaluator/config';
import { ConnectorApiEnv } from '@codecommit-evidence/connector-api/config';
import { IamSyncEnv } from '@codecommit-evidence/iam-sync/config';
import { RepoSyncEnv } from '@codecommit-evidence/repo-sync/config';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { repoRoot } from './stack.js';

/**
 * There is no Docker engine on the machines that run these tests, so the container set-up is checked
 * against the code instead: every service's command exists in what the build produces, every variable
 * it sets is one the app reads, every variable the app requires is set, and ports agree.
 */
// merge: compose files use YAML merge keys (<<: *app-env), as Docker Compose resolves them.
const compose = parse(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true });
const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');

/** Read by the AWS SDK's default chains rather than by our config schemas. */
const SDK_VARIABLES = new Set([
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_ENDPOINT_URL',
]);

const APPS: Record<string, { schema: z.ZodObject; folder: string }> = {
  'connector-api': { schema: ConnectorApiEnv as unknown as z.ZodObject, folder: 'apps/connector-api' },
  'repo-sync': { schema: RepoSyncEnv as unknown as z.ZodObject, folder: 'apps/repo-sync' },
  'iam-sync': { schema: IamSyncEnv as unknown as z.ZodObject, folder: 'apps/iam-sync' },
  'checks-evaluator': {
    schema: ChecksEvaluatorEnv as unknown as z.ZodObject,
    folder: 'apps/checks-evaluator',
  },
};

function requiredKeys(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape)
    .filter(([, s]) => !(s as z.ZodType).safeParse(undefined).success)
    .map(([k]) => k);
}

describe('docker-compose.yml and the Dockerfile', () => {
  it('runs every app and the one-shot migration, with the demo AWS under a profile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'checks-evaluator',
        'connector-api',
        'fake-aws',
        'iam-sync',
        'migrate',
        'postgres',
        'redis',
        'repo-sync',
      ].sort(),
    );
    expect(compose.services['fake-aws'].profiles).toEqual(['demo']);
    expect(compose.services.redis.command).toEqual(
      expect.arrayContaining(['--maxmemory-policy', 'noeviction', '--appendonly', 'yes']),
    );
    for (const s of ['postgres', 'redis', 'connector-api', 'fake-aws'])
      expect(compose.services[s].healthcheck, s).toBeDefined();
  });

  it.each(Object.keys(APPS))('%s: command, environment and start order match the app', (name) => {
    const { schema, folder } = APPS[name]!;
    const service = compose.services[name];
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, folder, 'package.json'), 'utf8'));
    // The image runs the app's own start command, on the compiled output the build produces.
    expect(service.command).toEqual(pkg.scripts.start.split(' '));
    expect(existsSync(path.join(repoRoot, folder, 'src/index.ts'))).toBe(true);
    expect(pkg.scripts.build).toBe('node ../../scripts/build-package.mjs');
    expect(pkg.files).toContain('dist');
    expect(service.build.args.APP).toBe(name);

    const env = Object.keys(service.environment);
    const reads = new Set(Object.keys(schema.shape));
    const unread = env.filter((k) => !reads.has(k) && !SDK_VARIABLES.has(k));
    expect(unread, `${name} is given variables it never reads`).toEqual([]);
    const missing = requiredKeys(schema).filter((k) => !env.includes(k));
    expect(missing, `${name} requires variables compose does not set`).toEqual([]);
    // Every value compose sets must pass the app's own validation (placeholders filled in).
    const sample = Object.fromEntries(
      Object.entries<string>(service.environment)
        .filter(([k]) => reads.has(k))
        .map(([k, v]) => [k, sampleValue(k, v)])
        .filter(([, v]) => v !== ''),
    );
    const parsed = schema.safeParse(sample);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);

    expect(service.depends_on.migrate.condition).toBe('service_completed_successfully');
    expect(service.depends_on.postgres.condition).toBe('service_healthy');
    expect(service.depends_on.redis.condition).toBe('service_healthy');
  });

  it('publishes the port the API listens on, and checks its readiness there', () => {
    const api = compose.services['connector-api'];
    const port = api.environment.PORT;
    expect(api.ports).toEqual([`${port}:${port}`]);
    expect(api.healthcheck.test.join(' ')).toContain(`127.0.0.1:${port}/readyz`);
    const fake = compose.services['fake-aws'];
    const fakePort = fake.command[fake.command.indexOf('--port') + 1];
    expect(fake.ports).toEqual([`${fakePort}:${fakePort}`]);
    expect(fake.command).toContain('0.0.0.0');
    expect(existsSync(path.join(repoRoot, 'packages/fake-aws', fake.command[1]))).toBe(true);
    expect(existsSync(path.join(repoRoot, fake.volumes[0].split(':')[0], 'demo.json'))).toBe(true);
  });

  it('migrates with the evidence-store command before anything starts', () => {
    const migrate = compose.services.migrate;
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'packages/evidence-store/package.json'), 'utf8'));
    expect(migrate.command).toEqual(['node', pkg.bin['cce-migrate'].replace(/^\.\//, '')]);
    expect(existsSync(path.join(repoRoot, 'packages/evidence-store', migrate.command[1]))).toBe(true);
    expect(Object.keys(migrate.environment)).toEqual(['DATABASE_URL']);
  });

  it('builds multi-stage on Node 22, prunes per app, installs production dependencies only, runs as non-root', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-/m);
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toContain('turbo prune "@codecommit-evidence/${APP}" --docker');
    expect(dockerfile).toContain('deploy --prod');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/index.js"\]$/m);
    const pnpm = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).packageManager.split(
      '@',
    )[1];
    expect(dockerfile).toContain(`pnpm@${pnpm}`);
    // Every APP a compose service builds is a workspace folder with a build (or a prebuilt bin).
    for (const [name, s] of Object.entries<any>(compose.services)) {
      if (!s.build) continue;
      const app = s.build.args.APP;
      const folder = ['apps', 'packages'].map((d) => path.join(repoRoot, d, app)).find((p) => existsSync(p));
      expect(folder, `${name}: APP=${app}`).toBeDefined();
    }
  });
});

/** A valid stand-in for a compose value that is an interpolation like `${ADMIN_TOKEN:?…}`. */
function sampleValue(key: string, value: string): string {
  const m = /^\$\{([A-Z_]+)(?::?-([^}]*))?(?::\?[^}]*)?\}$/.exec(String(value));
  if (!m) return String(value);
  if (m[2] !== undefined) return m[2];
  const samples: Record<string, string> = {
    ADMIN_TOKEN: 'x'.repeat(32),
    PLATFORM_AWS_ACCOUNT_ID: '444455556666',
  };
  return samples[key] ?? '';
}
