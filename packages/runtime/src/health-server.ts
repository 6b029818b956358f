/**
 * The small HTTP server every worker runs beside its queue consumer: `/healthz` (liveness), `/readyz`
 * (readiness) and `/metrics` (Prometheus). Plain `node:http`: a worker has no other HTTP surface, and a
 * framework would be more code than the three routes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { z } from 'zod';

/**
 * Where a worker's health server listens. Each worker has its own default port, so the three can run
 * on one machine; `0` picks a free port (tests, several replicas on one host).
 */
export function healthEnv(defaultPort: number) {
  return z.object({
    HEALTH_PORT: z.coerce.number().int().min(0).max(65_535).default(defaultPort),
    HEALTH_HOST: z.string().min(1).default('0.0.0.0'),
  });
}

/** The three paths, for the deployment manifests' probes (a test compares them). */
export const HEALTH_PATHS = { liveness: '/healthz', readiness: '/readyz', metrics: '/metrics' } as const;

/** A probe passes when it resolves; its rejection message (never a secret: callers name the variable) is shown. */
export type Probe = () => Promise<void> | void;

export interface HealthServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** `/healthz`: is the process worth keeping? A failing liveness probe gets the process restarted. */
  liveness: Record<string, Probe>;
  /** `/readyz`: can it do its work now (its dependencies answer)? */
  readiness: Record<string, Probe>;
  /** Each probe's bound; a probe still pending after it fails. Default 2 s. */
  probeTimeoutMs?: number;
}

export interface HealthServer {
  /** The port actually bound (differs from the option when it was 0). */
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const timeoutMs = options.probeTimeoutMs ?? 2_000;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'method_not_allowed', message: 'GET or HEAD only' } }));
      return;
    }
    const answer = async (): Promise<void> => {
      if (path === HEALTH_PATHS.liveness || path === HEALTH_PATHS.readiness) {
        const probes = path === HEALTH_PATHS.liveness ? options.liveness : options.readiness;
        const failing = await runProbes(probes, timeoutMs);
        const ok = Object.keys(failing).length === 0;
        res
          .writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          .end(JSON.stringify(ok ? { status: 'ok' } : { status: 'unavailable', failing }));
        return;
      }
      if (path === HEALTH_PATHS.metrics) {
        const body = await options.registry.metrics();
        res.writeHead(200, { 'content-type': options.registry.contentType }).end(body);
        return;
      }
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'not_found', message: 'try /healthz, /readyz or /metrics' } }));
    };
    answer().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal', message: messageOf(err) } }));
    });
  });
  // Probes come every few seconds from the kubelet; never hold sockets open past a scrape.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) =>
      reject(new Error(`HEALTH_PORT: cannot listen on ${options.host}:${options.port}: ${err.message}`));
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function runProbes(probes: Record<string, Probe>, timeoutMs: number): Promise<Record<string, string>> {
  const results = await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(probe),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return undefined;
      } catch (err) {
        return [name, messageOf(err)] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(results.filter((r) => r !== undefined));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
