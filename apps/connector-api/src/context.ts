/** What route plugins get: the server's dependencies, its metrics and a clock. */

import type { Database } from '@codecommit-evidence/evidence-store';
import type { Queues } from '@codecommit-evidence/queues';
import type { Logger } from '@codecommit-evidence/runtime';
import type { FlowProducer } from 'bullmq';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { ApiMetrics } from './metrics.js';
import type { SessionConfig } from './session.js';

export interface AwsAccess {
  /** AWS endpoint override (fake-aws in tests and the demo); unset = real AWS. */
  endpoint?: string;
  /** The platform's identity; unset = the SDK default chain (env, container role, IRSA). */
  platformCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Attempts per AWS call in the connect flow (first included). */
  maxAttempts?: number;
  requestTimeoutMs?: number;
}

/** What one tenant may do how often (all API replicas share the counters, in Redis). */
export interface ApiLimits {
  /** A new sync run of a connection is refused this soon after its last one was created (0: never). */
  syncMinIntervalSeconds: number;
  /** Requests per tenant per minute, every tenant-scoped route together. */
  requestsPerMinute: number;
  /** `POST /v1/connections` per tenant per hour. */
  connectionsPerHour: number;
  /** How long a rotated API key stays valid by default. */
  apiKeyGraceMinutes: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  syncMinIntervalSeconds: 300,
  requestsPerMinute: 600,
  connectionsPerHour: 20,
  apiKeyGraceMinutes: 1440,
};

export interface ServerConfig {
  adminToken: string;
  platformAccountId: string;
  defaultSyncIntervalMinutes: number;
  /** Console sessions (session.ts); unset = 8 hours, cookie without `Secure`. */
  session?: SessionConfig;
  /** Folder of the console's built assets (apps/console/dist); unset = the console is not served. */
  consoleDir?: string;
  /** Unset fields take DEFAULT_LIMITS. */
  limits?: Partial<ApiLimits>;
}

export interface ServerDeps {
  db: Kysely<Database>;
  /** A producer connection (fails fast while Redis is down). */
  redis: Redis;
  queues: Queues;
  flowProducer: FlowProducer;
  queuePrefix: string;
  logger: Logger;
  config: ServerConfig;
  aws: AwsAccess;
  now?: () => Date;
  /** Check every answer against its route's response schema (tests; responses.ts). Off: unchecked. */
  checkResponses?: boolean;
}

export interface AppContext extends ServerDeps {
  metrics: ApiMetrics;
  now: () => Date;
  limits: ApiLimits;
}

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** One resource's routes. `tenant` plugins run behind the API-key check. */
export interface RoutePlugin {
  name: string;
  scope: 'public' | 'admin' | 'tenant';
  register: (app: App, ctx: AppContext) => void | Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the API-key check on tenant-scoped routes. */
    tenant?: { id: string; name: string };
  }
}
