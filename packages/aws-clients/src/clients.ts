/**
 * SDK v3 client factory: the platform's own STS clients (default credential chain or explicit keys) and,
 * per connection and Region, CodeCommit, IAM and STS clients signed with the customer role's temporary
 * credentials. Every client gets the standard retry mode with bounded attempts, the call counter and,
 * when given, the per-account rate limiter.
 *
 * Endpoint: `endpoint` when given (tests pass the fake's URL); else the SDK applies `AWS_ENDPOINT_URL`
 * (and `AWS_ENDPOINT_URL_<SERVICE>`) itself (@smithy/core endpoints `getEndpointUrlConfig`,
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
 * Retries: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */

import { CodeCommitClient } from '@aws-sdk/client-codecommit';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { type CallCounter, callCountingPlugin, fanOutCallCounter } from './call-counter.js';
import type { AccountRateLimiter, RateLimitedService } from './rate-limit.js';
import { type CredentialCache, createCredentialCache, type RoleCredentialProvider } from './role.js';
import { parseRoleArn } from './role-arn.js';
import { xmlListCheckPlugin } from './xml-lists.js';

export const DEFAULT_MAX_ATTEMPTS = 5;

export interface AwsClientFactoryOptions {
  /** AWS endpoint override (the fake AWS). Unset: the SDK's own resolution, `AWS_ENDPOINT_URL` included. */
  endpoint?: string;
  /** The platform's identity. Unset: the SDK's default credential chain (env, container role, IRSA, …). */
  platformCredentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Attempts per call, first one included (standard retry mode). Default 5. */
  maxAttempts?: number;
  /** Per attempt, so a hung connection becomes a retryable timeout. Default 30 s. */
  requestTimeoutMs?: number;
  connectionTimeoutMs?: number;
  /** Shared per-account limits; without it, calls are only bounded by the SDK's retries. */
  rateLimiter?: AccountRateLimiter;
  /** Receives every call of every client (e.g. process metrics); per-sync counters are passed per connection. */
  callCounter?: CallCounter;
  /** Credential refresh margin, default 5 minutes. */
  refreshBeforeExpiryMs?: number;
  /** Injectable clock for the credential cache (tests). */
  now?: () => number;
}

/** What the workers know about a connection. */
export interface AwsConnectionRef {
  connectionId: string;
  roleArn: string;
  externalId: string;
  region: string;
}

export interface ConnectionClients {
  accountId: string;
  region: string;
  codecommit: CodeCommitClient;
  iam: IAMClient;
  /** STS as the customer role (GetCallerIdentity). */
  sts: STSClient;
  credentials: RoleCredentialProvider;
  /** Closes the clients' sockets; the cached credentials stay for the next job. */
  destroy(): void;
}

export interface AwsClientFactory {
  readonly credentialCache: CredentialCache;
  /** The platform's STS client for a Region (regional endpoint), shared by the credential cache. */
  platformSts(region: string): STSClient;
  /** A fresh STS client as the platform, counted into `callCounter` (the connect flow's probes). */
  createPlatformSts(region: string, options?: { callCounter?: CallCounter }): STSClient;
  forConnection(
    connection: AwsConnectionRef,
    options?: { callCounter?: CallCounter; region?: string },
  ): ConnectionClients;
  destroy(): void;
}

export function createAwsClientFactory(options: AwsClientFactoryOptions = {}): AwsClientFactory {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new Error('maxAttempts must be an integer >= 1');
  const platformStsByRegion = new Map<string, STSClient>();

  const baseConfig = (region: string) => ({
    region,
    maxAttempts,
    retryMode: 'standard',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      connectionTimeout: options.connectionTimeoutMs ?? 5_000,
    },
  });

  const instrument = (
    client: CodeCommitClient | IAMClient | STSClient,
    service: RateLimitedService,
    counter: CallCounter | undefined,
    accountId: string | undefined,
    region: string,
  ) => {
    // Order matters: the rate limiter is added last so that it runs first after the retry middleware
    // (the stack runs later-added "after" entries closer to their anchor), before the attempt counter.
    // IAM and STS answer XML, whose deserializer reads a wrong-typed list as empty: checked raw first.
    if (service === 'iam' || service === 'sts') client.middlewareStack.use(xmlListCheckPlugin(service));
    if (counter) client.middlewareStack.use(callCountingPlugin(service, counter));
    if (options.rateLimiter && accountId) {
      client.middlewareStack.use(options.rateLimiter.plugin({ accountId, region, service }));
    }
  };

  const counterFor = (perCall?: CallCounter): CallCounter | undefined => {
    const counters = [perCall, options.callCounter].filter((c): c is CallCounter => c !== undefined);
    if (counters.length === 0) return undefined;
    return counters.length === 1 ? counters[0] : fanOutCallCounter(...counters);
  };

  const createPlatformSts = (region: string, opts: { callCounter?: CallCounter } = {}) => {
    const client = new STSClient({
      ...baseConfig(region),
      ...(options.platformCredentials ? { credentials: options.platformCredentials } : {}),
    });
    instrument(client, 'sts', counterFor(opts.callCounter), undefined, region);
    return client;
  };

  const platformSts = (region: string) => {
    let client = platformStsByRegion.get(region);
    if (!client) {
      client = createPlatformSts(region);
      platformStsByRegion.set(region, client);
    }
    return client;
  };

  const credentialCache = createCredentialCache({
    stsForRegion: platformSts,
    ...(options.refreshBeforeExpiryMs !== undefined
      ? { refreshBeforeExpiryMs: options.refreshBeforeExpiryMs }
      : {}),
    ...(options.now ? { now: options.now } : {}),
  });

  return {
    credentialCache,
    platformSts,
    createPlatformSts,
    forConnection(connection, opts = {}) {
      const parsed = parseRoleArn(connection.roleArn);
      if (!parsed.ok) throw new Error(`Connection ${connection.connectionId}: ${parsed.message}`);
      const region = opts.region ?? connection.region;
      const credentials = credentialCache.provider({ ...connection, region: connection.region });
      const counter = counterFor(opts.callCounter);
      const config = { ...baseConfig(region), credentials };
      const codecommit = new CodeCommitClient(config);
      const iam = new IAMClient(config);
      const sts = new STSClient(config);
      instrument(codecommit, 'codecommit', counter, parsed.accountId, region);
      instrument(iam, 'iam', counter, parsed.accountId, region);
      instrument(sts, 'sts', counter, parsed.accountId, region);
      return {
        accountId: parsed.accountId,
        region,
        codecommit,
        iam,
        sts,
        credentials,
        destroy() {
          codecommit.destroy();
          iam.destroy();
          sts.destroy();
        },
      };
    },
    destroy() {
      for (const c of platformStsByRegion.values()) c.destroy();
      platformStsByRegion.clear();
      credentialCache.clear();
    },
  };
}
