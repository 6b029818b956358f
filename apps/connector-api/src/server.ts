/**
 * The HTTP server: `buildServer(deps)` wires validation (zod), the error format, authentication,
 * OpenAPI, metrics and the route plugins. Tests call it with real Postgres, Redis and fake-aws.
 *
 * To add a resource (e.g. issue 7's checks and evidence reads), write `routes/<resource>.ts` exporting
 * a `RoutePlugin` and append it to ROUTES; `scope: 'tenant'` puts it behind the API-key check.
 */

import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { apiKeyHook } from './auth.js';
import { consoleRoutes } from './console.js';
import { type App, type AppContext, DEFAULT_LIMITS, type RoutePlugin, type ServerDeps } from './context.js';
import { ApiError, isApiError, rateLimited } from './errors.js';
import { createMetrics } from './metrics.js';
import { responseSerializer } from './responses.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { checkRoutes } from './routes/checks.js';
import { connectRoutes } from './routes/connect.js';
import { connectionRoutes } from './routes/connections.js';
import { evidenceRoutes } from './routes/evidence.js';
import { exportRoutes } from './routes/exports.js';
import { healthRoutes } from './routes/health.js';
import { peopleRoutes } from './routes/people.js';
import { syncRoutes } from './routes/syncs.js';
import { tenantRoutes } from './routes/tenants.js';
import { sessionRoutes } from './session.js';

export const ROUTES: readonly RoutePlugin[] = [
  healthRoutes,
  tenantRoutes,
  sessionRoutes,
  apiKeyRoutes,
  connectionRoutes,
  connectRoutes,
  syncRoutes,
  peopleRoutes,
  checkRoutes,
  evidenceRoutes,
  exportRoutes,
  consoleRoutes,
];

/** Every route but the bulk roster uploads (which set their own) takes at most this much JSON. */
export const DEFAULT_BODY_LIMIT = 256 * 1024;

export async function buildServer(deps: ServerDeps, routes: readonly RoutePlugin[] = ROUTES): Promise<App> {
  const ctx: AppContext = {
    ...deps,
    metrics: createMetrics(),
    now: deps.now ?? (() => new Date()),
    limits: { ...DEFAULT_LIMITS, ...deps.config.limits },
  };
  const app = Fastify({
    // Request logs carry method, URL and status only: no headers, so no Authorization.
    loggerInstance: deps.logger.child(
      {},
      {
        serializers: {
          req: (req: { method?: string; url?: string; id?: string }) => ({
            method: req.method,
            url: req.url,
            id: req.id,
          }),
        },
      },
    ) as FastifyBaseLogger,
    bodyLimit: DEFAULT_BODY_LIMIT,
    routerOptions: { maxParamLength: 200 },
    // Proto-poisoned JSON (`__proto__`, `constructor.prototype`) is refused with a 400.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Errors raised before routing (a path with invalid percent-encoding) skip the error handler: a path
    // that cannot be decoded names no resource, so it answers like one that does not exist.
    frameworkErrors: (error: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      const e = new ApiError(
        404,
        'not_found',
        'No such resource (the URL is not valid percent-encoded UTF-8).',
        {
          reason: (error as FastifyError).code ?? 'bad_url',
        },
      );
      reply.code(e.statusCode).send(e.toBody());
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // Answers are written as the handlers return them; tests check each against its schema (responses.ts).
  app.setSerializerCompiler(responseSerializer(deps.checkResponses ?? false));
  installErrorHandling(app);
  installMetrics(app, ctx);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'CodeCommit Evidence API',
        version: '1.0.0',
        description:
          'Connections to AWS CodeCommit accounts, sync runs, roster and identity links, check results, evidence and exports. ' +
          'Errors are {error: {code, message, details}}; a bad request is a 4xx naming the field, never a 5xx. ' +
          'Every list is paginated (?limit=, ?cursor= from nextCursor). Each tenant is held to a request rate and a number of new connections an hour ' +
          '(429 rate_limited with Retry-After, shared by every API replica). A deleted connection is read-only: its reads and exports keep answering, changes answer 409 connection_deleted.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'Tenant API key' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN (/v1/tenants only)' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'cce_session',
            description: 'Console session (POST /v1/session); state-changing requests also send X-CSRF-Token',
          },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  for (const r of routes.filter((x) => x.scope !== 'tenant')) await r.register(app, ctx);
  await app.register(async (scoped) => {
    scoped.addHook('onRequest', apiKeyHook(ctx));
    await scoped.register(rateLimit, tenantRateLimit(ctx));
    const typed = scoped.withTypeProvider<ZodTypeProvider>();
    for (const r of routes.filter((x) => x.scope === 'tenant')) await r.register(typed, ctx);
  });
  await app.ready();
  return app;
}

/**
 * Requests per tenant per minute over every tenant-scoped route, counted in Redis so that all API
 * replicas share one budget. It runs after the API-key check (the key is the tenant, not the IP: many
 * tenants may sit behind one proxy) and before the body is read. When Redis is unreachable the limit
 * is skipped rather than failing every read: the limit protects the platform, it is not the data.
 */
function tenantRateLimit(ctx: AppContext) {
  return {
    hook: 'preParsing' as const,
    max: ctx.limits.requestsPerMinute,
    timeWindow: 60_000,
    redis: ctx.redis,
    nameSpace: `${ctx.queuePrefix}:rate-limit:`,
    keyGenerator: (req: FastifyRequest) => `tenant:${req.tenant?.id ?? 'none'}`,
    skipOnError: true,
    errorResponseBuilder: (_req: FastifyRequest, c: { max: number; ttl: number; after: string }) =>
      rateLimited(`More than ${c.max} requests in a minute from this tenant; retry in ${c.after}.`, {
        limit: c.max,
        windowSeconds: 60,
        retryAfterSeconds: Math.ceil(c.ttl / 1000),
      }),
  };
}

/** Route patterns by method, to tell "no such path" (404) from "no such method here" (405). */
function installErrorHandling(app: App): void {
  const patterns: { regex: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const source = route.url
      .split('/')
      .map((seg) =>
        seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/');
    patterns.push({
      regex: new RegExp(`^${source}/?$`),
      methods: new Set(methods.map((m) => m.toUpperCase())),
    });
  });

  app.setNotFoundHandler((req, reply) => {
    const path = (req.url.split('?')[0] ?? '/').replace(/\/+$/, '') || '/';
    const allowed = new Set<string>();
    for (const p of patterns) if (p.regex.test(path)) for (const m of p.methods) allowed.add(m);
    if (allowed.size > 0) {
      const allow = [...allowed].sort().join(', ');
      return reply
        .code(405)
        .header('allow', allow)
        .send(
          new ApiError(405, 'method_not_allowed', `${req.method} is not allowed here; use ${allow}.`, {
            allow: [...allowed].sort(),
          }).toBody(),
        );
    }
    return reply.code(404).send(new ApiError(404, 'not_found', `No route ${req.method} ${path}.`).toBody());
  });

  app.setErrorHandler((err: FastifyError | ApiError | Error, req, reply) => {
    const send = (e: ApiError) => reply.code(e.statusCode).send(e.toBody());
    if (isApiError(err)) return send(err);
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = (err as { validationContext?: string }).validationContext ?? 'body';
      const issues = err.validation.map((v) => {
        const field = [where, ...v.instancePath.split('/').filter(Boolean)].join('.');
        // The zod issue's own fields (minus path/code/message) are in `params`; `keyword` is its code.
        const keys =
          v.keyword === 'unrecognized_keys' ? (v.params as { keys?: string[] } | undefined)?.keys : undefined;
        return keys
          ? { field: `${field}.${keys[0]}`, message: `unknown field (${keys.join(', ')})` }
          : { field, message: v.message ?? 'invalid' };
      });
      const first = issues[0];
      return send(
        new ApiError(
          400,
          'invalid_request',
          first ? `${first.field}: ${first.message}` : 'Invalid request.',
          {
            issues: issues.slice(0, 20),
            issueCount: issues.length,
          },
        ),
      );
    }
    const fe = err as FastifyError;
    switch (fe.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return send(
          new ApiError(413, 'payload_too_large', 'The request body is too large.', {
            limitBytes: req.routeOptions.bodyLimit,
          }),
        );
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return send(
          new ApiError(415, 'unsupported_media_type', 'Send JSON with Content-Type: application/json.'),
        );
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return send(new ApiError(400, 'malformed_json', 'The body is empty but Content-Type says JSON.'));
    }
    if (err instanceof SyntaxError || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return send(
        new ApiError(400, 'malformed_json', 'The body is not valid JSON.', {
          reason: err.message.slice(0, 200),
        }),
      );
    }
    const status = fe.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return send(
        new ApiError(status, 'invalid_request', err.message.slice(0, 500), { fastifyCode: fe.code ?? null }),
      );
    }
    if (isDependencyOutage(err)) {
      req.log.warn({ err }, 'dependency unavailable');
      return send(
        new ApiError(
          503,
          'service_unavailable',
          'A backing service (Postgres or Redis) is unavailable; try again shortly.',
        ),
      );
    }
    req.log.error({ err }, 'unexpected error');
    return send(
      new ApiError(500, 'internal_error', 'Internal error; it has been logged.', { requestId: req.id }),
    );
  });
}

/** Postgres or Redis down or unreachable: the request was fine, the platform is not (503, not 500). */
function isDependencyOutage(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P03', '53300'].includes(
      code,
    )
  ) {
    return true;
  }
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    /Connection is closed|Stream isn't writeable|Connection terminated|timeout exceeded when trying to connect/i.test(
      err.message,
    )
  );
}

function installMetrics(app: App, ctx: AppContext): void {
  app.addHook('onResponse', async (req, reply) => {
    const labels = {
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    };
    ctx.metrics.httpRequests.inc(labels);
    ctx.metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });
}
