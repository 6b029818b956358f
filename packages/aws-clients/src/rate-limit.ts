/**
 * Request-rate and concurrency limits per customer AWS account, shared by every worker replica through
 * Redis, so that one large tenant can neither exhaust its own AWS quota nor hold the workers' capacity.
 *
 * - Rate: `rate-limiter-flexible`'s RateLimiterRedis, keyed `service / account:region` (IAM is a global
 *   service with account-wide quotas, so its region is `global`). Defaults stay below the documented
 *   throttles (CodeCommit: https://docs.aws.amazon.com/codecommit/latest/userguide/limits.html; IAM:
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). A RateLimiterMemory
 *   insures it: if Redis is unreachable each process keeps its own limit rather than failing the sync.
 * - Concurrency: a lease semaphore (a sorted set of lease ids scored by expiry, one Lua script). Not a
 *   RateLimiterRedis counter with `reward` on release: that key's fixed window expires while requests
 *   are still in flight, and the late `reward`s then drive the counter negative (over-admission); a
 *   replica that dies mid-request would also leak its points until the window ends. Leases expire
 *   one by one instead.
 *
 * Applied as SDK middleware after the retry middleware, so it gates every attempt, retries included.
 * Waiting is `await`ed timers, bounded by `maxWaitMs`, after which the call fails as `throttled`.
 */

import type { FinalizeRequestMiddleware, Pluggable } from '@smithy/types';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { operationName } from './call-counter.js';
import { AwsError } from './errors.js';
import { type RedisLease, tryTakeLease } from './redis-lease.js';

export type RateLimitedService = 'codecommit' | 'iam' | 'sts';

export interface RateLimitScope {
  accountId: string;
  /** The client's Region; ignored for IAM (global). */
  region: string;
  service: RateLimitedService;
}

export interface AccountRateLimiterOptions {
  redis: Redis;
  /** Prefix of every key, e.g. `{cce}:aws-limit` (braces keep one Redis Cluster slot). */
  keyPrefix: string;
  /** Requests per second per account, Region and service. Defaults: codecommit 8, iam 5, sts 10. */
  requestsPerSecond?: Partial<Record<RateLimitedService, number>>;
  /** Requests in flight per account, all services and Regions together. Default 4. */
  maxConcurrentPerAccount?: number;
  /** Longest a request waits for its turn before failing as `throttled`. Default 60 s. */
  maxWaitMs?: number;
  /** A concurrency slot held longer than this (a crashed replica) is freed. Default 120 s. */
  leaseMs?: number;
}

export interface RateLimitPermit {
  /** How long the caller waited, in ms. */
  waitedMs: number;
  release(): Promise<void>;
}

export interface AccountRateLimiter {
  readonly options: Readonly<Required<Omit<AccountRateLimiterOptions, 'redis' | 'requestsPerSecond'>>> & {
    requestsPerSecond: Record<RateLimitedService, number>;
  };
  /** Waits for a concurrency slot and a request token. Throws a `throttled` AwsError past `maxWaitMs`. */
  acquire(scope: RateLimitScope, signal?: AbortSignal): Promise<RateLimitPermit>;
  /** `acquire`, run `fn`, release. */
  schedule<T>(scope: RateLimitScope, fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** SDK plugin gating each attempt of each call made through the client. */
  // biome-ignore lint/suspicious/noExplicitAny: a plugin for any client, as the SDK's own plugins are typed.
  plugin(scope: RateLimitScope): Pluggable<any, any>;
  /** Totals since creation (this process): permits granted, time spent waiting. */
  metrics(): { permits: number; waits: number; waitedMs: number; timeouts: number };
}

export const DEFAULT_REQUESTS_PER_SECOND: Readonly<Record<RateLimitedService, number>> = Object.freeze({
  codecommit: 8,
  iam: 5,
  sts: 10,
});
export const DEFAULT_MAX_CONCURRENT_PER_ACCOUNT = 4;
const DISCONNECTED = new Set(['close', 'reconnecting', 'end']);

export function createAccountRateLimiter(options: AccountRateLimiterOptions): AccountRateLimiter {
  const requestsPerSecond = { ...DEFAULT_REQUESTS_PER_SECOND, ...options.requestsPerSecond };
  for (const [service, rps] of Object.entries(requestsPerSecond)) {
    if (!Number.isInteger(rps) || rps < 1)
      throw new Error(`requestsPerSecond.${service} must be an integer >= 1`);
  }
  const resolved = {
    keyPrefix: options.keyPrefix,
    maxConcurrentPerAccount: options.maxConcurrentPerAccount ?? DEFAULT_MAX_CONCURRENT_PER_ACCOUNT,
    maxWaitMs: options.maxWaitMs ?? 60_000,
    leaseMs: options.leaseMs ?? 120_000,
    requestsPerSecond,
  };
  if (!Number.isInteger(resolved.maxConcurrentPerAccount) || resolved.maxConcurrentPerAccount < 1) {
    throw new Error('maxConcurrentPerAccount must be an integer >= 1');
  }
  const { redis } = options;
  const limiters = new Map<RateLimitedService, RateLimiterRedis>();
  const limiterFor = (service: RateLimitedService): RateLimiterRedis => {
    let limiter = limiters.get(service);
    if (!limiter) {
      const points = requestsPerSecond[service];
      limiter = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${options.keyPrefix}:rate:${service}`,
        points,
        duration: 1,
        // Spreads a window's requests over the window (the k-th waits k/points s, an awaited timer
        // inside the library) instead of sending them in one burst: AWS meters with token buckets,
        // which a burst at a window boundary could overdraw.
        execEvenly: true,
        // Without it ioredis queues commands while disconnected and the insurance never kicks in.
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ points, duration: 1 }),
      });
      limiters.set(service, limiter);
    }
    return limiter;
  };
  const totals = { permits: 0, waits: 0, waitedMs: 0, timeouts: 0 };

  const timeout = (scope: RateLimitScope, what: string, waited: number): AwsError =>
    new AwsError(
      {
        code: 'throttled',
        awsCode: 'RateLimitWaitExceeded',
        retryable: true,
        message: `Waited ${waited} ms for ${what} of account ${scope.accountId} (${scopeKey(scope)}); giving up after maxWaitMs=${resolved.maxWaitMs}.`,
      },
      { operation: `${scope.service}:*` },
    );

  async function acquireLease(
    scope: RateLimitScope,
    deadline: number,
    started: number,
    signal?: AbortSignal,
  ) {
    const key = `${options.keyPrefix}:conc:${scope.accountId}`;
    let pause = 10;
    for (;;) {
      let lease: RedisLease | null;
      // Redis down: proceed without the shared concurrency limit (the rate limit's insurance still holds)
      // rather than queueing behind ioredis's reconnects.
      if (DISCONNECTED.has(redis.status)) return async () => {};
      try {
        lease = await tryTakeLease(redis, key, resolved.maxConcurrentPerAccount, resolved.leaseMs);
      } catch {
        return async () => {};
      }
      if (lease) return lease.release;
      const now = Date.now();
      if (now >= deadline) throw timeout(scope, 'a concurrency slot', now - started);
      // No notification when a slot frees: poll with a capped, jittered backoff.
      pause = Math.min(pause * 2, 200);
      await sleep(Math.min(pause / 2 + Math.random() * (pause / 2), deadline - now), signal);
    }
  }

  async function acquireToken(
    scope: RateLimitScope,
    deadline: number,
    started: number,
    signal?: AbortSignal,
  ) {
    const limiter = limiterFor(scope.service);
    const key = scopeKey(scope);
    for (;;) {
      try {
        await limiter.consume(key, 1);
        return;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const now = Date.now();
        if (now + rejection.msBeforeNext > deadline) {
          throw timeout(scope, `a ${scope.service} request token`, now - started);
        }
        // The window reopens after msBeforeNext; the jitter spreads the waiters of all replicas.
        await sleep(rejection.msBeforeNext + Math.random() * 25, signal);
      }
    }
  }

  const limiter: AccountRateLimiter = {
    options: resolved,
    async acquire(scope, signal) {
      const started = Date.now();
      const deadline = started + resolved.maxWaitMs;
      const release = await acquireLease(scope, deadline, started, signal);
      try {
        await acquireToken(scope, deadline, started, signal);
      } catch (err) {
        await release();
        if (err instanceof AwsError) totals.timeouts++;
        throw err;
      }
      const waitedMs = Date.now() - started;
      totals.permits++;
      if (waitedMs > 5) {
        totals.waits++;
        totals.waitedMs += waitedMs;
      }
      let released = false;
      return {
        waitedMs,
        release: async () => {
          if (released) return;
          released = true;
          await release();
        },
      };
    },
    async schedule(scope, fn, signal) {
      const permit = await limiter.acquire(scope, signal);
      try {
        return await fn();
      } finally {
        await permit.release();
      }
    },
    plugin(scope) {
      // biome-ignore lint/suspicious/noExplicitAny: see the interface
      const gate: FinalizeRequestMiddleware<any, any> = (next, context) => async (args) => {
        const signal = (context as { __smithy_context?: { abortSignal?: AbortSignal } }).__smithy_context
          ?.abortSignal;
        let permit: RateLimitPermit;
        try {
          permit = await limiter.acquire(scope, signal);
        } catch (err) {
          // Name the operation that gave up waiting (the limiter itself only knows the service).
          if (err instanceof AwsError) {
            throw new AwsError(err.classification, {
              operation: operationName(scope.service, context.commandName),
            });
          }
          throw err;
        }
        try {
          return await next(args);
        } finally {
          await permit.release();
        }
      };
      return {
        applyToStack(stack) {
          stack.addRelativeTo(gate, {
            relation: 'after',
            toMiddleware: 'retryMiddleware',
            name: 'cceAccountRateLimit',
            override: true,
          });
        },
      };
    },
    metrics: () => ({ ...totals }),
  };
  return limiter;
}

/** `account:region` (IAM: `account:global`); the service is in the limiter's key prefix. */
export function scopeKey(scope: RateLimitScope): string {
  return `${scope.accountId}:${scope.service === 'iam' ? 'global' : scope.region}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
