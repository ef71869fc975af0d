/** Reconnect delays: exponential with full jitter, so many browsers never retry in lock-step. */
export interface BackoffOptions {
  /** First delay ceiling in ms. Default 500. */
  initialDelay?: number;
  /** Largest delay ceiling in ms. Default 30 000. */
  maxDelay?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Random source in [0, 1); injectable for tests. */
  random?: () => number;
}

export const DEFAULT_BACKOFF: Required<Omit<BackoffOptions, 'random'>> = { initialDelay: 500, maxDelay: 30_000, factor: 2 };

/**
 * Delay before reconnect attempt `attempt` (1-based). "Full jitter": uniform in
 * [ceiling / 2, ceiling], keeping a floor so a retry never fires instantly.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { initialDelay, maxDelay, factor } = { ...DEFAULT_BACKOFF, ...options };
  const random = options.random ?? Math.random;
  const ceiling = Math.min(maxDelay, initialDelay * factor ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
