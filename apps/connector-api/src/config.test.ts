import { ConfigError } from '@codecommit-evidence/runtime';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const valid = { ADMIN_TOKEN: 'a-long-enough-admin-token', PLATFORM_AWS_ACCOUNT_ID: '444455556666' };

describe('config', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig(valid)).toMatchObject({
      PORT: 8080,
      HOST: '0.0.0.0',
      DEFAULT_SYNC_INTERVAL_MINUTES: 360,
      LOG_LEVEL: 'info',
      QUEUE_PREFIX: '{cce}',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/codecommit_evidence',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(loadConfig(valid).AWS_ENDPOINT_URL).toBeUndefined();
  });

  it.each([
    [{}, ['ADMIN_TOKEN', 'PLATFORM_AWS_ACCOUNT_ID']],
    [{ ...valid, ADMIN_TOKEN: 'short' }, ['ADMIN_TOKEN']],
    [{ ...valid, PLATFORM_AWS_ACCOUNT_ID: '4444' }, ['PLATFORM_AWS_ACCOUNT_ID']],
    [{ ...valid, DATABASE_URL: 'mysql://x' }, ['DATABASE_URL']],
    [{ ...valid, REDIS_URL: 'http://x' }, ['REDIS_URL']],
    [{ ...valid, AWS_ENDPOINT_URL: 'not a url' }, ['AWS_ENDPOINT_URL']],
    [{ ...valid, DEFAULT_SYNC_INTERVAL_MINUTES: '5' }, ['DEFAULT_SYNC_INTERVAL_MINUTES']],
    [{ ...valid, PORT: 'eighty' }, ['PORT']],
  ])('names each bad variable: %j', (env, names) => {
    let error: unknown;
    try {
      loadConfig(env as NodeJS.ProcessEnv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    for (const n of names) expect((error as Error).message).toContain(n);
    expect((error as Error).message).not.toContain('short');
  });
});
