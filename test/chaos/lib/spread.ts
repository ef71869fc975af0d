/** Summaries of reconnect times: how spread out they are, and the worst burst. */
export interface Spread {
  n: number;
  /** Ms after the broker came back: first, median, last reconnect. */
  minMs: number;
  p50Ms: number;
  maxMs: number;
  /** Largest share of the reconnects that landed inside any window of `windowMs`. */
  maxShareInWindow: number;
  windowMs: number;
}

export function spreadOf(delays: number[], windowMs = 50): Spread {
  const sorted = [...delays].sort((a, b) => a - b);
  const n = sorted.length;
  let best = 0;
  for (let i = 0, j = 0; i < n; i++) {
    while (sorted[i] - sorted[j] > windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return {
    n,
    minMs: Math.round(sorted[0] ?? 0),
    p50Ms: Math.round(sorted[Math.floor(n / 2)] ?? 0),
    maxMs: Math.round(sorted[n - 1] ?? 0),
    maxShareInWindow: n === 0 ? 0 : Number((best / n).toFixed(2)),
    windowMs,
  };
}
