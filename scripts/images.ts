/**
 * `pnpm images`: builds every image of docker-compose.yml and docker-compose.demo.yml with whatever
 * engine is here (docker, podman or buildah), then smoke-runs each one and prints its size.
 * Opt-in and never in CI: a build takes minutes and gigabytes per image.
 *
 *   pnpm images                       build and smoke-run all
 *   pnpm images connector-api migrate only these (service names)
 *   pnpm images --no-smoke            build only
 *   pnpm images --engine=buildah      this engine, not the first that answers (e.g. where podman cannot
 *                                     run containers but buildah's chroot isolation can)
 *   NODE_IMAGE=my-node:22 pnpm images use a base image you already have (default: the Dockerfile's)
 *   BUILDAH_ISOLATION=chroot STORAGE_DRIVER=vfs pnpm images   podman/buildah without a daemon
 *
 * Smoke runs use the host network and DATABASE_URL / REDIS_URL (default: a database of its own on
 * 127.0.0.1, `codecommit_evidence_images`, and Redis keys under `{cce-images}`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

// The few variables this script reads (what the smoke runs connect to, which base image, whether CI).
const { NODE_IMAGE, DATABASE_URL, REDIS_URL, CI } = process.env;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
type Engine = 'docker' | 'podman' | 'buildah';

interface ImageSpec {
  service: string;
  image: string;
  target: string;
  app: string;
}

function fail(message: string): never {
  process.stderr.write(`images: ${message}\n`);
  process.exit(1);
}

function ok(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** The first engine that answers (a docker CLI without a daemon does not count), or `--engine=<name>`. */
function detectEngine(forced?: string): Engine {
  if (forced) {
    if (!['docker', 'podman', 'buildah'].includes(forced)) fail(`--engine must be docker, podman or buildah`);
    if (!ok(forced, forced === 'buildah' ? ['--version'] : ['info'])) fail(`${forced} does not answer`);
    return forced as Engine;
  }
  if (ok('docker', ['info'])) return 'docker';
  if (ok('podman', ['info'])) return 'podman';
  if (ok('buildah', ['--version'])) return 'buildah';
  fail(
    'no container engine answers: start Docker, or install podman or buildah ' +
      '(Debian: apt-get install -y podman buildah; then BUILDAH_ISOLATION=chroot STORAGE_DRIVER=vfs pnpm images).',
  );
}

function imagesFromCompose(): ImageSpec[] {
  const specs: ImageSpec[] = [];
  for (const file of ['docker-compose.yml', 'docker-compose.demo.yml']) {
    const compose = parse(readFileSync(path.join(root, file), 'utf8'), { merge: true });
    const services: Record<string, { image: string; build?: { target: string; args: { APP: string } } }> =
      compose.services;
    for (const [service, s] of Object.entries(services)) {
      if (!s.build) continue;
      specs.push({ service, image: s.image, target: s.build.target, app: s.build.args.APP });
    }
  }
  return specs;
}

function baseImage(): string {
  if (NODE_IMAGE) return NODE_IMAGE;
  const m = /^ARG NODE_IMAGE=(\S+)$/m.exec(readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
  if (!m) fail('the Dockerfile has no ARG NODE_IMAGE default');
  return m[1]!;
}

/** Present locally, or pulled now; otherwise say so plainly, before a build fails halfway. */
function ensureBaseImage(engine: Engine, image: string): void {
  const present =
    engine === 'buildah'
      ? ok('buildah', ['inspect', '--type', 'image', image])
      : ok(engine, ['image', 'inspect', image]);
  if (present) return;
  process.stdout.write(`images: pulling the base image ${image}\n`);
  if (ok(engine, ['pull', image])) return;
  fail(
    `no base image: ${image} is not present in ${engine}'s storage and cannot be pulled from here. ` +
      `Load one (\`${engine} load -i node-22.tar\`) or name one you have: NODE_IMAGE=<image> pnpm images.`,
  );
}

function build(engine: Engine, spec: ImageSpec, node: string): void {
  const args = [
    engine === 'buildah' ? 'bud' : 'build',
    '--target',
    spec.target,
    '--build-arg',
    `APP=${spec.app}`,
    '--build-arg',
    `NODE_IMAGE=${node}`,
    '-t',
    spec.image,
    '-f',
    'Dockerfile',
    '.',
  ];
  process.stdout.write(`images: ${engine} ${args.join(' ')}\n`);
  const started = Date.now();
  const r = spawnSync(engine, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail(`building ${spec.image} failed (exit ${r.status})`);
  process.stdout.write(`images: built ${spec.image} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

function sizeOf(engine: Engine, image: string): string {
  const out =
    engine === 'buildah'
      ? execFileSync('buildah', ['images', '--format', '{{.Size}}', image], { encoding: 'utf8' })
      : execFileSync(engine, ['image', 'inspect', '--format', '{{.Size}}', image], { encoding: 'utf8' });
  const bytes = Number(out.trim());
  return Number.isFinite(bytes) ? `${(bytes / 1e6).toFixed(0)} MB` : out.trim();
}

interface RunResult {
  code: number | null;
  output: string;
}

/** Runs the image's own command to its end (docker/podman run; buildah from + run). */
function runToEnd(
  engine: Engine,
  image: string,
  env: Record<string, string>,
  network: 'none' | 'host',
): RunResult {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  if (engine === 'buildah') {
    const container = execFileSync('buildah', ['from', image], { encoding: 'utf8' }).trim();
    try {
      const cmd = commandOf(container);
      const r = spawnSync('buildah', ['run', ...envArgs, `--network=${network}`, container, '--', ...cmd], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { code: r.status, output: `${r.stdout}${r.stderr}` };
    } finally {
      ok('buildah', ['rm', container]);
    }
  }
  const r = spawnSync(engine, ['run', '--rm', `--network=${network}`, ...envArgs, image], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

async function waitForHttp(url: string, ms: number): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; ) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

/** Starts a long-running image, waits for its readiness URL, stops it with SIGTERM; returns the exit code. */
async function serveAndStop(
  engine: Engine,
  image: string,
  env: Record<string, string>,
  readyUrl: string,
): Promise<{ ready: boolean; code: number | null; output: string }> {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  const { spawn } = await import('node:child_process');
  let container: string | undefined;
  const child =
    engine === 'buildah'
      ? (() => {
          container = execFileSync('buildah', ['from', image], { encoding: 'utf8' }).trim();
          const cmd = commandOf(container);
          return spawn('buildah', ['run', ...envArgs, '--network=host', container, '--', ...cmd]);
        })()
      : spawn(engine, [
          'run',
          '--rm',
          '--network=host',
          '--name',
          `cce-smoke-${process.pid}`,
          ...envArgs,
          image,
        ]);
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await waitForHttp(readyUrl, 60_000);
  // buildah answers its own SIGTERM with SIGKILL to the process it runs: signal the app's process
  // (a host process under chroot isolation) instead, as a container runtime would.
  if (engine === 'buildah') for (const pid of leafProcesses(child.pid!)) ok('kill', ['-TERM', String(pid)]);
  else ok(engine, ['kill', '--signal', 'TERM', `cce-smoke-${process.pid}`]);
  const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 40_000))]);
  if (code === null) child.kill('SIGKILL');
  if (container) ok('buildah', ['rm', container]);
  // buildah exits with its own code; the app's is in its report.
  const reported = /subprocess exited with status (\d+)/.exec(output);
  return { ready, code: engine === 'buildah' && reported ? Number(reported[1]) : code, output };
}

/** The image's CMD, as a buildah working container has it. */
function commandOf(container: string): string[] {
  return JSON.parse(execFileSync('buildah', ['inspect', container], { encoding: 'utf8' })).OCIv1.config.Cmd;
}

/** The processes under `root` that have no children of their own (the app, under buildah's helpers). */
function leafProcesses(root: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const children = (pid: number) => rows.filter(([, ppid]) => ppid === pid).map(([p]) => p);
  const leaves: number[] = [];
  const walk = (pid: number) => {
    const kids = children(pid);
    if (kids.length === 0 && pid !== root) leaves.push(pid);
    for (const k of kids) walk(k);
  };
  walk(root);
  return leaves;
}

async function smoke(engine: Engine, spec: ImageSpec): Promise<string> {
  const databaseUrl = DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/codecommit_evidence_images';
  const connections = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: '{cce-images}',
  };
  const expectExit = (label: string, r: RunResult, code: number, text: string) => {
    if (r.code !== code || !r.output.includes(text))
      fail(`${spec.image} ${label}: expected exit ${code} naming ${text}, got ${r.code}:\n${r.output}`);
  };
  switch (spec.target) {
    case 'migrate': {
      const r = runToEnd(engine, spec.image, { DATABASE_URL: databaseUrl });
      if (r.code !== 0) fail(`${spec.image}: migration failed (exit ${r.code}):\n${r.output}`);
      return r.output.trim().split('\n').pop() ?? '';
    }
    case 'fake-aws': {
      const s = await serveAndStop(engine, spec.image, {}, 'http://127.0.0.1:4566/_fake/health');
      if (!s.ready) fail(`${spec.image}: /_fake/health never answered:\n${s.output}`);
      return `healthy, stopped with ${s.code}`;
    }
    default: {
      if (spec.target === 'connector-api') {
        expectExit('with no environment', runToEnd(engine, spec.image, {}), 78, 'ADMIN_TOKEN');
      } else {
        expectExit(
          'with a bad HEALTH_PORT',
          runToEnd(engine, spec.image, { HEALTH_PORT: 'x' }),
          78,
          'HEALTH_PORT',
        );
        expectExit(
          'with no database',
          runToEnd(engine, spec.image, { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }),
          1,
          'DATABASE_URL',
        );
      }
      const port = {
        'connector-api': 18080,
        'repo-sync': 19101,
        'iam-sync': 19102,
        'checks-evaluator': 19103,
      }[spec.target];
      if (!port) fail(`no smoke test for target ${spec.target}`);
      const env =
        spec.target === 'connector-api'
          ? {
              ...connections,
              PORT: String(port),
              ADMIN_TOKEN: 'x'.repeat(32),
              PLATFORM_AWS_ACCOUNT_ID: '444455556666',
            }
          : { ...connections, HEALTH_PORT: String(port) };
      const s = await serveAndStop(engine, spec.image, env, `http://127.0.0.1:${port}/readyz`);
      if (!s.ready) fail(`${spec.image}: /readyz never answered 200:\n${s.output}`);
      if (s.code !== 143) fail(`${spec.image}: SIGTERM should exit 143, got ${s.code}:\n${s.output}`);
      return 'exits 78/1 naming the variable; /readyz 200; SIGTERM exits 143';
    }
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    process.stdout.write(
      readFileSync(fileURLToPath(import.meta.url), 'utf8')
        .split('*/')[0]!
        .replace(/^\/\*\*|^ \* ?/gm, ''),
    );
    return;
  }
  // Minutes and gigabytes per image: a CI run must never start it by accident.
  if (CI && !args.includes('--in-ci'))
    fail(
      'not in CI (CI is set): building every image takes long and needs a lot of disk; pass --in-ci to insist.',
    );
  const only = args.filter((a) => !a.startsWith('--'));
  const all = imagesFromCompose();
  const unknown = only.filter((s) => !all.some((i) => i.service === s));
  if (unknown.length)
    fail(`unknown service(s): ${unknown.join(', ')} (have: ${all.map((i) => i.service).join(', ')})`);
  // The migration first: the other smoke runs need the schema.
  const chosen = all
    .filter((i) => only.length === 0 || only.includes(i.service))
    .sort((a, b) => Number(b.target === 'migrate') - Number(a.target === 'migrate'));
  const engine = detectEngine(args.find((a) => a.startsWith('--engine='))?.split('=')[1]);
  const node = baseImage();
  process.stdout.write(`images: engine ${engine}, base image ${node}\n`);
  ensureBaseImage(engine, node);
  for (const spec of chosen) build(engine, spec, node);
  const rows: string[] = [];
  for (const spec of chosen) {
    const result = args.includes('--no-smoke') ? 'not smoke-tested' : await smoke(engine, spec);
    rows.push(`${spec.image.padEnd(40)} ${sizeOf(engine, spec.image).padStart(8)}  ${result}`);
  }
  process.stdout.write(`\n${rows.join('\n')}\n`);
}

await main();
