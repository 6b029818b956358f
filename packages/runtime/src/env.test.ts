import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, parseEnv } from './env.js';

describe('parseEnv', () => {
  const schema = z.object({
    PORT: z.coerce.number().int().min(1).max(65535).default(8080),
    DATABASE_URL: z.string().url(),
  });

  it('applies defaults and treats empty strings as unset', () => {
    expect(parseEnv(schema, { PORT: '', DATABASE_URL: 'postgres://h/db' })).toEqual({
      PORT: 8080,
      DATABASE_URL: 'postgres://h/db',
    });
  });

  it('names every bad variable and never echoes its value', () => {
    const secret = 'not a url with s3cret';
    let error: unknown;
    try {
      parseEnv(schema, { PORT: '99999', DATABASE_URL: secret });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT');
    expect(message).toContain('DATABASE_URL');
    expect(message).not.toContain('s3cret');
  });
});
