/**
 * Integration harness: a real server over this test file's own Postgres database and Redis prefix,
 * with fake-aws as AWS (the real SDK clients over HTTP). Log lines are captured so tests can assert
 * that no secret reaches them. Helpers play the customer as the demo does: create the role through
 * fake-aws's IAM API with the admin credentials, from the setup kit.
 */

import { Writable } from 'node:stream';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import type { Database } from '@codecommit-evidence/evidence-store';
import { type FakeAws, generateScenario, startFakeAws } from '@codecommit-evidence/fake-aws';
import {
  assertRedisReachable,
  closeQueues,
  createFlowProducer,
  createQueues,
  createRedisConnection,
  type Queues,
} from '@codecommit-evidence/queues';
import { REDACT_PATHS } from '@codecommit-evidence/runtime';
import { useTestDatabase, useTestRedis } from '@codecommit-evidence/testing';
import type { FlowProducer } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { ApiLimits, App, RoutePlugin, ServerDeps } from '../src/context.js';
import { buildServer } from '../src/server.js';
import type { PolicyDocument } from '../src/setup-kit.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** generateScenario's platform and customer accounts. */
export const PLATFORM_ACCOUNT_ID = '444455556666';
export const CUSTOMER_ACCOUNT_ID = '111122223333';
export const REPO_REGION = 'us-east-1';

export interface Harness {
  app: App;
  fake: FakeAws;
  db: Kysely<Database>;
  redis: Redis;
  queues: Queues;
  flowProducer: FlowProducer;
  prefix: string;
  logs: string[];
  deps: ServerDeps;
}

/**
 * Limits high enough that no test meets one by accident (the limits' own tests set theirs): a test
 * file's requests come from a few tenants in a few seconds.
 */
export const TEST_LIMITS: Partial<ApiLimits> = {
  requestsPerMinute: 1_000_000,
  connectionsPerHour: 100_000,
  syncMinIntervalSeconds: 0,
};

export function useHarness(
  options: {
    routes?: readonly RoutePlugin[];
    fakeLatencyMs?: number;
    limits?: Partial<ApiLimits>;
    now?: () => Date;
  } = {},
): {
  readonly current: Harness;
} {
  const database = useTestDatabase();
  const testRedis = useTestRedis();
  const holder = { current: undefined as unknown as Harness };
  beforeAll(async () => {
    const fake = await startFakeAws({
      scenario: generateScenario({ repos: 3, prsPerRepo: 2, users: 4, seed: 11, productRole: null }),
      credentialReportDelayMs: 0,
      ...(options.fakeLatencyMs ? { latencyMs: options.fakeLatencyMs } : {}),
    });
    const redis = createRedisConnection(testRedis.current.url, 'producer');
    redis.on('error', () => {});
    await assertRedisReachable(redis);
    const prefix = testRedis.current.prefix;
    const queues = createQueues(redis, prefix);
    const flowProducer = createFlowProducer(redis, prefix);
    const logs: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    });
    const logger = pino({ level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    const deps: ServerDeps = {
      db: database.current.db,
      redis,
      queues,
      flowProducer,
      queuePrefix: prefix,
      logger,
      config: {
        adminToken: ADMIN_TOKEN,
        platformAccountId: PLATFORM_ACCOUNT_ID,
        defaultSyncIntervalMinutes: 360,
        limits: { ...TEST_LIMITS, ...options.limits },
      },
      aws: { endpoint: fake.url, platformCredentials: fake.platformCredentials, maxAttempts: 2 },
      ...(options.now ? { now: options.now } : {}),
      // Every answer of every test must be exactly what its response schema documents.
      checkResponses: true,
    };
    const app = await buildServer(deps, options.routes);
    holder.current = { app, fake, db: database.current.db, redis, queues, flowProducer, prefix, logs, deps };
  });
  afterAll(async () => {
    const h = holder.current;
    if (!h) return;
    await h.app.close();
    await closeQueues(h.queues);
    await h.flowProducer.close();
    h.redis.disconnect();
    await h.fake.close();
  });
  return holder;
}

export interface ApiResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response JSON by path
  body: any;
  headers: Record<string, unknown>;
}

export async function api(
  app: App,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  options: { token?: string; body?: unknown } = {},
): Promise<ApiResponse> {
  const res = await app.inject({
    method,
    url,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.body !== undefined ? { payload: JSON.stringify(options.body) } : {}),
  });
  return { status: res.statusCode, body: res.body ? safeJson(res.body) : undefined, headers: res.headers };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

export async function newTenant(app: App, name = 'Acme'): Promise<{ id: string; apiKey: string }> {
  const res = await api(app, 'POST', '/v1/tenants', { token: ADMIN_TOKEN, body: { name } });
  if (res.status !== 201) throw new Error(`tenant: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.tenant.id, apiKey: res.body.apiKey };
}

export async function newConnection(
  app: App,
  apiKey: string,
  body: Record<string, unknown> = { name: 'prod' },
) {
  const res = await api(app, 'POST', '/v1/connections', { token: apiKey, body });
  if (res.status !== 201) throw new Error(`connection: ${res.status} ${JSON.stringify(res.body)}`);
  // biome-ignore lint/suspicious/noExplicitAny: tests read the setup kit by path
  return res.body as { connection: { id: string; externalId: string }; setupKit: any };
}

export function adminIam(fake: FakeAws): IAMClient {
  return new IAMClient({
    endpoint: fake.url,
    region: 'us-east-1',
    credentials: fake.adminCredentials,
    maxAttempts: 1,
  });
}

/** The customer creates the role: trust policy, an inline permissions policy and/or managed policies. */
export async function createRole(
  fake: FakeAws,
  roleName: string,
  trustPolicy: PolicyDocument | Record<string, unknown>,
  permissions: { inline?: PolicyDocument | Record<string, unknown>; managed?: string[] } = {},
): Promise<string> {
  const iam = adminIam(fake);
  try {
    const out = await iam.send(
      new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trustPolicy) }),
    );
    if (permissions.inline) {
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: 'CodeCommitEvidenceReadOnly',
          PolicyDocument: JSON.stringify(permissions.inline),
        }),
      );
    }
    for (const arn of permissions.managed ?? []) {
      await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn }));
    }
    const arn = out.Role?.Arn;
    if (!arn) throw new Error('CreateRole returned no ARN');
    return arn;
  } finally {
    iam.destroy();
  }
}

export async function deleteRole(fake: FakeAws, roleName: string): Promise<void> {
  const iam = adminIam(fake);
  try {
    const inline = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
    for (const name of inline.PolicyNames ?? []) {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
    }
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
    for (const p of attached.AttachedPolicies ?? []) {
      await iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: p.PolicyArn }));
    }
    await iam.send(new DeleteRoleCommand({ RoleName: roleName }));
  } finally {
    iam.destroy();
  }
}

/** A permissions policy without some actions (the customer trimmed the kit's policy). */
export function policyWithout(policy: PolicyDocument, removed: string[]): PolicyDocument {
  return {
    ...policy,
    Statement: policy.Statement.map((s) => ({
      ...s,
      Action: (s.Action as string[]).filter((a) => !removed.includes(a)),
    })),
  };
}
