import { describe, expect, it } from 'vitest';
import { AwsEnv, awsClientOptionsFromEnv, PlatformAccountEnv, rateLimitOptionsFromEnv } from './env.js';

describe('AwsEnv', () => {
  it('applies defaults', () => {
    const env = AwsEnv.parse({});
    expect(awsClientOptionsFromEnv(env)).toEqual({ maxAttempts: 5 });
    expect(rateLimitOptionsFromEnv(env)).toEqual({
      requestsPerSecond: { codecommit: 8, iam: 5 },
      maxConcurrentPerAccount: 4,
    });
  });

  it('reads strings from the environment and names a bad variable', () => {
    const env = AwsEnv.parse({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_MAX_ATTEMPTS: '3' });
    expect(awsClientOptionsFromEnv(env)).toEqual({ endpoint: 'http://127.0.0.1:4566', maxAttempts: 3 });
    const bad = AwsEnv.safeParse({ AWS_MAX_ATTEMPTS: '0' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['AWS_MAX_ATTEMPTS']);
    expect(PlatformAccountEnv.safeParse({ PLATFORM_AWS_ACCOUNT_ID: '1234' }).success).toBe(false);
  });
});
