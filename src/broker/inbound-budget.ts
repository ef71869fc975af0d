/**
 * The inbound byte budget of each principal: a token bucket per user, shared by all of that user's
 * connections. A user who sends faster than the budget is not dropped and loses nothing: the broker
 * reads that user's sockets more slowly (TCP and WebSocket backpressure), so one user's flood of
 * large or costly publishes cannot take the broker's and the workers' CPU from everyone else
 * (issue 14: requests at the size limit, or nested thousands of levels deep).
 */

/** Most buckets kept before the full ones are forgotten (a full bucket is the same as none). */
const MAX_IDLE_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

/** Per-key token buckets of bytes. */
export class InboundBudget {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly bytesPerSecond: number,
    private readonly burstBytes: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Takes `bytes` from `key`'s bucket. Returns 0 within the budget, else the milliseconds to wait
   * before reading more from this key (the bucket may go negative: a packet is never split).
   */
  take(key: string, bytes: number): number {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= MAX_IDLE_BUCKETS) this.forgetFull(now);
      bucket = { tokens: this.burstBytes, at: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.burstBytes, bucket.tokens + ((now - bucket.at) * this.bytesPerSecond) / 1000) - bytes;
    bucket.at = now;
    return bucket.tokens >= 0 ? 0 : Math.ceil((-bucket.tokens * 1000) / this.bytesPerSecond);
  }

  private forgetFull(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) * this.bytesPerSecond) / 1000 >= this.burstBytes) this.buckets.delete(key);
    }
  }
}
