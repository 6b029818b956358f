import type { Identity, RoleSession } from '../identity.js';
import type { World } from '../world.js';

/** Credential report lifecycle for the customer account. */
export interface CredentialReportState {
  startedAt: number | undefined;
  content: string | undefined;
  generatedAt: number | undefined;
}

/** Server state that outlives one request (and, for sessions, a scenario swap). */
export interface ServerState {
  world: World;
  sessions: Map<string, RoleSession>;
  credentialReport: CredentialReportState;
  credentialReportDelayMs: number;
}

export interface CallContext {
  state: ServerState;
  world: World;
  identity: Identity;
  region: string;
  now: number;
}

/** One operation of a query-protocol service (IAM, STS). */
export interface QueryOperation {
  /** IAM action checked before `run`; null for calls AWS never denies (GetCallerIdentity). */
  action: string | null;
  resource?: (ctx: CallContext, params: URLSearchParams) => string;
  run: (ctx: CallContext, params: URLSearchParams) => unknown;
}

export type JsonInput = Record<string, unknown>;

/** One operation of a JSON 1.1 service (CodeCommit). */
export interface JsonOperation {
  /** The resource ARN(s) the action is authorized against; every one must be allowed. */
  resource?: (ctx: CallContext, input: JsonInput) => string | string[];
  run: (ctx: CallContext, input: JsonInput) => unknown;
}

/** A response body serialized ahead of time (immutable answers such as GetPullRequest are cached). */
export class RawJson {
  constructor(readonly json: string) {}
}
