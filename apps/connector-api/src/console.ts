/**
 * Serves the web console (apps/console's build) on the API's own origin, so the console calls the
 * public API with its session cookie and no CORS. `/console/assets/*` are content-hashed files served
 * pre-compressed (brotli, gzip) and cached for a year; every page of the console answers `index.html`
 * (the single-page app routes in the browser), and a path that is no page of the console answers the
 * same document with status 404, which renders the console's "no such page".
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { RoutePlugin } from './context.js';

export const CONSOLE_PREFIX = '/console';

/** The console's build in this checkout (apps/console/dist), beside connector-api's dist. */
export function defaultConsoleDir(): string | undefined {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../console/dist');
  return existsSync(path.join(dir, 'index.html')) ? dir : undefined;
}

/** Only the console's own files, the API and nothing inline: a stored value can never run as script. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

function pagePattern(route: string): RegExp {
  const source = route
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

export const consoleRoutes: RoutePlugin = {
  name: 'console',
  scope: 'public',
  async register(app, ctx) {
    const dir = ctx.config.consoleDir;
    app.get('/', { schema: { hide: true } }, (_req, reply) => reply.redirect(`${CONSOLE_PREFIX}/`));
    if (!dir) {
      app.get(`${CONSOLE_PREFIX}/*`, { schema: { hide: true } }, (_req, reply) =>
        reply
          .code(404)
          .type('text/plain; charset=utf-8')
          .send('The console is not built: run `pnpm build` (or set CONSOLE_DIR to its folder).\n'),
      );
      return;
    }
    const index = readFileSync(path.join(dir, 'index.html'));
    // The console's page patterns (`/checks/:checkId`, …), written by its build.
    const pages = (JSON.parse(readFileSync(path.join(dir, 'pages.json'), 'utf8')) as string[]).map(
      pagePattern,
    );
    const sendIndex = (reply: FastifyReply, status: number) =>
      reply
        .code(status)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .send(index);

    await app.register(fastifyStatic, {
      root: path.join(dir, 'assets'),
      prefix: `${CONSOLE_PREFIX}/assets/`,
      preCompressed: true,
      immutable: true,
      maxAge: '365d',
      index: false,
      wildcard: true,
      schemaHide: true,
    });
    app.get(CONSOLE_PREFIX, { schema: { hide: true } }, (_req, reply) =>
      reply.redirect(`${CONSOLE_PREFIX}/`),
    );
    app.get(`${CONSOLE_PREFIX}/*`, { schema: { hide: true } }, (req, reply) => {
      const page = (req.url.split('?')[0] ?? '').slice(CONSOLE_PREFIX.length) || '/';
      return sendIndex(reply, pages.some((p) => p.test(page)) ? 200 : 404);
    });
  },
};
