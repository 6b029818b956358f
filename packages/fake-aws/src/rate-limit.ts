/**
 * Token buckets, one per service, account and region: `rate` requests per second sustained, with a
 * burst of one second's worth (at least one request).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** Takes a token; false when the caller is over its rate. */
  take(key: string, rate: number | undefined, now: number): boolean {
    if (rate === undefined || !(rate > 0) || !Number.isFinite(rate)) return true;
    const capacity = Math.max(1, rate);
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  reset(): void {
    this.buckets.clear();
  }
}
