/**
 * Cross-account access: `sts:AssumeRole` into the customer's role with the connection's External ID.
 *
 * - External ID and the confused-deputy problem:
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html
 * - One-hour sessions: when the platform's own identity is itself a role (container role, IRSA), this
 *   is role chaining, which AWS caps at one hour:
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining
 * - The session name shows up in the customer's CloudTrail as `assumed-role/ROLE/cce-…`, so they can tell
 *   our calls, and which connection made them, from their own.
 *
 * Temporary credentials are kept in process memory only: never persisted, never logged.
 */

import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { type AwsError, toAwsError } from './errors.js';
import { checkResponse, RESPONSE_SCHEMAS } from './responses/index.js';

export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface AssumedRole {
  credentials: TemporaryCredentials;
  /** `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`. */
  assumedRoleArn: string | undefined;
  sessionName: string;
}

export interface AssumeCustomerRoleInput {
  /** The platform's STS client, in the connection's Region (regional STS endpoint). */
  sts: STSClient;
  roleArn: string;
  externalId: string;
  connectionId: string;
  /** Default 3600, the role-chaining maximum. */
  durationSeconds?: number;
  abortSignal?: AbortSignal;
}

export const SESSION_DURATION_SECONDS = 3600;
/** Refresh this long before expiry; the SDK itself treats credentials within 5 minutes of expiry as expired. */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

/**
 * `cce-<connection id>`: RoleSessionName allows `[\w+=,.@-]`, 2-64 characters
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
 */
export function roleSessionName(connectionId: string): string {
  const id = connectionId.replace(/[^\w+=,.@-]/g, '-').slice(0, 60);
  return `cce-${id.length > 0 ? id : 'connection'}`;
}

export async function assumeCustomerRole(input: AssumeCustomerRoleInput): Promise<AssumedRole> {
  const sessionName = roleSessionName(input.connectionId);
  try {
    const out = await input.sts.send(
      new AssumeRoleCommand({
        RoleArn: input.roleArn,
        ExternalId: input.externalId,
        RoleSessionName: sessionName,
        DurationSeconds: input.durationSeconds ?? SESSION_DURATION_SECONDS,
      }),
      input.abortSignal ? { abortSignal: input.abortSignal } : {},
    );
    checkResponse('sts:AssumeRole', RESPONSE_SCHEMAS['sts:AssumeRole']!, out);
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error('AssumeRole returned no credentials');
    }
    return {
      credentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      },
      assumedRoleArn: out.AssumedRoleUser?.Arn,
      sessionName,
    };
  } catch (err) {
    throw toAwsError(err, { operation: 'sts:AssumeRole', region: await regionOf(input.sts) });
  }
}

export type ExternalIdProbeResult =
  /** AssumeRole without External ID was refused, as it should be. */
  | { result: 'enforced' }
  /** It succeeded: the trust policy lets anyone in our account assume the role (confused deputy). */
  | { result: 'not_enforced' }
  /** Throttled, AWS unavailable, …: no conclusion. */
  | { result: 'inconclusive'; error: AwsError };

/**
 * The connect flow's confused-deputy probe: one AssumeRole WITHOUT External ID. Any credentials it
 * yields are dropped on the spot.
 */
export async function assumeRoleWithoutExternalId(input: {
  sts: STSClient;
  roleArn: string;
  connectionId: string;
  abortSignal?: AbortSignal;
}): Promise<ExternalIdProbeResult> {
  try {
    await input.sts.send(
      new AssumeRoleCommand({
        RoleArn: input.roleArn,
        RoleSessionName: `${roleSessionName(input.connectionId).slice(0, 58)}-probe`,
        // The shortest session AWS allows: the credentials are never used.
        DurationSeconds: 900,
      }),
      input.abortSignal ? { abortSignal: input.abortSignal } : {},
    );
    return { result: 'not_enforced' };
  } catch (err) {
    const error = toAwsError(err, { operation: 'sts:AssumeRole', region: await regionOf(input.sts) });
    return error.code === 'role_not_assumable' ? { result: 'enforced' } : { result: 'inconclusive', error };
  }
}

async function regionOf(sts: STSClient): Promise<string | undefined> {
  try {
    return await sts.config.region();
  } catch {
    return undefined;
  }
}

export interface CredentialTarget {
  connectionId: string;
  roleArn: string;
  externalId: string;
  /** Region whose STS endpoint is used (the connection's). */
  region: string;
}

/** What the SDK accepts as `credentials`: called before each request, cached by us. */
export type RoleCredentialProvider = () => Promise<TemporaryCredentials>;

export interface CredentialCache {
  /** Current credentials for the target, assuming the role if none or about to expire. */
  get(target: CredentialTarget): Promise<TemporaryCredentials>;
  /** A provider for the SDK's `credentials` option. */
  provider(target: CredentialTarget): RoleCredentialProvider;
  /** Drop the target's credentials (e.g. after the role changed); the next `get` assumes again. */
  invalidate(target: CredentialTarget): void;
  clear(): void;
  readonly size: number;
}

export interface CredentialCacheOptions {
  /** The platform's STS client for a Region. */
  stsForRegion: (region: string) => STSClient;
  refreshBeforeExpiryMs?: number;
  durationSeconds?: number;
  /** Injectable clock for tests. */
  now?: () => number;
}

/** Above this many cached sessions, expired ones are dropped on the next `get`. */
const SWEEP_ABOVE = 1000;

interface Entry {
  credentials?: TemporaryCredentials;
  inFlight?: Promise<TemporaryCredentials>;
}

/**
 * Credentials per (connection, role ARN, External ID): changing the ARN or the External ID of a
 * connection can never reuse the old session. Concurrent callers share one in-flight AssumeRole; a
 * failed one is not cached, so the next caller tries again.
 */
export function createCredentialCache(options: CredentialCacheOptions): CredentialCache {
  const entries = new Map<string, Entry>();
  const now = options.now ?? Date.now;
  const margin = options.refreshBeforeExpiryMs ?? REFRESH_BEFORE_EXPIRY_MS;
  const keyOf = (t: CredentialTarget) => JSON.stringify([t.connectionId, t.roleArn, t.externalId]);
  // Connections come and go (deleted, ARN changed): drop sessions that have expired anyway.
  const sweep = () => {
    for (const [key, entry] of entries) {
      if (!entry.inFlight && (!entry.credentials || entry.credentials.expiration.getTime() <= now()))
        entries.delete(key);
    }
  };

  const cache: CredentialCache = {
    get(target) {
      const key = keyOf(target);
      if (entries.size > SWEEP_ABOVE) sweep();
      let entry = entries.get(key);
      if (!entry) {
        entry = {};
        entries.set(key, entry);
      }
      const current = entry.credentials;
      if (current && current.expiration.getTime() - margin > now()) return Promise.resolve(current);
      if (entry.inFlight) return entry.inFlight;
      const e = entry;
      const flight = assumeCustomerRole({
        sts: options.stsForRegion(target.region),
        roleArn: target.roleArn,
        externalId: target.externalId,
        connectionId: target.connectionId,
        ...(options.durationSeconds ? { durationSeconds: options.durationSeconds } : {}),
      }).then(
        ({ credentials }) => {
          e.credentials = credentials;
          e.inFlight = undefined;
          return credentials;
        },
        (err: unknown) => {
          e.inFlight = undefined;
          throw err;
        },
      );
      e.inFlight = flight;
      return flight;
    },
    provider(target) {
      return () => cache.get(target);
    },
    invalidate(target) {
      entries.delete(keyOf(target));
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
  return cache;
}
