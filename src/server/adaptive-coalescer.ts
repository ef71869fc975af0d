/**
 * Adaptive coalescing: how long a turn's publisher may hold text deltas to merge them.
 *
 * At low load every token leaves at once (window 0), as with a fixed window of 0. When the link to
 * the broker backs up (QoS 1 acknowledgements come back late, or bytes pile up in the socket
 * buffer) the window opens, about as wide as the lag, so each chat sends one merged message per
 * round trip instead of one per token: fewer messages, the same text, and an added delay bounded
 * by `maxWindowMs`. As the broker catches up the lag falls and the window closes again.
 *
 * No timers and no I/O: the owner of a broker connection feeds it observations and asks for the
 * window of the next delta. One coalescer per connection, shared by every turn on it.
 */

export interface AdaptiveCoalescingOptions {
  /** Ack lag (ms, smoothed) up to which the link counts as keeping up. Default 8. */
  lagThresholdMs: number;
  /** Socket backlog (bytes not yet taken by the kernel) up to which the link keeps up. Default 64 KiB. */
  backlogThresholdBytes: number;
  /** The widest window, ms: the most a token is ever held back. Default 50. */
  maxWindowMs: number;
  /** Weight of a new lag sample in the moving average, 0..1. Default 0.2. */
  smoothing: number;
}

/** Defaults of the adaptive coalescer: every token leaves at once until the publisher lags. */
export const ADAPTIVE_COALESCING_DEFAULTS: Readonly<AdaptiveCoalescingOptions> = {
  lagThresholdMs: 8,
  backlogThresholdBytes: 64 * 1024,
  maxWindowMs: 50,
  smoothing: 0.2,
};

/** The window for a link in the state given, ms (0: publish at once). */
export function coalescingWindowMs(lagMs: number, backlogBytes: number, options: AdaptiveCoalescingOptions = ADAPTIVE_COALESCING_DEFAULTS): number {
  const lagWindow = lagMs > options.lagThresholdMs ? lagMs : 0;
  // A backlog four times the threshold opens the window fully.
  const backlogWindow = backlogBytes > options.backlogThresholdBytes ? (options.maxWindowMs * backlogBytes) / (4 * options.backlogThresholdBytes) : 0;
  return Math.min(options.maxWindowMs, Math.round(Math.max(lagWindow, backlogWindow)));
}

/** Keeps the smoothed state of one broker connection and answers {@link coalescingWindowMs} for it. */
export class AdaptiveCoalescer {
  private readonly options: AdaptiveCoalescingOptions;
  private lag = 0;
  private backlog = 0;

  constructor(options: Partial<AdaptiveCoalescingOptions> = {}) {
    this.options = { ...ADAPTIVE_COALESCING_DEFAULTS, ...options };
    if (!(this.options.smoothing > 0 && this.options.smoothing <= 1)) throw new RangeError(`smoothing must be in (0, 1], got ${this.options.smoothing}`);
    if (!(this.options.maxWindowMs >= 0)) throw new RangeError(`maxWindowMs must be >= 0, got ${this.options.maxWindowMs}`);
  }

  /** A QoS 1 publish on this connection was acknowledged `ms` after it was sent. */
  observeAckLag(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.lag += this.options.smoothing * (ms - this.lag);
  }

  /** Bytes the connection's socket holds that the kernel has not taken yet (`socket.writableLength`). */
  observeBacklog(bytes: number): void {
    if (Number.isFinite(bytes) && bytes >= 0) this.backlog = bytes;
  }

  /** Smoothed ack lag, ms. */
  get lagMs(): number {
    return this.lag;
  }

  /** How long the next delta may wait to be merged, ms. */
  windowMs(): number {
    return coalescingWindowMs(this.lag, this.backlog, this.options);
  }
}
