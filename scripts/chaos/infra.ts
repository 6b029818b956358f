/**
 * The chaos run's private infrastructure: a Postgres cluster (initdb + pg_ctl) and a Redis server
 * (AOF on), each on a free port in a temp dir of its own, so that stopping, killing and restarting them
 * never touches the shared servers other engineers' tests use. Everything started here is registered
 * with a {@link Cleanup} that kills it and removes its directory, on success, failure or Ctrl-C.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's Postgres 15 binaries; `PG_BIN` overrides. */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Runs the cleanups in reverse order of registration, once, whatever ends the process. */
export class Cleanup {
  private readonly steps: { name: string; fn: () => void | Promise<void> }[] = [];
  private running: Promise<void> | undefined;

  add(name: string, fn: () => void | Promise<void>): void {
    this.steps.push({ name, fn });
  }

  /**
   * A second call (Ctrl-C or SIGTERM while the first runs) waits for the same cleanup: exiting before
   * it ends would leave a half-removed data directory behind.
   */
  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.fn();
        } catch (error) {
          process.stderr.write(`chaos: cleanup of ${step.name} failed: ${(error as Error).message}\n`);
        }
      }
    })();
    return this.running;
  }
}

/** A port nobody listens on right now (the OS picks it; a race with another process is unlikely). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Postgres refuses to run as root: as root, the cluster belongs to the `postgres` user and every
 * binary runs through `runuser -u postgres --`; as anyone else, as that user.
 */
function asPostgres(command: string, args: string[]): [string, string[]] {
  const binary = join(PG_BIN, command);
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
}

export interface PrivatePostgres {
  url(database: string): string;
  port: number;
  /** `pg_ctl stop -m fast`: clients are disconnected, open transactions rolled back. */
  stopFast(): Promise<void>;
  start(): Promise<void>;
}

export async function startPrivatePostgres(cleanup: Cleanup): Promise<PrivatePostgres> {
  if (!existsSync(join(PG_BIN, 'initdb'))) throw new Error(`no initdb in ${PG_BIN} (set PG_BIN)`);
  const dir = mkdtempSync(join(tmpdir(), 'cce-chaos-pg-'));
  cleanup.add(`postgres dir ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  const port = await freePort();
  const [initdb, initArgs] = asPostgres('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  await run(initdb, initArgs);
  // fsync off: the cluster only ever stops cleanly (a fast stop checkpoints), and it is thrown away.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const ctl = async (...args: string[]) => {
    const [cmd, a] = asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), ...args]);
    await run(cmd, a);
  };
  const start = () => ctl('-o', options, '-w', '-t', '60', 'start');
  await start();
  cleanup.add(`postgres on port ${port}`, async () => {
    await ctl('-m', 'immediate', '-w', 'stop').catch(() => {});
  });
  return {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stopFast: () => ctl('-m', 'fast', '-w', 'stop'),
    start,
  };
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILL: no shutdown save; what survives is what the AOF holds. */
  kill9(): Promise<void>;
  start(): Promise<void>;
}

export async function startPrivateRedis(
  cleanup: Cleanup,
  options: { fsync: 'always' | 'everysec' },
): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'cce-chaos-redis-'));
  cleanup.add(`redis dir ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    options.fsync,
    '--save',
    '',
    // BullMQ needs its keys kept: never evict.
    '--maxmemory-policy',
    'noeviction',
  ];
  const start = async () => {
    const started = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    const exited = new Promise<never>((_, reject) =>
      started.once('exit', (code) => reject(new Error(`redis-server exited (${code})`))),
    );
    exited.catch(() => {});
    for (let i = 0; i < 100; i++) {
      const ping = await run('redis-cli', ['-p', String(port), 'ping']).catch(() => undefined);
      if (ping?.stdout.trim() === 'PONG') return;
      if (started.exitCode !== null) await exited;
      await sleep(100);
    }
    throw new Error('redis-server did not answer PING within 10 s');
  };
  const kill9 = async () => {
    const current = child;
    if (!current || current.exitCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGKILL');
    await exited;
  };
  await start();
  cleanup.add(`redis on port ${port}`, kill9);
  return { port, url: `redis://127.0.0.1:${port}`, kill9, start };
}
