import { CodeCommitClient, ListRepositoriesCommand } from '@aws-sdk/client-codecommit';
import type { FinalizeHandler, MetadataBearer, MiddlewareStack } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { callCountingPlugin, createCallCounter, fanOutCallCounter, operationName } from './call-counter.js';
import { createAwsClientFactory } from './clients.js';

describe('createCallCounter', () => {
  it('counts calls per operation and events separately', () => {
    const c = createCallCounter();
    c.record('codecommit:ListRepositories');
    c.record('codecommit:ListRepositories');
    c.record('codecommit:ListRepositories', 'attempt');
    c.record('iam:ListUsers', 'throttled');
    expect(c.snapshot()).toEqual({ 'codecommit:ListRepositories': 2 });
    expect(c.stats()).toEqual({
      calls: { 'codecommit:ListRepositories': 2 },
      attempts: { 'codecommit:ListRepositories': 1 },
      throttled: { 'iam:ListUsers': 1 },
      failed: {},
    });
    c.reset();
    expect(c.snapshot()).toEqual({});
  });

  it('fans out to several counters', () => {
    const a = createCallCounter();
    const b = createCallCounter();
    fanOutCallCounter(a, b).record('iam:ListRoles');
    expect(a.snapshot()).toEqual({ 'iam:ListRoles': 1 });
    expect(b.snapshot()).toEqual({ 'iam:ListRoles': 1 });
  });

  it('names operations service:Operation', () => {
    expect(operationName('iam', 'ListUsersCommand')).toBe('iam:ListUsers');
  });
});

describe('middleware placement', () => {
  it('puts the rate limiter and the attempt counter after the retry middleware and before signing', () => {
    const factory = createAwsClientFactory({
      endpoint: 'http://127.0.0.1:1',
      platformCredentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      callCounter: createCallCounter(),
      rateLimiter: {
        plugin: () => ({
          applyToStack: (stack: MiddlewareStack<object, MetadataBearer>) =>
            stack.addRelativeTo((next: FinalizeHandler<object, MetadataBearer>) => next, {
              relation: 'after',
              toMiddleware: 'retryMiddleware',
              name: 'cceAccountRateLimit',
            }),
        }),
      } as never,
    });
    const { codecommit } = factory.forConnection({
      connectionId: 'c1',
      roleArn: 'arn:aws:iam::123456789012:role/r',
      externalId: 'x',
      region: 'us-east-1',
    });
    const order = codecommit.middlewareStack.identify().map((s) => s.split(' ')[0]);
    const at = (name: string) => order.indexOf(name);
    expect(at('cceCallCounter')).toBeGreaterThanOrEqual(0);
    expect(at('cceCallCounter')).toBeLessThan(at('retryMiddleware'));
    expect(at('retryMiddleware')).toBeLessThan(at('cceAccountRateLimit'));
    expect(at('cceAccountRateLimit')).toBeLessThan(at('cceAttemptCounter'));
    const signing = order.findIndex((n) => /sign/i.test(n ?? ''));
    expect(at('cceAttemptCounter')).toBeLessThan(signing);
    factory.destroy();
    codecommit.destroy();
  });

  it('counts a failed call once per attempt and once as a call', async () => {
    const counter = createCallCounter();
    const client = new CodeCommitClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9', // nothing listens on the discard port
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 2,
      retryMode: 'standard',
    });
    client.middlewareStack.use(callCountingPlugin('codecommit', counter));
    await expect(client.send(new ListRepositoriesCommand({}))).rejects.toThrow();
    expect(counter.stats()).toMatchObject({
      calls: { 'codecommit:ListRepositories': 1 },
      attempts: { 'codecommit:ListRepositories': 2 },
      failed: { 'codecommit:ListRepositories': 1 },
    });
    client.destroy();
  });
});
