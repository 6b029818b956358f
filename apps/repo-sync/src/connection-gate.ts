import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * How many `sync-repository` jobs of one connection may run at once, across every replica. Without it a
 * large account's hundreds of repository jobs would take every worker slot, each waiting its turn on
 * that account's AWS rate limit, and the runs of every other tenant would queue behind them for hours.
 * With it, a job over the limit is put back (delayed) and the slot goes to another tenant's job.
 *
 * A lease semaphore in Redis (a sorted set of lease ids scored by expiry): a replica that dies holding
 * a lease loses it when it expires; a live job renews its lease while it runs.
 */
export interface ConnectionGate {
  /** A release function when the connection has a free slot, null when it has none. */
  tryEnter(connectionId: string): Promise<(() => Promise<void>) | null>;
  readonly limit: number;
}

/** KEYS[1] lease set. ARGV: lease ms, limit, lease id. 1 when taken. Redis's clock, so replicas agree. */
const ENTER = `
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

export function createConnectionGate(options: {
  redis: Redis;
  keyPrefix: string;
  limit: number;
  /** A crashed replica's slot is freed after this; live jobs renew at a third of it. Default 60 s. */
  leaseMs?: number;
}): ConnectionGate {
  const leaseMs = options.leaseMs ?? 60_000;
  const { redis } = options;
  return {
    limit: options.limit,
    async tryEnter(connectionId) {
      const key = `${options.keyPrefix}:repo-sync-gate:${connectionId}`;
      const lease = randomUUID();
      const taken = (await redis.eval(ENTER, 1, key, leaseMs, options.limit, lease)) === 1;
      if (!taken) return null;
      const renew = setInterval(
        () => {
          redis.eval(RENEW, 1, key, leaseMs, lease).catch(() => {});
        },
        Math.floor(leaseMs / 3),
      );
      renew.unref();
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        clearInterval(renew);
        await redis.zrem(key, lease).catch(() => {});
      };
    },
  };
}

/** Delay before a gated job is tried again: doubling per deferral, 1 s to 30 s, with jitter. */
export function deferralDelayMs(deferrals: number): number {
  const base = Math.min(30_000, 1_000 * 2 ** Math.min(deferrals, 5));
  return Math.round(base * (0.5 + Math.random() / 2));
}
