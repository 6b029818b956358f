import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection for BullMQ. Workers need `maxRetriesPerRequest: null` (BullMQ's blocking
 * commands must wait out a Redis restart instead of failing); producers in an HTTP request path
 * fail fast instead, so a request does not hang while Redis is down.
 */
export function createRedisConnection(
  url: string,
  role: 'worker' | 'producer',
  extra: RedisOptions = {},
): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 3,
    enableOfflineQueue: role === 'worker',
    connectTimeout: 10_000,
    ...extra,
  });
}

/** Resolves once Redis answers PING, or rejects with a message naming REDIS_URL. */
export async function assertRedisReachable(redis: Redis, timeoutMs = 10_000): Promise<void> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`REDIS_URL: Redis did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    ).unref(),
  );
  try {
    await Promise.race([redis.ping(), timeout]);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(reason.startsWith('REDIS_URL') ? reason : `REDIS_URL: cannot reach Redis: ${reason}`);
  }
}
