/**
 * The one state machine of a turn as this page sees it (its delivery, not the worker's turn state):
 * from the moment a prompt is accepted until the turn's last chunk reached this page, or the turn
 * is known to have failed or been cancelled here. Pure: the same event in the same phase always
 * gives the same phase, so every transition is unit-tested without a broker or a clock.
 */

/**
 * - `queued`: accepted while the connection is down; kept in the outbox until it can be sent.
 * - `sent`: published (or posted); no worker has shown it yet, so it is re-sent until one does.
 * - `streaming`: a worker shows the turn and this page is delivering its chunks in order.
 * - `interrupted`: the connection dropped while the turn was not delivered to the end.
 * - `catching-up`: back online (or the worker said it ended) and this page is fetching what it lacks.
 * - `delivered`: the turn's last sequence reached this page. The only "done".
 * - `failed`: the worker said the turn failed or is unknown to it, or nobody answered a lookup.
 * - `cancelled`: this page stopped reading (stop, or the consumer went away).
 */
export type TurnPhase = 'queued' | 'sent' | 'streaming' | 'interrupted' | 'catching-up' | 'delivered' | 'failed' | 'cancelled';

export type TurnEvent =
  | { type: 'published' }
  /** A status or a chunk of the turn arrived: a worker has it. */
  | { type: 'worker-seen' }
  | { type: 'connection-lost' }
  | { type: 'connection-back' }
  /** The worker reported the turn's end (final status, end flag or lookup) before this page had all of it. */
  | { type: 'end-known' }
  /** Every sequence up to the last one is delivered. */
  | { type: 'end-delivered' }
  /** The page caught up with a turn that is still live. */
  | { type: 'caught-up' }
  | { type: 'failed' }
  | { type: 'cancelled' };

/** Phases a turn never leaves. */
export const SETTLED_PHASES: ReadonlySet<TurnPhase> = new Set(['delivered', 'failed', 'cancelled']);

/** Pure transition function; events that make no sense in a phase leave it unchanged. */
export function nextTurnPhase(phase: TurnPhase, event: TurnEvent): TurnPhase {
  if (SETTLED_PHASES.has(phase)) return phase;
  switch (event.type) {
    case 'published':
      return phase === 'queued' ? 'sent' : phase;
    case 'worker-seen':
      return phase === 'sent' || phase === 'queued' ? 'streaming' : phase;
    case 'connection-lost':
      // A queued prompt was never out: it stays queued. Anything on the wire is interrupted.
      return phase === 'queued' ? phase : 'interrupted';
    case 'connection-back':
      return phase === 'interrupted' ? 'catching-up' : phase;
    case 'end-known':
      return phase === 'interrupted' ? phase : 'catching-up';
    case 'caught-up':
      return phase === 'catching-up' ? 'streaming' : phase;
    case 'end-delivered':
      return 'delivered';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
  }
}

/** True while the turn may still deliver chunks to this page. */
export function isOpenPhase(phase: TurnPhase): boolean {
  return !SETTLED_PHASES.has(phase);
}
