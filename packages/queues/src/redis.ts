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

/**
 * The start-up check: resolves once the connection is ready and answers PING; rejects, naming
 * REDIS_URL, on the first connection error. At start an unreachable Redis is a misconfiguration to
 * report now, not a blip to retry through (a worker connection would otherwise retry forever, and a
 * producer connection refuses commands until it is ready).
 */
export async function assertRedisReachable(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`REDIS_URL: Redis did not become ready within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onReady = () => done();
      const onEnd = () => done(new Error('REDIS_URL: cannot reach Redis (connection closed)'));
      const onError = (err: Error) => done(new Error(`REDIS_URL: cannot reach Redis: ${err.message}`));
      const done = (err?: Error) => {
        clearTimeout(timer);
        redis.off('ready', onReady);
        redis.off('end', onEnd);
        redis.off('error', onError);
        if (err) reject(err);
        else resolve();
      };
      redis.once('ready', onReady);
      redis.once('end', onEnd);
      redis.once('error', onError);
    });
  }
  try {
    await redis.ping();
  } catch (err) {
    throw new Error(`REDIS_URL: cannot reach Redis: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Removes every key under a BullMQ prefix (all of one deployment's or one test's queues). SCAN, not
 * KEYS, so a large Redis is not blocked. Returns how many keys were deleted.
 */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}
