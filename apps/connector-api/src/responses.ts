/**
 * What each route answers, as zod schemas: `/docs/json` documents them and the console's client is
 * typed from that document (`pnpm gen:api`), so console and API cannot drift.
 *
 * The schemas describe the wire (after JSON.stringify: dates are ISO strings). They never shape an
 * answer: `responseSerializer` writes what the handler returned, unchanged, so a field missing here is
 * never silently dropped (zod's object parse strips unknown keys and would otherwise do just that).
 * With `checkResponses` on (every test server), each answer is parsed with its schema and must come
 * out identical: a field the schema lacks, a wrong type or a wrong nullability fails the request with a
 * 500 naming the route and the path, so the tests that already call every route keep the schemas true.
 */

import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { API_ERROR_CODES } from './errors.js';

const isoDate = z.string().describe('ISO 8601 date-time');
const nullableIso = isoDate.nullable();
/** JSON whose shape belongs to AWS or to a check's evidence (policy documents, approval rules, …). */
const json = z.unknown();
const cursor = z.string().nullable().describe('pass as ?cursor= for the next page; null on the last');

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(API_ERROR_CODES),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  })
  .describe('Every failure: a stable code, a message that says what to change, details');

/** The error answers every route may give (4xx for bad input, 5xx for the operator). */
export const ERRORS = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

/** `response` for a route answering `schema` with `status` (200 unless told). */
export function answers<S extends z.ZodType>(
  schema: S,
): { 200: S; '4xx': typeof ErrorBody; '5xx': typeof ErrorBody };
export function answers<S extends z.ZodType, C extends number>(
  schema: S,
  status: C,
): { [K in C]: S } & typeof ERRORS;
export function answers(schema: z.ZodType, status = 200) {
  return { [status]: schema, ...ERRORS };
}

/** A route that answers 204 with no body. */
export const NO_CONTENT = { 204: z.null().describe('no content'), ...ERRORS } as const;

const Tenant = z.object({ id: z.string(), name: z.string() });

export const SessionAnswer = z.object({
  tenant: Tenant,
  csrfToken: z.string().describe('send it as X-CSRF-Token on every state-changing request'),
  expiresAt: isoDate,
});
export const SignInLinkAnswer = z.object({ link: z.string(), path: z.string(), expiresAt: isoDate });

export const TenantCreated = z.object({ tenant: Tenant, apiKey: z.string() });
export const TenantList = z.object({
  tenants: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      createdAt: isoDate,
      validApiKeys: z.number(),
      connections: z.number(),
    }),
  ),
  nextCursor: cursor,
});

const ApiKey = z.object({
  id: z.string(),
  prefix: z.string(),
  createdAt: nullableIso,
  expiresAt: nullableIso,
  revokedAt: nullableIso,
  status: z.enum(['valid', 'expiring', 'expired', 'revoked']),
});
export const ApiKeyList = z.object({ apiKeys: z.array(ApiKey), nextCursor: cursor });
export const ApiKeyRotated = z.object({ apiKey: z.string(), key: ApiKey, expiring: z.array(ApiKey) });
export const ApiKeyRevoked = z.object({ apiKey: ApiKey });

export const SyncRunSummary = z.object({
  id: z.number(),
  connectionId: z.string(),
  trigger: z.string(),
  status: z.string(),
  createdAt: nullableIso,
  startedAt: nullableIso,
  finishedAt: nullableIso,
  durationMs: z.number().nullable(),
});

const SyncStep = z.object({
  status: z.enum(['running', 'succeeded', 'failed', 'skipped']),
  startedAt: isoDate.optional(),
  finishedAt: isoDate.optional(),
  detail: z.string().optional(),
});

export const SyncRunDetail = SyncRunSummary.extend({
  steps: z.record(z.string(), SyncStep),
  error: json,
  awsCalls: z.record(z.string(), z.object({ calls: z.number(), throttled: z.number() })),
  awsCallsTotal: z.number(),
  problems: z.array(
    z.object({
      step: z.string(),
      kind: z.enum(['missing_permission', 'error', 'warning']),
      code: z.string(),
      action: z.string().nullable(),
      resource: z.string().nullable(),
      message: z.string(),
      at: nullableIso,
    }),
  ),
  missingPermissions: z.array(z.string()),
});

const Warning = z.object({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
});

export const Connection = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['pending', 'active', 'error', 'deleted']),
  externalId: z.string(),
  roleArn: z.string().nullable(),
  awsAccountId: z.string().nullable(),
  region: z.string().nullable(),
  syncIntervalMinutes: z.number(),
  auditWindowDays: z.number(),
  permissions: json.describe('the connect probe: each permission and whether the role holds it'),
  warnings: z.array(Warning),
  lastConnectError: z
    .object({ code: z.string(), message: z.string(), at: isoDate })
    .nullable()
    .describe('the last connect call that failed (cleared by a successful one)'),
  connectedAt: nullableIso,
  createdAt: nullableIso,
  updatedAt: nullableIso,
  deletedAt: nullableIso,
  lastSyncRun: SyncRunSummary.nullable(),
});

export const SetupKit = z.object({
  platformAccountId: z.string(),
  externalId: z.string(),
  roleName: z.string(),
  trustPolicy: json,
  permissionsPolicy: json,
  cloudFormationTemplate: json,
  managedPolicyAlternative: json,
});

export const ConnectionCreated = z.object({ connection: Connection, setupKit: SetupKit });
export const ConnectionList = z.object({ connections: z.array(Connection), nextCursor: cursor });
export const ConnectionAnswer = z.object({ connection: Connection });
export const SetupKitAnswer = z.object({ setupKit: SetupKit });
export const Connected = z.object({
  connection: Connection,
  probe: json.describe('what the connect call found: account, Region, each permission, warnings'),
  syncRunId: z.number(),
});

export const SyncRunAnswer = z.object({ syncRun: SyncRunSummary });
export const SyncRunList = z.object({ syncRuns: z.array(SyncRunSummary), nextCursor: cursor });
export const SyncRunDetailAnswer = z.object({ syncRun: SyncRunDetail });

const Queued = z.array(z.object({ connectionId: z.string(), runId: z.number() }));
export const PeopleUpserted = z.object({
  created: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  evaluationsQueued: Queued,
});
export const LinksUpserted = PeopleUpserted.extend({ warnings: z.array(Warning) });
export const PeopleList = z.object({
  people: z.array(
    z.object({
      email: z.string(),
      name: z.string().nullable(),
      status: z.enum(['active', 'offboarded']),
      offboardedAt: nullableIso,
    }),
  ),
  nextCursor: cursor,
});
export const LinkList = z.object({
  links: z.array(z.object({ iamUserArn: z.string(), personEmail: z.string() })),
  nextCursor: cursor,
});

const Counts = z.object({
  pass: z.number(),
  fail: z.number(),
  unknown: z.number(),
  not_applicable: z.number(),
});
const FindingStatus = z.enum(['pass', 'fail', 'unknown', 'not_applicable']);
const Gaps = z.object({
  missingPermissions: z.array(z.object({ action: z.string(), step: z.string() })),
  failedSteps: z.array(z.object({ step: z.string(), reason: z.string() })),
});

export const CheckRun = z.object({
  id: z.number(),
  syncRunId: z.number(),
  trigger: z.string(),
  evaluatedAt: nullableIso,
  judgedAt: nullableIso,
  rosterAsOf: nullableIso,
  partial: z.boolean(),
  auditWindowDays: z.number().nullable(),
  gaps: Gaps,
  notes: z.array(json),
});

export const Check = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  controls: json,
  status: FindingStatus.nullable(),
  counts: Counts,
  howToFix: json,
});

export const Finding = z.object({
  id: z.number(),
  checkId: z.string(),
  resourceType: z.string(),
  resourceId: z.string(),
  resourceName: z.string(),
  status: FindingStatus,
  reason: z.string(),
  evidence: json.describe(
    'what decided it; a {"$ref": "sha256:…"} part is read at …/evidence-references/{digest}',
  ),
});

export const ChecksAnswer = z.object({ checkRun: CheckRun, checks: z.array(Check) });
export const FindingsAnswer = z.object({
  checkRun: CheckRun,
  check: Check,
  findings: z.array(Finding),
  nextCursor: cursor,
});
export const FindingChanges = z.object({
  from: CheckRun,
  to: CheckRun,
  checkId: z.string(),
  change: z.enum(['new_failures', 'fixed']),
  findings: z.array(Finding).describe('new failures: as they fail in `to`; fixed: as they failed in `from`'),
  nextCursor: cursor,
});
export const EvidenceReference = z.object({ ref: z.string(), evidence: json });
export const CheckRunHistory = z.object({
  checkRuns: z.array(
    CheckRun.extend({
      results: z.record(z.string(), FindingStatus).describe('each check’s status in that run, by check id'),
      counts: z
        .record(z.string(), Counts)
        .describe(
          'each check’s findings by status in that run, by check id (the history chart’s failing counts)',
        ),
    }),
  ),
  nextCursor: cursor,
});

const AsOf = z.object({ id: z.number(), status: z.string(), finishedAt: nullableIso });

export const RepositoryList = z.object({
  syncRun: AsOf,
  repositories: z.array(
    z.object({
      repositoryId: z.string(),
      name: z.string(),
      arn: z.string().nullable(),
      accountId: z.string().nullable(),
      description: z.string().nullable(),
      defaultBranch: z.string().nullable(),
      cloneUrlHttp: z.string().nullable(),
      cloneUrlSsh: z.string().nullable(),
      createdAt: nullableIso,
      lastModifiedAt: nullableIso,
      approvalRuleTemplates: z.array(z.string()),
    }),
  ),
  nextCursor: cursor,
  gaps: Gaps,
});

export const BranchList = z.object({
  syncRun: AsOf,
  repository: z.object({ repositoryId: z.string(), name: z.string() }),
  branches: z.array(z.object({ name: z.string(), commitId: z.string().nullable(), isDefault: z.boolean() })),
  nextCursor: cursor,
});

export const PullRequestList = z.object({
  syncRun: AsOf,
  pullRequests: z.array(
    z.object({
      pullRequestId: z.string(),
      repository: z.string(),
      title: z.string().nullable(),
      authorArn: z.string().nullable(),
      status: z.string(),
      isMerged: z.boolean(),
      mergedBy: z.string().nullable(),
      mergedAt: nullableIso,
      sourceReference: z.string().nullable(),
      destinationReference: z.string().nullable(),
      revisionId: z.string().nullable(),
      createdAt: nullableIso,
      lastActivityAt: nullableIso,
      approvals: z.array(
        z.object({
          revisionId: z.string(),
          userArn: z.string(),
          state: z.string(),
          onFinalRevision: z.boolean(),
        }),
      ),
      approvalRules: json,
      evaluation: json,
      overrideState: json,
    }),
  ),
  nextCursor: cursor,
});

const AccessLevel = z.string().describe('none, read, write or admin');

export const IamUserList = z.object({
  syncRun: AsOf,
  rosterAsOf: isoDate,
  iamUsers: z.array(
    z.object({
      arn: z.string(),
      name: z.string(),
      hasAccess: z.enum(['yes', 'no', 'unknown']),
      policyAccess: z.union([z.boolean(), z.literal('unknown')]),
      level: AccessLevel,
      repositoryCount: z.number(),
      repositories: z
        .array(z.object({ name: z.string(), level: AccessLevel }))
        .describe('the first repositories it reaches; the access-review export lists them all'),
      repositoriesTruncated: z.boolean().describe('repositoryCount is more than repositories lists'),
      grantedBy: z.array(z.string()),
      person: z
        .object({
          email: z.string(),
          name: z.string(),
          status: z.enum(['active', 'offboarded']),
          offboardedAt: nullableIso,
        })
        .nullable(),
      linkMethod: z.string().nullable(),
      linkedEmail: z.string().nullable(),
      consolePassword: z.boolean().nullable(),
      mfaActive: z.boolean().nullable(),
      passwordLastUsed: nullableIso,
      accessKeys: z
        .array(z.object({ id: z.string().nullable(), active: z.boolean(), lastUsed: nullableIso }))
        .nullable(),
      lastUsed: nullableIso,
      usableCredentials: z.array(z.string()),
      credentialsNotCollected: z.array(z.string()),
    }),
  ),
  nextCursor: cursor,
  gaps: Gaps,
});

export const Healthy = z.object({ status: z.literal('ok') });
export const Ready = z.object({
  status: z.literal('ready'),
  checks: z.object({ postgres: z.string(), redis: z.string() }),
});

/** A response schema that failed its check: which route, which path, what. */
export class ResponseDrift extends Error {
  override readonly name = 'ResponseDrift';
}

/**
 * The serializer every route's answer goes through. Unchecked (production): `JSON.stringify` of what
 * the handler returned, so the schema can neither drop nor coerce a field. Checked (tests): the answer
 * as it goes on the wire must parse with its schema to exactly itself.
 */
export function responseSerializer(check: boolean) {
  return ({ schema, method, url }: { schema: unknown; method: string; url: string }) =>
    (data: unknown): string => {
      const body = JSON.stringify(data);
      if (!check || !(schema instanceof z.ZodType) || body === undefined) return body;
      const wire: unknown = JSON.parse(body);
      const parsed = schema.safeParse(wire);
      if (!parsed.success) {
        const e = new ResponseDrift(
          `${method} ${url} answered outside its response schema: ${z.prettifyError(parsed.error)}`,
        );
        // Checked only in tests: print it, so the failing test names the route and the field.
        console.error(e.message);
        throw e;
      }
      if (!isDeepStrictEqual(parsed.data, wire)) {
        const e = new ResponseDrift(
          `${method} ${url} answered fields its response schema does not list: ${firstDifference(wire, parsed.data)}`,
        );
        // Checked only in tests: print it, so the failing test names the route and the field.
        console.error(e.message);
        throw e;
      }
      return body;
    };
}

/** The first path where `a` (the answer) holds what `b` (the parsed answer) does not. */
function firstDifference(a: unknown, b: unknown, path = '$'): string {
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const [k, v] of Object.entries(a)) {
      if (!(k in b)) return `${path}.${k}`;
      const d = firstDifference(v, (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return '';
  }
  return isDeepStrictEqual(a, b) ? '' : path;
}
