import type { Redis } from 'ioredis';

/**
 * Waits for a producer connection to be ready. Producers are created with `enableOfflineQueue: false`
 * (fail fast in a request), so a command sent before the socket is up fails instead of waiting; the
 * start-up check must wait for 'ready' first. The first connection error rejects (naming REDIS_URL):
 * at start an unreachable Redis is a misconfiguration to report now, not a blip to retry through.
 */
export async function waitForRedisReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`REDIS_URL: Redis did not become ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onEnd = () => {
      cleanup();
      reject(new Error('REDIS_URL: cannot reach Redis (connection closed)'));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new Error(`REDIS_URL: cannot reach Redis: ${err.message}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('end', onEnd);
      redis.off('error', onError);
    };
    redis.once('ready', onReady);
    redis.once('end', onEnd);
    redis.once('error', onError);
  });
}
