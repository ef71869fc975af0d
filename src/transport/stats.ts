/** Counters of what a client dropped, by reason. Never thrown into the UI: only counted. */
export type DropReason = 'malformed' | 'version' | 'invalid' | 'foreign' | 'stale' | 'duplicate' | 'oversized';

/** What a transport received, dropped (by reason), replayed and recovered. */
export interface TransportStats {
  received: number;
  dropped: Record<DropReason, number>;
  replaysRequested: number;
  /** Requests sent again because no worker had shown the turn yet (see TurnReader). */
  requestsResent: number;
  chunksRecovered: number;
}

/** Counters at zero. */
export function emptyStats(): TransportStats {
  return {
    received: 0,
    dropped: { malformed: 0, version: 0, invalid: 0, foreign: 0, stale: 0, duplicate: 0, oversized: 0 },
    replaysRequested: 0,
    requestsResent: 0,
    chunksRecovered: 0,
  };
}

/** Every dropped message, whatever the reason. */
export function totalDropped(stats: TransportStats): number {
  let total = 0;
  for (const key in stats.dropped) total += stats.dropped[key as DropReason];
  return total;
}
