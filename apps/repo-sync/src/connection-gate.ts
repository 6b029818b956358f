import { tryTakeLease } from '@codecommit-evidence/aws-clients';
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
      const lease = await tryTakeLease(redis, key, options.limit, leaseMs);
      if (!lease) return null;
      const renew = setInterval(
        () => {
          lease.renew().catch(() => {});
        },
        Math.floor(leaseMs / 3),
      );
      renew.unref();
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        clearInterval(renew);
        await lease.release();
      };
    },
  };
}

/** Delay before a gated job is tried again: doubling per deferral, 1 s to 30 s, with jitter. */
export function deferralDelayMs(deferrals: number): number {
  const base = Math.min(30_000, 1_000 * 2 ** Math.min(deferrals, 5));
  return Math.round(base * (0.5 + Math.random() / 2));
}
