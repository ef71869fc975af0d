/** A per-key token bucket: `turns` per `perMs`, refilled continuously. In memory, per worker. */
export interface RateLimitOptions {
  turns: number;
  perMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly options: RateLimitOptions) {}

  /** Takes one token for `key`; false when the key is over its rate. */
  take(key: string, now = Date.now()): boolean {
    const { turns, perMs } = this.options;
    const bucket = this.buckets.get(key) ?? { tokens: turns, at: now };
    bucket.tokens = Math.min(turns, bucket.tokens + ((now - bucket.at) * turns) / perMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      return false;
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 10_000) this.prune(now);
    return true;
  }

  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) if (now - bucket.at > this.options.perMs) this.buckets.delete(key);
  }
}
