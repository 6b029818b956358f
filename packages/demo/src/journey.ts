/**
 * What a user does through the HTTP API, step by step, and what a customer does in their AWS account:
 * shared by the demo and the cross-process tests so both walk exactly the same path.
 */

import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { readStoryRoster, type Stack, sleep } from './stack.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Api = (method: string, route: string, body?: unknown) => Promise<any>;

export function apiClient(base: string, token?: string): Api {
  return async (method, route, body) => {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: any = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { raw: text };
    }
    if (!res.ok) {
      const e = parsed.error ?? {};
      throw new ApiError(
        res.status,
        e.code ?? 'http_error',
        `${method} ${route} -> ${res.status} ${e.code ?? ''}: ${e.message ?? text}`,
      );
    }
    return parsed;
  };
}

export interface CreatedConnection {
  apiKey: string;
  connectionId: string;
  externalId: string;
  setupKit: { trustPolicy: unknown; permissionsPolicy: unknown; [k: string]: unknown };
}

export async function createTenantAndConnection(
  apiUrl: string,
  adminToken: string,
  names: { tenant: string; connection: string },
): Promise<CreatedConnection> {
  const created = await apiClient(apiUrl, adminToken)('POST', '/v1/tenants', { name: names.tenant });
  const api = apiClient(apiUrl, created.apiKey);
  const res = await api('POST', '/v1/connections', { name: names.connection });
  const connection = res.connection ?? res;
  const setupKit =
    res.setupKit ?? connection.setupKit ?? (await api('GET', `/v1/connections/${connection.id}/setup-kit`));
  return {
    apiKey: created.apiKey,
    connectionId: connection.id,
    externalId: connection.externalId,
    setupKit: setupKit.setupKit ?? setupKit,
  };
}

/** Plays the customer: creates the role from the setup kit with the account administrator's keys. */
export async function createRoleFromSetupKit(
  fakeUrl: string,
  admin: { accessKeyId: string; secretAccessKey: string },
  region: string,
  kit: CreatedConnection['setupKit'],
  roleName = 'codecommit-evidence-reader',
): Promise<string> {
  const iam = new IAMClient({ region, endpoint: fakeUrl, credentials: admin });
  try {
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify(kit.trustPolicy),
        Description: 'Read-only access for CodeCommit Evidence',
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: 'codecommit-evidence',
        PolicyDocument: JSON.stringify(kit.permissionsPolicy),
      }),
    );
    return role.Role!.Arn!;
  } finally {
    iam.destroy();
  }
}

export interface SyncRunView {
  id: number;
  status: string;
  steps?: Record<string, { status: string }>;
  awsCalls?: Record<string, { calls: number } | number>;
  problems?: unknown[];
}

/** Polls a sync run until it finishes, reporting each change of its progress line. */
export async function followSyncRun(
  api: Api,
  connectionId: string,
  runId: number,
  onProgress: (line: string, run: SyncRunView) => void,
  timeoutMs = 180_000,
): Promise<SyncRunView> {
  let last = '';
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await api('GET', `/v1/connections/${connectionId}/syncs/${runId}`);
    const run: SyncRunView = res.syncRun ?? res;
    const steps = Object.values(run.steps ?? {});
    const done = steps.filter(
      (s) => s.status === 'succeeded' || s.status === 'failed' || s.status === 'skipped',
    ).length;
    const line = `run ${runId}: ${run.status} (${done}/${steps.length} steps finished)`;
    if (line !== last) onProgress(line, run);
    last = line;
    if (['succeeded', 'partial', 'failed'].includes(run.status)) return run;
    if (Date.now() > until) throw new Error(`sync run ${runId} did not finish within ${timeoutMs / 1000} s`);
    await sleep(400);
  }
}

export interface CheckView {
  id: string;
  title: string;
  status: string;
  counts: Record<string, number>;
  howToFix?: string;
}

/** Waits for the check run that judged sync run `runId` with the roster as of `rosterAt` or later. */
export async function waitForCheckRun(
  api: Api,
  connectionId: string,
  runId: number,
  rosterAt: Date,
  timeoutMs = 90_000,
): Promise<{ checkRun: any; checks: CheckView[] }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await api('GET', `/v1/connections/${connectionId}/checks`).catch(() => undefined);
    const run = res?.checkRun;
    if (
      run &&
      Number(run.syncRunId) === Number(runId) &&
      new Date(run.rosterAsOf ?? run.evaluatedAt) >= new Date(rosterAt.getTime() - 1000)
    ) {
      return res;
    }
    if (Date.now() > until)
      throw new Error(`no check run for sync run ${runId} within ${timeoutMs / 1000} s`);
    await sleep(400);
  }
}

export interface FindingView {
  resourceType: string;
  resourceId: string;
  resourceName: string;
  status: string;
  reason: string;
}

export async function listFindings(
  api: Api,
  connectionId: string,
  checkId: string,
  checkRunId?: number,
): Promise<FindingView[]> {
  const all: FindingView[] = [];
  let cursor: string | undefined;
  do {
    const q = new URLSearchParams({
      limit: '500',
      ...(cursor ? { cursor } : {}),
      ...(checkRunId ? { checkRunId: String(checkRunId) } : {}),
    });
    const res = await api('GET', `/v1/connections/${connectionId}/checks/${checkId}?${q}`);
    all.push(...(res.findings ?? []));
    cursor = res.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

/** Finding key used by scenarios/demo.expected.json: the resource name, or `root` for the root user. */
export function findingKey(f: FindingView): string {
  return f.resourceType === 'root' ? 'root' : f.resourceName;
}

/**
 * The tests' shared opening: a tenant and a connection, the role from its setup kit in the fake, the
 * demo roster, then connect (which starts the first sync run). Answers what the test goes on with.
 */
export async function connectDemoAccount(
  stack: Stack,
  names: { tenant: string; connection: string },
): Promise<{ api: Api; connectionId: string; runId: number; rosterAt: Date }> {
  const created = await createTenantAndConnection(stack.apiUrl, stack.adminToken, names);
  const api = apiClient(stack.apiUrl, created.apiKey);
  const roleArn = await createRoleFromSetupKit(
    stack.fakeUrl,
    stack.scenario.admin,
    stack.scenario.region,
    created.setupKit,
  );
  const roster = await readStoryRoster(stack);
  const rosterAt = new Date();
  await api('PUT', '/v1/people', roster);
  const connected = await api('POST', `/v1/connections/${created.connectionId}/connect`, {
    roleArn,
    region: stack.scenario.region,
  });
  const runId = Number(connected.syncRunId ?? connected.syncRun?.id);
  return { api, connectionId: created.connectionId, runId, rosterAt };
}
