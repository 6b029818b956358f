import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseEnv } from '@codecommit-evidence/runtime';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  APPS,
  dockerfileTargets,
  packageJson,
  readRepoFile,
  requiredKeys,
  runTool,
  runtimeWorkspaceDeps,
  SAMPLE_SECRETS,
  SDK_VARIABLES,
  WORKER_APPS,
  workspaceFolderOf,
} from './deploy-support.js';
import { readScenarioFacts, repoRoot } from './stack.js';

/**
 * There is no Docker engine on the machines that run these tests, so the container set-up is checked
 * against the code instead: every image's command exists in what the build produces, every variable
 * a service sets is one the app reads, every variable the app requires is set, ports agree — and
 * Debian's docker-compose 1.29 (the oldest tool we support) accepts the files with no variable set.
 */
// merge: compose files use YAML merge keys (<<: *app-env), as Docker Compose resolves them.
const composeText = readRepoFile('docker-compose.yml');
const demoText = readRepoFile('docker-compose.demo.yml');
const compose = parse(composeText, { merge: true });
const demo = parse(demoText, { merge: true });
const dockerfile = readRepoFile('Dockerfile');
const targets = dockerfileTargets(dockerfile);

/** `${VAR:-default}` → default; `${VAR}` → a sample for that variable (or empty). */
function sampleValue(key: string, value: string): string {
  const m = /^\$\{([A-Z_]+)(?::?-([^}]*))?\}$/.exec(String(value));
  if (!m) return String(value);
  if (m[2] !== undefined && m[2] !== '') return m[2];
  return SAMPLE_SECRETS[key] ?? '';
}

/** The service as Compose sees it with both files: environment maps merge key by key. */
function withDemo(name: string): any {
  const base = compose.services[name] ?? {};
  const over = demo.services[name] ?? {};
  return { ...base, ...over, environment: { ...base.environment, ...over.environment } };
}

/** An empty env file, so a developer's own .env cannot hide a variable the files need. */
const noEnvFile = path.join(mkdtempSync(path.join(tmpdir(), 'cce-compose-')), 'empty.env');
writeFileSync(noEnvFile, '');

function dockerCompose(args: string[]): string {
  return runTool(
    'docker-compose',
    ['--project-directory', repoRoot, '--env-file', noEnvFile, ...args],
    "this test needs Debian's docker-compose 1.29 (apt-get install -y docker-compose)",
    // No variable set: the commands the README gives must work on a fresh checkout.
    { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' } },
  );
}

describe('docker-compose.yml and docker-compose.demo.yml', () => {
  it('runs every app and the one-shot migration; the demo file adds fake-aws', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['checks-evaluator', 'connector-api', 'iam-sync', 'migrate', 'postgres', 'redis', 'repo-sync'].sort(),
    );
    expect(Object.keys(demo.services).sort()).toEqual(
      ['checks-evaluator', 'connector-api', 'fake-aws', 'iam-sync', 'repo-sync'].sort(),
    );
    // podman-compose ignores profiles: the demo is a file of its own instead.
    for (const [name, s] of Object.entries<any>({ ...compose.services, ...demo.services }))
      expect(s.profiles, name).toBeUndefined();
  });

  it('is accepted by docker-compose 1.29 with no variable set (no top-level name, no `:?`)', () => {
    expect(compose.name).toBeUndefined();
    expect(demo.name).toBeUndefined();
    // `:?` is checked file-wide: it would fail `up -d postgres redis`, `ps`, `logs` and `down` too.
    expect(composeText).not.toMatch(/\$\{[A-Z_]+:?\?/);
    expect(demoText).not.toMatch(/\$\{[A-Z_]+:?\?/);
    expect(
      dockerCompose(['-f', 'docker-compose.yml', 'config', '--services']).split('\n').filter(Boolean).sort(),
    ).toEqual(Object.keys(compose.services).sort());
    const both = parse(
      dockerCompose(['-f', 'docker-compose.yml', '-f', 'docker-compose.demo.yml', 'config']),
    );
    expect(both.services['repo-sync'].environment.AWS_ENDPOINT_URL).toBe('http://fake-aws:4566');
    expect(both.services['fake-aws'].build.target).toBe('fake-aws');
  });

  it('an app started without a required variable stops naming it (the check Compose no longer makes)', () => {
    const api = compose.services['connector-api'].environment;
    const asCompose = Object.fromEntries(
      Object.entries<string>(api).map(([k, v]) => [
        k,
        sampleValue(k, v).startsWith('${') ? '' : sampleValue(k, v),
      ]),
    );
    // What compose passes with nothing set: empty strings, which the apps treat as unset.
    expect(api.ADMIN_TOKEN).toMatch(/^\$\{ADMIN_TOKEN:-\}$/);
    expect(api.PLATFORM_AWS_ACCOUNT_ID).toMatch(/^\$\{PLATFORM_AWS_ACCOUNT_ID:-\}$/);
    expect(() =>
      parseEnv(APPS['connector-api']!.schema, { ...asCompose, ADMIN_TOKEN: '', PLATFORM_AWS_ACCOUNT_ID: '' }),
    ).toThrow(/ADMIN_TOKEN[\s\S]*PLATFORM_AWS_ACCOUNT_ID|PLATFORM_AWS_ACCOUNT_ID[\s\S]*ADMIN_TOKEN/);
  });

  it('publishes ports on 127.0.0.1 only, each movable aside from a native Postgres or Redis', () => {
    const published = { ...compose.services, 'fake-aws': demo.services['fake-aws'] };
    const expected: Record<string, [string, string]> = {
      postgres: ['CCE_POSTGRES_PORT', '5432'],
      redis: ['CCE_REDIS_PORT', '6379'],
      'connector-api': ['CCE_API_PORT', String(compose.services['connector-api'].environment.PORT)],
      'fake-aws': ['CCE_FAKE_AWS_PORT', '4566'],
    };
    for (const [name, s] of Object.entries<any>(published)) {
      if (!expected[name]) {
        expect(s.ports, `${name} publishes nothing`).toBeUndefined();
        continue;
      }
      const [variable, port] = expected[name]!;
      expect(s.ports, name).toEqual([`127.0.0.1:\${${variable}:-${port}}:${port}`]);
    }
  });

  it('checks Postgres over TCP, and gives Redis a maxmemory for noeviction to mean something', () => {
    const pg = compose.services.postgres.healthcheck.test;
    expect(pg).toEqual(expect.arrayContaining(['pg_isready', '-h', '127.0.0.1']));
    const redis: string[] = compose.services.redis.command;
    expect(redis).toEqual(
      expect.arrayContaining(['--maxmemory-policy', 'noeviction', '--appendonly', 'yes']),
    );
    expect(redis[redis.indexOf('--maxmemory') + 1]).toMatch(/^\$\{CCE_REDIS_MAXMEMORY:-\d+mb\}$/);
  });

  it.each(Object.keys(APPS))('%s: image target, environment and start order match the app', (name) => {
    const { schema, folder } = APPS[name]!;
    const service = compose.services[name];
    const pkg = packageJson(folder);
    // The image's target runs the app's own start command, on the compiled output the build produces.
    expect(service.command, 'the image, not compose, says what runs').toBeUndefined();
    expect(service.build).toEqual({ context: '.', target: name, args: { APP: name } });
    expect(service.image).toBe(`codecommit-evidence/${name}`);
    expect(targets.get(name)?.cmd).toEqual(pkg.scripts!.start!.split(' '));
    expect(existsSync(path.join(repoRoot, folder, 'src/index.ts'))).toBe(true);
    expect(pkg.scripts?.build).toBe('node ../../scripts/build-package.mjs');
    expect(pkg.files).toContain('dist');

    for (const [label, environment] of [
      ['compose', service.environment],
      ['compose + demo', withDemo(name).environment],
    ] as const) {
      const env = Object.keys(environment);
      const reads = new Set(Object.keys(schema.shape));
      const unread = env.filter((k) => !reads.has(k) && !SDK_VARIABLES.has(k));
      expect(unread, `${label}: ${name} is given variables it never reads`).toEqual([]);
      const missing = requiredKeys(schema).filter((k) => !env.includes(k));
      expect(missing, `${label}: ${name} requires variables compose does not set`).toEqual([]);
      // Every value compose sets must pass the app's own validation (placeholders filled in).
      const sample = Object.fromEntries(
        Object.entries<string>(environment)
          .filter(([k]) => reads.has(k))
          .map(([k, v]) => [k, sampleValue(k, String(v))]),
      );
      const parsed = parseEnv(schema, sample);
      expect(parsed, label).toBeDefined();
    }

    expect(service.depends_on.migrate.condition).toBe('service_completed_successfully');
    expect(service.depends_on.postgres.condition).toBe('service_healthy');
    expect(service.depends_on.redis.condition).toBe('service_healthy');
    // Hardened: nothing in the container may be rewritten, no privilege can be gained.
    expect(service.read_only).toBe(true);
    expect(service.cap_drop).toEqual(['ALL']);
    expect(service.security_opt).toContain('no-new-privileges:true');
    // stop_grace_period must exceed the app's own shutdown budget, or docker kills it mid-drain.
    const shutdownMs = Number(service.environment.SHUTDOWN_TIMEOUT_MS);
    expect(Number.parseInt(service.stop_grace_period, 10) * 1000).toBeGreaterThan(shutdownMs);
  });

  it('probes the API and each worker on the port it listens on, at /readyz', () => {
    const api = compose.services['connector-api'];
    expect(api.healthcheck.test.join(' ')).toContain(`127.0.0.1:${api.environment.PORT}/readyz`);
    for (const name of WORKER_APPS) {
      const s = compose.services[name];
      const port = s.environment.HEALTH_PORT;
      expect(port, name).toBe(String(APPS[name]!.schema.shape.HEALTH_PORT!.parse(undefined)));
      expect(s.healthcheck.test.join(' '), name).toContain(`127.0.0.1:${port}/readyz`);
      expect(s.deploy.replicas, name).toBeGreaterThanOrEqual(2);
    }
  });

  it('the demo points every AWS caller at fake-aws, as the platform the demo account trusts', () => {
    const facts = readScenarioFacts();
    const fakeCmd = targets.get('fake-aws')!.cmd!;
    const fakePort = fakeCmd[fakeCmd.indexOf('--port') + 1];
    expect(fakeCmd).toEqual(expect.arrayContaining(['--host', '0.0.0.0', '--shift-dates']));
    for (const name of ['connector-api', 'repo-sync', 'iam-sync']) {
      const env = withDemo(name).environment;
      expect(env.AWS_ENDPOINT_URL, name).toBe(`http://fake-aws:${fakePort}`);
      expect(env.AWS_ACCESS_KEY_ID, name).toBe(facts.platform.accessKeyId);
      expect(env.AWS_SECRET_ACCESS_KEY, name).toBe(facts.platform.secretAccessKey);
      expect(env.AWS_REGION, name).toBe(facts.region);
      expect(withDemo(name).depends_on['fake-aws'].condition).toBe('service_healthy');
    }
    expect(withDemo('connector-api').environment.PLATFORM_AWS_ACCOUNT_ID).toBe(facts.platformAccountId);
    // The scenario travels in the image (no volume): the Dockerfile copies scenarios/ where CMD reads.
    const scenario = fakeCmd[fakeCmd.indexOf('--scenario') + 1]!;
    expect(targets.get('fake-aws')!.lines.join('\n')).toContain(
      `COPY --from=prune /src/scenarios/ ${path.dirname(scenario)}/`,
    );
    expect(existsSync(path.join(repoRoot, 'scenarios', path.basename(scenario)))).toBe(true);
    expect(demo.services['fake-aws'].healthcheck.test.join(' ')).toContain(
      `127.0.0.1:${fakePort}/_fake/health`,
    );
  });

  it('migrates with the evidence-store command before anything starts, retrying until Postgres answers', () => {
    const migrate = compose.services.migrate;
    const pkg = packageJson('packages/evidence-store');
    expect(migrate.build).toEqual({ context: '.', target: 'migrate', args: { APP: 'evidence-store' } });
    expect(targets.get('migrate')?.cmd).toEqual(['node', pkg.bin!['cce-migrate']!.replace(/^\.\//, '')]);
    expect(existsSync(path.join(repoRoot, 'packages/evidence-store', targets.get('migrate')!.cmd![1]!))).toBe(
      true,
    );
    expect(Object.keys(migrate.environment)).toEqual(['DATABASE_URL']);
    expect(migrate.restart).toBe('on-failure');
  });
});

describe('the Dockerfile', () => {
  it('builds multi-stage on Node 22, prunes per app, installs production dependencies only, runs as non-root', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-/m);
    expect(dockerfile).toContain('turbo prune "@codecommit-evidence/${APP}" --docker');
    expect(dockerfile).toContain('deploy --prod');
    const runtime = targets.get('runtime')!;
    expect(runtime.lines).toContain('USER node');
    const pnpm = packageJson('.').packageManager;
    expect(dockerfile).toContain(`pnpm@${String(pnpm).split('@')[1]}`);
  });

  it('pulls no BuildKit frontend and leaves the app read-only to the user that runs it', () => {
    expect(dockerfile).not.toMatch(/^#\s*syntax=/m);
    const runtime = targets.get('runtime')!.lines.join('\n');
    expect(runtime).not.toContain('--chown');
    expect(targets.get('build')!.lines.join('\n')).toMatch(/deploy --prod \/out && chmod -R a-w \/out/);
  });

  it('has one target per image, each from the runtime stage, checking that APP matches it', () => {
    const services = { ...compose.services, 'fake-aws': demo.services['fake-aws'] };
    for (const [name, s] of Object.entries<any>(services)) {
      if (!s.build) continue;
      const target = targets.get(s.build.target);
      expect(target, `${name}: target ${s.build.target}`).toBeDefined();
      expect(target!.from).toBe('runtime');
      const folder = workspaceFolderOf(s.build.args.APP);
      expect(target!.lines.join('\n')).toContain(
        `require('./package.json').name === '${packageJson(folder).name}'`,
      );
      expect(s.image).toBe(`codecommit-evidence/${s.build.target}`);
    }
  });

  it('ships the web console in the connector-api image, built from its sources, where CONSOLE_DIR points', () => {
    expect(dockerfile).toContain('turbo prune "@codecommit-evidence/console" --docker');
    const api = targets.get('connector-api')!.lines.join('\n');
    expect(api).toContain('COPY --from=console-build /src/apps/console/dist /app/console');
    expect(api).toContain('ENV CONSOLE_DIR=/app/console');
  });

  it('limits the evaluator’s V8 heap below its container’s memory, as the evaluate bench measures it', () => {
    const stage = /FROM runtime AS checks-evaluator\n([\s\S]*?)(?=\nFROM |$)/.exec(dockerfile)?.[1] ?? '';
    const heapMb = Number(/ENV NODE_OPTIONS=--max-old-space-size=(\d+)/.exec(stage)?.[1]);
    expect(heapMb).toBeGreaterThan(0);
    // The bench runs the evaluator with the same limit (its figures are the image's).
    const bench = readRepoFile('apps/checks-evaluator/bench/evaluate-bench.ts');
    expect(Number(/EVALUATOR_HEAP_MB = (\d+)/.exec(bench)?.[1])).toBe(heapMb);
    // Room for code, buffers and the pg/ioredis sockets beside the heap, under the Kubernetes limit.
    const manifest = parse(readRepoFile('deploy/kubernetes/base/checks-evaluator.yaml'));
    const container = manifest.spec.template.spec.containers.find(
      (c: { name: string }) => c.name === 'checks-evaluator',
    );
    const limit = String(container.resources.limits.memory);
    const limitMb = limit.endsWith('Gi') ? Number.parseFloat(limit) * 1024 : Number.parseFloat(limit);
    expect(heapMb).toBeLessThanOrEqual(limitMb * 0.7);
  });

  it('keeps secrets and local clutter out of the build context', () => {
    const ignored = readRepoFile('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['.env', '.env.*', '**/node_modules', '**/dist', '.git'])
      expect(ignored).toContain(entry);
  });

  it('ships only built files: every workspace package an image carries declares `files`', () => {
    const services = { ...compose.services, 'fake-aws': demo.services['fake-aws'] };
    for (const s of Object.values<any>(services)) {
      if (!s.build) continue;
      const folder = workspaceFolderOf(s.build.args.APP);
      for (const dep of [folder, ...runtimeWorkspaceDeps(folder)]) {
        const files = packageJson(dep).files;
        expect(
          files,
          `${dep} (in the ${s.build.target} image) has no "files": its sources and tests would ship`,
        ).toBeDefined();
        expect(
          files!.some((f) => f === 'src' || f.startsWith('src/')),
          dep,
        ).toBe(false);
      }
    }
  });
});
