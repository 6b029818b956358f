import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { AwsError } from './errors.js';
import {
  type ActiveFault,
  FaultPlan,
  type FaultRuleInput,
  faultRuleProblem,
  truncateBody,
} from './faults.js';
import { type Identity, parseAuthorization, sessionIdentity } from './identity.js';
import { applyJsonPatch, type JsonPatchOperation } from './json-patch.js';
import { evaluatePolicies } from './policy/evaluate.js';
import { CODECOMMIT_TARGET_PREFIX, JSON_CONTENT_TYPE, jsonError } from './protocols/json.js';
import { queryError, queryResponse } from './protocols/query.js';
import { RateLimiter } from './rate-limit.js';
import { applyPullRequestChanges, pullRequestChangeSchema } from './scenario/changes.js';
import {
  loadScenarioFile,
  parseScenario,
  type ScenarioIssue,
  ScenarioValidationError,
  shiftScenarioDates,
  storyShiftMs,
} from './scenario/load.js';
import type { Scenario, ScenarioInput } from './scenario/schema.js';
import { codecommitOperations } from './services/codecommit.js';
import { type CallContext, type JsonInput, RawJson, type ServerState } from './services/context.js';
import { iamOperations } from './services/iam.js';
import { stsOperations } from './services/sts.js';
import { World } from './world.js';

export type ServiceName = 'codecommit' | 'iam' | 'sts';

/** Per-operation counters, keyed `service:Operation` (e.g. `codecommit:GetPullRequest`). */
export interface FakeStats {
  calls: Record<string, number>;
  throttled: Record<string, number>;
  faulted: Record<string, number>;
  denied: Record<string, number>;
  /** Answers the fault knob changed (any kind), keyed like `calls`. */
  injected: Record<string, number>;
}

/** The knobs that can change while the server runs. */
export interface FakeAwsTunables {
  /** Added to every AWS response, in milliseconds. */
  latencyMs: number;
  /** Requests per second per service, per account and region; absent = unlimited. */
  rates: Partial<Record<ServiceName, number>>;
  /** Probability (0..1) that a request is answered with a 5xx fault. */
  faultRate: number;
  /** How long GenerateCredentialReport takes to complete. */
  credentialReportDelayMs: number;
}

export interface FakeAwsLogger {
  info(message: string): void;
  error(message: string): void;
}

export interface FakeAwsOptions extends Partial<FakeAwsTunables> {
  /** A scenario object or the path of a scenario file. */
  scenario: Scenario | ScenarioInput | string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Move every date by (now - scenario.referenceDate), so a story's "last week" stays last week. */
  shiftDates?: boolean;
  /**
   * Treat any access key that is not the admin's or a role session's as the platform identity (for a
   * demo whose workers run with whatever credentials their environment has). Default false: unknown
   * keys get InvalidClientTokenId / UnrecognizedClientException, as in AWS.
   */
  anyKeyIsPlatform?: boolean;
  /** Per-operation faults in force from the start (see `setFaults`). */
  faults?: FaultRuleInput[];
  /** Clock in epoch milliseconds (tests use it to expire sessions or age reports). */
  clock?: () => number;
  logger?: FakeAwsLogger;
}

export interface AccessKeyPair {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface FakeAws {
  /** e.g. `http://127.0.0.1:4566`; use it as the SDK `endpoint` (or `AWS_ENDPOINT_URL`). */
  url: string;
  port: number;
  /** The platform's own identity: it can only call sts:AssumeRole and sts:GetCallerIdentity. */
  platformCredentials: AccessKeyPair;
  /** The customer account's administrator: allowed everything in the customer account. */
  adminCredentials: AccessKeyPair;
  /** The current scenario, including roles created through IAM. */
  scenario(): Scenario;
  stats(): FakeStats;
  resetStats(): void;
  /** Replaces the world (validated). Role sessions already issued stay valid. */
  setScenario(scenario: Scenario | ScenarioInput): void;
  /** Mutates a deep copy of the current scenario, validates it and swaps it in. */
  updateScenario(fn: (draft: Scenario) => void): void;
  setOptions(options: Partial<FakeAwsTunables>): void;
  options(): FakeAwsTunables;
  /** Replaces the per-operation faults (validated: unknown operation, bad kind or size throw). */
  setFaults(rules: FaultRuleInput[]): ActiveFault[];
  /** Adds one per-operation fault. */
  addFault(rule: FaultRuleInput): ActiveFault[];
  clearFaults(): void;
  faults(): ActiveFault[];
  close(): Promise<void>;
}

const changesBodySchema = z.strictObject({
  region: z.string().min(1),
  changes: z.array(pullRequestChangeSchema).min(1),
});

const tunablesSchema = z.strictObject({
  latencyMs: z.number().min(0).optional(),
  rates: z.partialRecord(z.enum(['codecommit', 'iam', 'sts']), z.number().positive()).optional(),
  faultRate: z.number().min(0).max(1).optional(),
  credentialReportDelayMs: z.number().min(0).optional(),
});

const PLATFORM_ALLOWED = new Set(['sts:assumerole', 'sts:getcalleridentity']);

function emptyStats(): FakeStats {
  return { calls: {}, throttled: {}, faulted: {}, denied: {}, injected: {} };
}

const bump = (counter: Record<string, number>, key: string) => {
  counter[key] = (counter[key] ?? 0) + 1;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The in-process core: everything but the socket, so benchmarks can time the handlers alone. */
export class FakeAwsCore {
  readonly state: ServerState;
  tunables: FakeAwsTunables;
  statsData: FakeStats = emptyStats();
  readonly limiter = new RateLimiter();
  readonly faults = new FaultPlan();
  readonly clock: () => number;
  readonly logger: FakeAwsLogger | undefined;
  private readonly shiftDates: boolean;
  private readonly anyKeyIsPlatform: boolean;
  private platformArn = '';

  constructor(options: FakeAwsOptions) {
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger;
    this.shiftDates = options.shiftDates ?? false;
    this.anyKeyIsPlatform = options.anyKeyIsPlatform ?? false;
    this.tunables = {
      latencyMs: options.latencyMs ?? 0,
      rates: { ...options.rates },
      faultRate: options.faultRate ?? 0,
      credentialReportDelayMs: options.credentialReportDelayMs ?? 2000,
    };
    const { scenario, faults } = this.prepare(options.scenario);
    this.state = {
      world: new World(scenario),
      sessions: new Map(),
      credentialReport: { startedAt: undefined, content: undefined, generatedAt: undefined },
      credentialReportDelayMs: this.tunables.credentialReportDelayMs,
    };
    this.onScenario();
    // The scenario's own faults first, then the caller's: both are in force from the start.
    this.setFaults([...(faults ?? []), ...(options.faults ?? [])]);
  }

  /** Whether `service:Operation` is one fake-aws answers. */
  knowsOperation = (operation: string): boolean => {
    const [service, name = ''] = operation.split(':');
    const table =
      service === 'codecommit'
        ? codecommitOperations
        : service === 'iam'
          ? iamOperations
          : service === 'sts'
            ? stsOperations
            : undefined;
    return table !== undefined && Object.hasOwn(table, name);
  };

  setFaults(rules: unknown): ActiveFault[] {
    return this.faults.set(rules, this.knowsOperation);
  }

  addFault(rule: unknown): ActiveFault[] {
    return this.faults.add(rule, this.knowsOperation);
  }

  /** Throws the error an error-kind fault prescribes for this request. */
  private injectError(key: string, request: unknown, json: boolean): void {
    if (this.faults.empty) return;
    try {
      this.faults.beforeRun(key, request, json);
    } catch (error) {
      bump(this.statsData.injected, key);
      const code = (error as AwsError).code;
      if (code === 'Throttling' || code === 'ThrottlingException') bump(this.statsData.throttled, key);
      if (code === 'InternalFailure') bump(this.statsData.faulted, key);
      throw error;
    }
  }

  /**
   * Validates a scenario and splits off its `faults`: they go to the fault plan, not the world, so an
   * `updateScenario` (a copy of the world) never re-arms a rule whose `times` ran out.
   */
  private prepare(input: Scenario | ScenarioInput | string): {
    scenario: Scenario;
    faults?: FaultRuleInput[];
  } {
    const source = typeof input === 'string' ? input : undefined;
    // zod builds new objects and arrays, so the caller's object is never shared with the world.
    const { faults, ...scenario } = this.shift(
      typeof input === 'string' ? loadScenarioFile(input) : parseScenario(input),
    );
    const issues: ScenarioIssue[] = [];
    faults?.forEach((rule, i) => {
      const problem = faultRuleProblem(rule, this.knowsOperation);
      if (problem) issues.push({ path: `$.faults[${i}].${problem.field}`, message: problem.message });
    });
    if (issues.length > 0) throw new ScenarioValidationError(issues, source);
    return { scenario, faults };
  }

  private shift(scenario: Scenario): Scenario {
    if (!this.shiftDates || !scenario.referenceDate) return scenario;
    return parseScenario(shiftScenarioDates(scenario, storyShiftMs(scenario.referenceDate, this.clock())));
  }

  private onScenario() {
    const s = this.state.world.scenario;
    this.platformArn =
      s.platform.principalArn ?? `arn:aws:iam::${s.platform.accountId}:user/codecommit-evidence`;
    this.state.credentialReport = { startedAt: undefined, content: undefined, generatedAt: undefined };
  }

  /** Replaces the world; a scenario that declares `faults` also replaces the fault rules in force. */
  setScenario(input: Scenario | ScenarioInput): void {
    const { scenario, faults } = this.prepare(input);
    this.state.world = new World(scenario);
    this.onScenario();
    if (faults) this.setFaults(faults);
  }

  setTunables(partial: Partial<FakeAwsTunables>): void {
    const parsed = tunablesSchema.parse(partial);
    this.tunables = {
      latencyMs: parsed.latencyMs ?? this.tunables.latencyMs,
      rates: parsed.rates !== undefined ? { ...parsed.rates } : this.tunables.rates,
      faultRate: parsed.faultRate ?? this.tunables.faultRate,
      credentialReportDelayMs: parsed.credentialReportDelayMs ?? this.tunables.credentialReportDelayMs,
    };
    this.state.credentialReportDelayMs = this.tunables.credentialReportDelayMs;
    if (parsed.rates !== undefined) this.limiter.reset();
  }

  /** Resolves the caller from its access key id. */
  identify(accessKeyId: string, now: number, json: boolean): Identity {
    const s = this.state.world.scenario;
    const platform: Identity = {
      kind: 'platform',
      arn: this.platformArn,
      accountId: s.platform.accountId,
      userId: 'AIDAPLATFORMIDENTITY01',
    };
    if (accessKeyId === s.platform.credentials.accessKeyId) return platform;
    if (accessKeyId === s.account.adminCredentials.accessKeyId) {
      const arn = s.account.adminCredentials.principalArn ?? `arn:aws:iam::${s.account.accountId}:root`;
      return {
        kind: 'admin',
        arn,
        accountId: s.account.accountId,
        userId: arn.endsWith(':root') ? s.account.accountId : 'AIDACUSTOMERADMIN001',
      };
    }
    const session = this.state.sessions.get(accessKeyId);
    if (session) {
      if (session.expiresAt <= now) {
        throw json
          ? new AwsError(
              'ExpiredTokenException',
              'The security token included in the request is expired',
              400,
            )
          : new AwsError('ExpiredToken', 'The security token included in the request is expired', 400);
      }
      return sessionIdentity(session);
    }
    if (this.anyKeyIsPlatform && !accessKeyId.startsWith('ASIA')) return platform;
    throw json
      ? new AwsError(
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
          400,
        )
      : new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
  }

  /** Whether the identity's policies allow the action; throws AWS's AccessDenied otherwise. */
  authorize(ctx: CallContext, action: string, resource: string, json: boolean): void {
    const id = ctx.identity;
    let decision: 'allow' | 'explicit-deny' | 'implicit-deny';
    if (id.kind === 'admin') decision = 'allow';
    else if (id.kind === 'platform')
      decision = PLATFORM_ALLOWED.has(action.toLowerCase()) ? 'allow' : 'implicit-deny';
    else {
      const role = ctx.world.roles.get(id.roleName);
      const request = {
        action,
        resource,
        keys: {
          'aws:PrincipalArn': id.roleArn,
          'aws:PrincipalAccount': id.accountId,
          'aws:RequestedRegion': ctx.region,
          'aws:userid': id.userId,
          'aws:PrincipalType': 'AssumedRole',
        },
      };
      decision = role ? evaluatePolicies(ctx.world.rolePolicyDocuments(role), request) : 'implicit-deny';
      // A permissions boundary caps what the identity policies allow.
      const boundary = role?.permissionsBoundary
        ? ctx.world.defaultDocument(role.permissionsBoundary)
        : undefined;
      if (decision === 'allow' && role?.permissionsBoundary) {
        decision = boundary ? evaluatePolicies([boundary], request) : 'implicit-deny';
      }
    }
    if (decision === 'allow') return;
    const why =
      decision === 'explicit-deny'
        ? 'with an explicit deny in an identity-based policy'
        : `because no identity-based policy allows the ${action} action`;
    const message = `User: ${id.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`;
    throw json
      ? new AwsError('AccessDeniedException', message, 400)
      : new AwsError('AccessDenied', message, 403);
  }

  /** Handles one AWS request (no latency: the HTTP layer adds it) and returns the response to send. */
  handleAws(
    headers: IncomingMessage['headers'],
    body: string,
    query: string,
  ): { status: number; contentType: string; body: string; requestId: string } {
    const requestId = randomUUID();
    const target = headers['x-amz-target'];
    const credential = parseAuthorization(
      typeof headers.authorization === 'string' ? headers.authorization : undefined,
    );
    if (typeof target === 'string') return this.handleJson(target, credential, body, requestId);
    return this.handleQuery(credential, body, query, requestId);
  }

  private gate(
    service: ServiceName,
    operation: string,
    credential: ReturnType<typeof parseAuthorization>,
    json: boolean,
  ): { identity: Identity; now: number } {
    const key = `${service}:${operation}`;
    bump(this.statsData.calls, key);
    if (!credential) {
      throw json
        ? new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403)
        : new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
    }
    const now = this.clock();
    const identity = this.identify(credential.accessKeyId, now, json);
    const region = service === 'codecommit' ? credential.region : 'us-east-1';
    if (!this.limiter.take(`${service}|${identity.accountId}|${region}`, this.tunables.rates[service], now)) {
      bump(this.statsData.throttled, key);
      throw json
        ? new AwsError('ThrottlingException', 'Rate exceeded', 400)
        : new AwsError('Throttling', 'Rate exceeded', 400);
    }
    if (this.tunables.faultRate > 0 && Math.random() < this.tunables.faultRate) {
      bump(this.statsData.faulted, key);
      throw Math.random() < 0.5
        ? new AwsError('InternalFailure', 'We encountered an internal error. Please try again.', 500)
        : new AwsError('ServiceUnavailable', 'Service is unavailable. Please try again later.', 503);
    }
    return { identity, now };
  }

  private handleJson(
    target: string,
    credential: ReturnType<typeof parseAuthorization>,
    body: string,
    requestId: string,
  ) {
    const respond = (status: number, payload: string) => ({
      status,
      contentType: JSON_CONTENT_TYPE,
      body: payload,
      requestId,
    });
    const operationName = target.startsWith(CODECOMMIT_TARGET_PREFIX)
      ? target.slice(CODECOMMIT_TARGET_PREFIX.length)
      : '';
    const operation = Object.hasOwn(codecommitOperations, operationName)
      ? codecommitOperations[operationName]
      : undefined;
    const key = `codecommit:${operationName}`;
    try {
      if (!operation) throw new AwsError('UnknownOperationException', `Unknown operation ${target}`, 400);
      const { identity, now } = this.gate('codecommit', operationName, credential, true);
      let input: JsonInput;
      try {
        const parsed: unknown = body ? JSON.parse(body) : {};
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        input = parsed as JsonInput;
      } catch {
        throw new AwsError(
          'SerializationException',
          'Start of structure or map found where not expected.',
          400,
        );
      }
      const ctx: CallContext = {
        state: this.state,
        world: this.state.world,
        identity,
        region: credential!.region,
        now,
      };
      const resources = operation.resource?.(ctx, input) ?? '*';
      for (const resource of Array.isArray(resources) ? resources : [resources]) {
        this.authorize(ctx, `codecommit:${operationName}`, resource, true);
      }
      this.injectError(key, input, true);
      const result = operation.run(ctx, input);
      const text = result instanceof RawJson ? result.json : JSON.stringify(result ?? {});
      if (this.faults.empty) return respond(200, text);
      const fault = this.faults.afterRun(key, input, () => JSON.parse(text));
      if (!fault) return respond(200, text);
      bump(this.statsData.injected, key);
      return respond(200, fault.truncate ? truncateBody(text) : JSON.stringify(fault.answer));
    } catch (error) {
      const e = this.toAwsError(error, key);
      return respond(e.status, jsonError(e));
    }
  }

  private handleQuery(
    credential: ReturnType<typeof parseAuthorization>,
    body: string,
    query: string,
    requestId: string,
  ) {
    const params = new URLSearchParams(body);
    if (query) for (const [k, v] of new URLSearchParams(query)) if (!params.has(k)) params.set(k, v);
    const action = params.get('Action') ?? '';
    let service: 'iam' | 'sts';
    if (credential?.service === 'sts' || credential?.service === 'iam') service = credential.service;
    else service = Object.hasOwn(stsOperations, action) ? 'sts' : 'iam';
    const table = service === 'sts' ? stsOperations : iamOperations;
    const operation = Object.hasOwn(table, action) ? table[action] : undefined;
    const key = `${service}:${action}`;
    const respond = (status: number, payload: string) => ({
      status,
      contentType: 'text/xml',
      body: payload,
      requestId,
    });
    try {
      if (!operation) {
        throw new AwsError(
          'InvalidAction',
          `Could not find operation ${action} for version ${service === 'sts' ? '2011-06-15' : '2010-05-08'}`,
          400,
        );
      }
      const { identity, now } = this.gate(service, action, credential, false);
      const ctx: CallContext = {
        state: this.state,
        world: this.state.world,
        identity,
        region: 'us-east-1',
        now,
      };
      if (operation.action)
        this.authorize(ctx, operation.action, operation.resource?.(ctx, params) ?? '*', false);
      const request = this.faults.empty ? undefined : Object.fromEntries(params);
      this.injectError(key, request, false);
      const result = operation.run(ctx, params);
      if (this.faults.empty) return respond(200, queryResponse(service, action, result, requestId));
      // A copy: answers may share objects with the world.
      const fault = this.faults.afterRun(key, request, () => structuredClone(result));
      if (!fault) return respond(200, queryResponse(service, action, result, requestId));
      bump(this.statsData.injected, key);
      const xml = queryResponse(service, action, fault.truncate ? result : fault.answer, requestId);
      return respond(200, fault.truncate ? truncateBody(xml) : xml);
    } catch (error) {
      return this.queryFailure(error, key, requestId);
    }
  }

  private queryFailure(error: unknown, key: string, requestId: string) {
    const e = this.toAwsError(error, key);
    return { status: e.status, contentType: 'text/xml', body: queryError(e, requestId), requestId };
  }

  private toAwsError(error: unknown, key: string): AwsError {
    if (error instanceof AwsError) {
      if (error.code === 'AccessDenied' || error.code === 'AccessDeniedException')
        bump(this.statsData.denied, key);
      return error;
    }
    this.logger?.error(`fake-aws: ${key} failed: ${(error as Error)?.stack ?? String(error)}`);
    return new AwsError(
      'InternalFailure',
      'The request processing has failed because of an unknown error.',
      500,
    );
  }
}

/** A deep copy; scenarios are plain JSON, and a JSON round trip is twice as fast as structuredClone. */
function copyScenario(scenario: Scenario): Scenario {
  return JSON.parse(JSON.stringify(scenario)) as Scenario;
}

function sendJson(res: ServerResponse, status: number, payload: unknown) {
  const body = payload === undefined ? '' : JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function scenarioErrorBody(error: unknown) {
  if (error instanceof ScenarioValidationError) {
    return {
      error: { code: 'invalid_scenario', message: error.message, path: error.path, issues: error.issues },
    };
  }
  return { error: { code: 'invalid_request', message: (error as Error).message } };
}

async function controlPlane(core: FakeAwsCore, req: IncomingMessage, res: ServerResponse, path: string) {
  const method = req.method ?? 'GET';
  const body = await readBody(req);
  const parseBody = (): unknown => (body ? JSON.parse(body) : {});
  try {
    if (path === '/_fake/health' && method === 'GET') return sendJson(res, 200, { ok: true });
    if (path === '/_fake/stats' && method === 'GET') return sendJson(res, 200, core.statsData);
    if (path === '/_fake/stats/reset' && method === 'POST') {
      core.statsData = emptyStats();
      return sendJson(res, 200, core.statsData);
    }
    if (path === '/_fake/scenario' && method === 'GET') return sendJson(res, 200, core.state.world.scenario);
    if (path === '/_fake/scenario' && method === 'PUT') {
      core.setScenario(parseBody() as ScenarioInput);
      return sendJson(res, 200, { ok: true });
    }
    if (path === '/_fake/scenario' && method === 'PATCH') {
      const ops = parseBody();
      if (!Array.isArray(ops)) throw new Error('expected a JSON Patch array of {op, path, value}');
      const draft = copyScenario(core.state.world.scenario);
      applyJsonPatch(draft, ops as JsonPatchOperation[]);
      core.setScenario(draft);
      return sendJson(res, 200, { ok: true });
    }
    if (path === '/_fake/changes' && method === 'POST') {
      // What users do to pull requests, with every signal CodeCommit moves for it (scenario/changes.ts).
      const input = changesBodySchema.parse(parseBody());
      const draft = copyScenario(core.state.world.scenario);
      applyPullRequestChanges(draft, input.region, input.changes, new Date(core.clock()));
      core.setScenario(draft);
      return sendJson(res, 200, { ok: true, applied: input.changes.length });
    }
    if (path === '/_fake/options' && method === 'GET') return sendJson(res, 200, core.tunables);
    if (path === '/_fake/options' && method === 'PATCH') {
      core.setTunables(parseBody() as Partial<FakeAwsTunables>);
      return sendJson(res, 200, core.tunables);
    }
    if (path === '/_fake/faults' && method === 'GET') return sendJson(res, 200, core.faults.list());
    if (path === '/_fake/faults' && method === 'PUT') return sendJson(res, 200, core.setFaults(parseBody()));
    if (path === '/_fake/faults' && method === 'POST') return sendJson(res, 200, core.addFault(parseBody()));
    if (path === '/_fake/faults' && method === 'DELETE') {
      core.faults.clear();
      return sendJson(res, 200, []);
    }
    return sendJson(res, 404, {
      error: { code: 'not_found', message: `no control route ${method} ${path}` },
    });
  } catch (error) {
    if (error instanceof z.ZodError) {
      const code =
        path === '/_fake/faults'
          ? 'invalid_faults'
          : path === '/_fake/changes'
            ? 'invalid_changes'
            : 'invalid_options';
      return sendJson(res, 400, { error: { code, message: z.prettifyError(error) } });
    }
    return sendJson(res, 400, scenarioErrorBody(error));
  }
}

/** Starts fake-aws on an HTTP port. */
export async function startFakeAws(options: FakeAwsOptions): Promise<FakeAws> {
  const core = new FakeAwsCore(options);
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    if (path.startsWith('/_fake/')) {
      controlPlane(core, req, res, path).catch((error: unknown) => {
        core.logger?.error(`fake-aws control plane: ${String(error)}`);
        if (!res.headersSent) sendJson(res, 500, { error: { code: 'internal', message: String(error) } });
      });
      return;
    }
    readBody(req)
      .then(async (body) => {
        const started = performance.now();
        const out = core.handleAws(req.headers, body, q >= 0 ? url.slice(q + 1) : '');
        const handlerMs = performance.now() - started;
        const latency = core.tunables.latencyMs;
        if (latency > 0) await sleep(latency);
        res.writeHead(out.status, {
          'content-type': out.contentType,
          'content-length': Buffer.byteLength(out.body),
          'x-amzn-requestid': out.requestId,
          // Time spent in the emulator itself (parse, authorize, handle, serialize), for benchmarks.
          'server-timing': `handler;dur=${handlerMs.toFixed(3)}`,
        });
        res.end(out.body);
      })
      .catch((error: unknown) => {
        core.logger?.error(`fake-aws: ${String(error)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  core.logger?.info(`fake-aws listening on ${url}`);
  const creds = (c: AccessKeyPair): AccessKeyPair => ({
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
  });
  const scenario = () => core.state.world.scenario;
  return {
    url,
    port: address.port,
    get platformCredentials() {
      return creds(scenario().platform.credentials);
    },
    get adminCredentials() {
      return creds(scenario().account.adminCredentials);
    },
    scenario,
    stats: () => structuredClone(core.statsData),
    resetStats: () => {
      core.statsData = emptyStats();
    },
    setScenario: (s) => core.setScenario(s),
    updateScenario: (fn) => {
      const draft = copyScenario(scenario());
      fn(draft);
      core.setScenario(draft);
    },
    setOptions: (partial) => core.setTunables(partial),
    options: () => structuredClone(core.tunables),
    setFaults: (rules) => core.setFaults(rules),
    addFault: (rule) => core.addFault(rule),
    clearFaults: () => core.faults.clear(),
    faults: () => core.faults.list(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
