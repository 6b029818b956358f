import { existsSync } from 'node:fs';
import net from 'node:net';

/** Where the test run finds Postgres and Redis, and what to stop when it ends. */
export interface TestServices {
  databaseUrl: string;
  redisUrl: string;
  stop: () => Promise<void>;
}

const HOW_TO_START = [
  'Tests need a real PostgreSQL and Redis. Either:',
  '  - set DATABASE_URL and REDIS_URL to running servers, e.g.',
  '      DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 pnpm test',
  '    (start them natively, or with `docker compose up -d postgres redis`), or',
  '  - leave both unset with a running Docker engine, and the tests start their own containers.',
].join('\n');

export async function resolveTestServices(env: NodeJS.ProcessEnv = process.env): Promise<TestServices> {
  const databaseUrl = env.DATABASE_URL;
  const redisUrl = env.REDIS_URL;
  if (databaseUrl && redisUrl) {
    await assertReachable('DATABASE_URL', databaseUrl, 5432);
    await assertReachable('REDIS_URL', redisUrl, 6379);
    return { databaseUrl, redisUrl, stop: async () => {} };
  }
  if (databaseUrl || redisUrl) {
    throw new Error(
      `Only one of DATABASE_URL and REDIS_URL is set (${databaseUrl ? 'REDIS_URL' : 'DATABASE_URL'} is missing).\n${HOW_TO_START}`,
    );
  }
  if (!(await dockerEngineReachable())) {
    throw new Error(`DATABASE_URL and REDIS_URL are unset and no Docker engine answers.\n${HOW_TO_START}`);
  }
  return startContainers();
}

async function startContainers(): Promise<TestServices> {
  // Loaded lazily: testcontainers is only needed where no services were given.
  const { GenericContainer, Wait } = await import('testcontainers');
  const pg = await new GenericContainer('postgres:16-alpine')
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  const redis = await new GenericContainer('redis:7-alpine')
    .withCommand(['redis-server', '--maxmemory-policy', 'noeviction'])
    .withExposedPorts(6379)
    .start();
  return {
    databaseUrl: `postgres://postgres@${pg.getHost()}:${pg.getMappedPort(5432)}/postgres`,
    redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
    stop: async () => {
      await Promise.all([pg.stop(), redis.stop()]);
    },
  };
}

async function dockerEngineReachable(): Promise<boolean> {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('tcp://')) {
    const u = new URL(host.replace('tcp://', 'http://'));
    return tcpReachable(u.hostname, Number(u.port || 2375));
  }
  const socket = host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
  if (!existsSync(socket)) return false;
  return new Promise((resolve) => {
    const s = net.connect(socket);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function assertReachable(variable: string, url: string, defaultPort: number): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${variable} is not a valid URL: ${JSON.stringify(url)}\n${HOW_TO_START}`);
  }
  const port = Number(parsed.port || defaultPort);
  if (!(await tcpReachable(parsed.hostname, port))) {
    throw new Error(
      `${variable}=${redactUrl(url)}: nothing answers at ${parsed.hostname}:${port}.\n${HOW_TO_START}`,
    );
  }
}

function tcpReachable(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: host.replace(/^\[|\]$/g, ''), port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** A URL with its password replaced, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}
