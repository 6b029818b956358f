import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A counting semaphore in Redis shared by every replica: a sorted set of lease ids scored by expiry.
 * A replica that dies holding a lease loses it when it expires, so a crash never leaks a slot for good;
 * the expiry uses Redis's clock (`TIME`), so replicas with skewed clocks agree. Used for the per-account
 * AWS concurrency limit here and for repo-sync's per-connection job gate.
 *
 * Kept instead of redis-semaphore (issue 12 asked): its Semaphore is the same sorted set, but its
 * acquire/refresh scripts take `now` from the caller's clock (the `now` argument its Lua is called with,
 * `Date.now()` in the client), so a replica whose clock is ahead evicts the others' live leases and one
 * behind holds expired ones: the per-account limit would not hold across replicas with skewed clocks.
 * It also refreshes on its own timer, where the gate renews with the job's lifecycle and treats a lost
 * lease as a signal (`renew()` is false).
 */

/** KEYS[1] lease set. ARGV: lease ms, limit, lease id. Returns 1 when the lease was taken, else 0. */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return 1
end
return 0
`;

/** KEYS[1] lease set. ARGV: lease ms, lease id. Pushes the lease's expiry (only if it is still held). */
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return 1
end
return 0
`;

export interface RedisLease {
  id: string;
  /** Pushes the expiry out by another lease period; false when the lease had already expired. */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/** Takes one of `limit` slots under `key` for `leaseMs`, or answers null when all are taken. */
export async function tryTakeLease(
  redis: Redis,
  key: string,
  limit: number,
  leaseMs: number,
): Promise<RedisLease | null> {
  const id = randomUUID();
  const taken = (await redis.eval(TAKE, 1, key, leaseMs, limit, id)) === 1;
  if (!taken) return null;
  return {
    id,
    renew: async () => (await redis.eval(RENEW, 1, key, leaseMs, id)) === 1,
    release: async () => {
      await redis.zrem(key, id).catch(() => {});
    },
  };
}
