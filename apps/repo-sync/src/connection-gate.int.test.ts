import { useTestRedis } from '@codecommit-evidence/testing';
import { describe, expect, it } from 'vitest';
import { createConnectionGate, deferralDelayMs } from './connection-gate.js';

describe('connection gate (Redis)', () => {
  const r = useTestRedis();

  it('admits up to the limit per connection, renews a running job past its lease, frees on release', async () => {
    const gate = createConnectionGate({
      redis: r.current.redis,
      keyPrefix: r.current.prefix,
      limit: 2,
      leaseMs: 300,
    });
    const a = await gate.tryEnter('c1');
    const b = await gate.tryEnter('c1');
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect(await gate.tryEnter('c1')).toBeNull();
    // Another connection has its own slots.
    const other = await gate.tryEnter('c2');
    expect(other).not.toBeNull();
    // Held longer than the lease: renewed, still counted.
    await new Promise((res) => setTimeout(res, 700));
    expect(await gate.tryEnter('c1')).toBeNull();
    await a!();
    const c = await gate.tryEnter('c1');
    expect(c).not.toBeNull();
    await Promise.all([b!(), c!(), other!()]);
  });

  it('defers with a doubling, bounded, jittered delay', () => {
    for (let i = 0; i < 50; i++) {
      expect(deferralDelayMs(0)).toBeGreaterThanOrEqual(500);
      expect(deferralDelayMs(0)).toBeLessThanOrEqual(1_000);
      expect(deferralDelayMs(20)).toBeLessThanOrEqual(30_000);
      expect(deferralDelayMs(20)).toBeGreaterThanOrEqual(15_000);
    }
  });
});
