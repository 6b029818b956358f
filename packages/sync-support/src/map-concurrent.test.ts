import { describe, expect, it } from 'vitest';
import { mapConcurrent } from './map-concurrent.js';

describe('mapConcurrent', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapConcurrent([5, 1, 4, 2, 3, 0], 2, async (n) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, n * 3));
      active--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
  });

  it('stops starting new calls after a failure and rethrows it', async () => {
    const started: number[] = [];
    await expect(
      mapConcurrent([1, 2, 3, 4, 5], 1, async (n) => {
        started.push(n);
        if (n === 2) throw new Error('boom');
        return n;
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
  });

  it('rethrows the first failure only once the calls in flight have settled', async () => {
    const settled: number[] = [];
    await expect(
      mapConcurrent([1, 2, 3], 3, async (n) => {
        await new Promise((r) => setTimeout(r, n === 1 ? 5 : 30));
        if (n === 1) throw new Error('first');
        settled.push(n);
        return n;
      }),
    ).rejects.toThrow('first');
    expect(settled.sort()).toEqual([2, 3]);
  });
});
