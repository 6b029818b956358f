import { useTestRedis } from '@codecommit-evidence/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createCallCounter } from './call-counter.js';
import { createAwsClientFactory } from './clients.js';
import { listRepositories } from './codecommit.js';
import { AwsError } from './errors.js';
import { collect } from './paginate.js';
import { createAccountRateLimiter, type RateLimitScope, scopeKey } from './rate-limit.js';
import { connection, useFakeAws } from './test-support/fake.js';

const fake = useFakeAws({ repos: 3, prsPerRepo: 1, users: 1 });
const redis = useTestRedis();

/** Runs `n` calls of `fn` at once; returns the elapsed ms. */
async function burst(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const started = Date.now();
  await Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
  return Date.now() - started;
}

let prefixSeq = 0;
const prefix = () => `${redis.current.prefix}:t${++prefixSeq}`;

describe('SDK retries under the fake throttle', () => {
  beforeEach(() => {
    fake.current.resetStats();
    fake.current.setOptions({ rates: {}, latencyMs: 0 });
  });
  afterAll(() => fake.current.setOptions({ rates: {} }));

  it('retries throttled calls (standard mode) until they succeed, and counts the throttles', async () => {
    fake.current.setOptions({ rates: { codecommit: 4 } });
    const counter = createCallCounter();
    const factory = createAwsClientFactory({
      endpoint: fake.current.url,
      platformCredentials: fake.current.platformCredentials,
      maxAttempts: 8,
    });
    const clients = factory.forConnection(connection(), { callCounter: counter });
    const op = 'codecommit:ListRepositories';
    const elapsed = await burst(10, () => collect(listRepositories(clients.codecommit)));
    const stats = counter.stats();
    const throttled = stats.throttled[op] ?? 0;
    expect(stats.calls[op]).toBe(10);
    expect(throttled).toBeGreaterThan(0);
    expect(stats.failed[op]).toBeUndefined();
    expect(stats.attempts[op]).toBe(10 + throttled);
    // Our counts agree with what the fake saw.
    expect(fake.current.stats().throttled[op]).toBe(throttled);
    expect(fake.current.stats().calls[op]).toBe(10 + throttled);
    console.info(`SDK retries: 10 calls at 4/s, ${throttled} throttled attempts, ${elapsed} ms`);
    clients.destroy();
    factory.destroy();
  });

  it('gives up after maxAttempts with a classified throttled error', async () => {
    fake.current.setOptions({ rates: { iam: 0.001 } });
    const counter = createCallCounter();
    const factory = createAwsClientFactory({
      endpoint: fake.current.url,
      platformCredentials: fake.current.platformCredentials,
      maxAttempts: 2,
    });
    const clients = factory.forConnection(connection(), { callCounter: counter });
    const { listUsers } = await import('./iam.js');
    // The bucket starts with one token: the first call passes, the next is throttled twice.
    await collect(listUsers(clients.iam));
    const err = await collect(listUsers(clients.iam)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsError);
    expect(err).toMatchObject({ code: 'throttled', retryable: true, awsCode: 'Throttling' });
    expect(counter.stats().attempts['iam:ListUsers']).toBe(3);
    clients.destroy();
    factory.destroy();
  });
});

describe('createAccountRateLimiter (Redis)', () => {
  const scope: RateLimitScope = { accountId: '111122223333', region: 'us-east-1', service: 'codecommit' };

  it('spaces requests to the configured rate, so the fake never throttles', async () => {
    fake.current.resetStats();
    fake.current.setOptions({ rates: { codecommit: 5 } });
    const limiter = createAccountRateLimiter({
      redis: redis.current.redis,
      keyPrefix: prefix(),
      requestsPerSecond: { codecommit: 4 },
      maxConcurrentPerAccount: 4,
    });
    const counter = createCallCounter();
    const factory = createAwsClientFactory({
      endpoint: fake.current.url,
      platformCredentials: fake.current.platformCredentials,
      rateLimiter: limiter,
    });
    const clients = factory.forConnection(connection(), { callCounter: counter });
    const elapsed = await burst(12, () => collect(listRepositories(clients.codecommit)));
    // 12 requests at 4/s: the last window opens 2 s after the first.
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(counter.snapshot()['codecommit:ListRepositories']).toBe(12);
    expect(fake.current.stats().throttled['codecommit:ListRepositories'] ?? 0).toBe(0);
    expect(limiter.metrics().permits).toBe(12);
    console.info(
      `rate limit: 12 calls at 4/s took ${elapsed} ms, waited ${limiter.metrics().waitedMs} ms in total`,
    );
    fake.current.setOptions({ rates: {} });
    clients.destroy();
    factory.destroy();
  });

  it('limits requests in flight per account across limiter instances (replicas)', async () => {
    const keyPrefix = prefix();
    const other = new Redis(redis.current.url);
    const a = createAccountRateLimiter({
      redis: redis.current.redis,
      keyPrefix,
      maxConcurrentPerAccount: 2,
      requestsPerSecond: { codecommit: 100 },
    });
    const b = createAccountRateLimiter({
      redis: other,
      keyPrefix,
      maxConcurrentPerAccount: 2,
      requestsPerSecond: { codecommit: 100 },
    });
    let inFlight = 0;
    let peak = 0;
    const work = async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 50));
      inFlight--;
    };
    const elapsed = await burst(8, (i) => (i % 2 ? a : b).schedule(scope, work));
    expect(peak).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(190); // 8 x 50 ms, two at a time
    other.disconnect();
  });

  it('gives each account its own budget', async () => {
    const limiter = createAccountRateLimiter({
      redis: redis.current.redis,
      keyPrefix: prefix(),
      requestsPerSecond: { iam: 2 },
    });
    const big: RateLimitScope = { accountId: '000000000001', region: 'us-east-1', service: 'iam' };
    const small: RateLimitScope = { accountId: '000000000002', region: 'us-east-1', service: 'iam' };
    // The big tenant queues 6 requests at 2/s; meanwhile the small tenant is not slowed down.
    const bigRun = burst(6, () => limiter.schedule(big, async () => {}));
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await limiter.schedule(small, async () => {});
    expect(Date.now() - started).toBeLessThan(150);
    expect(await bigRun).toBeGreaterThanOrEqual(1500);
    // IAM is global: every Region of an account shares one IAM budget.
    expect(scopeKey({ ...big, region: 'eu-west-1' })).toBe(scopeKey(big));
    expect(scopeKey({ ...big, service: 'codecommit', region: 'eu-west-1' })).not.toBe(
      scopeKey({ ...big, service: 'codecommit' }),
    );
  });

  it('waits at most maxWaitMs, then fails as throttled', async () => {
    const limiter = createAccountRateLimiter({
      redis: redis.current.redis,
      keyPrefix: prefix(),
      maxConcurrentPerAccount: 1,
      maxWaitMs: 150,
    });
    const held = await limiter.acquire(scope);
    const started = Date.now();
    const err = await limiter.acquire(scope).catch((e: unknown) => e);
    const waited = Date.now() - started;
    expect(err).toBeInstanceOf(AwsError);
    expect(err).toMatchObject({ code: 'throttled', retryable: true, awsCode: 'RateLimitWaitExceeded' });
    expect(waited).toBeGreaterThanOrEqual(140);
    expect(waited).toBeLessThan(1000);

    // Through a client: the call fails with the operation named, after one attempt (the SDK does not
    // retry our own wait timeout; the caller's job is retried later instead).
    const counter = createCallCounter();
    const factory = createAwsClientFactory({
      endpoint: fake.current.url,
      platformCredentials: fake.current.platformCredentials,
      rateLimiter: limiter,
    });
    const clients = factory.forConnection(
      connection({ roleArn: `arn:aws:iam::${scope.accountId}:role/CodeCommitEvidence` }),
      {
        callCounter: counter,
      },
    );
    const viaClient = await collect(listRepositories(clients.codecommit)).catch((e: unknown) => e);
    expect(viaClient).toMatchObject({ code: 'throttled', operation: 'codecommit:ListRepositories' });
    expect(counter.stats().attempts['codecommit:ListRepositories'] ?? 0).toBe(0);
    clients.destroy();
    factory.destroy();

    await held.release();
    await expect(limiter.acquire(scope).then((p) => p.release())).resolves.toBeUndefined();
  });

  it('frees the slot of a holder that never released (crashed replica) after leaseMs', async () => {
    const limiter = createAccountRateLimiter({
      redis: redis.current.redis,
      keyPrefix: prefix(),
      maxConcurrentPerAccount: 1,
      leaseMs: 200,
    });
    await limiter.acquire(scope); // never released
    const started = Date.now();
    const permit = await limiter.acquire(scope);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    await permit.release();
  });
});
