/**
 * The one connection state machine of the kit, and the only code that decides a connection
 * snapshot: `Connection` (connection.ts) applies this reducer to its store and nothing else writes
 * it. Drivers turn MQTT client events into {@link ConnectionEvent}s; hooks and components only read.
 */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'error';

/** Why the connection is not up: credentials refused, broker not reachable, or anything else. */
export type ConnectionErrorKind = 'auth' | 'unreachable' | 'protocol';

/** Why the last connect failed, in words for people and a kind for code. */
export interface ConnectionError {
  kind: ConnectionErrorKind;
  message: string;
}

/** The connection axis as hooks read it: status, attempt count, next retry, last error. */
export interface ConnectionSnapshot {
  status: ConnectionStatus;
  /** Reconnect attempts since the last successful connect (0 while connected). */
  attempt: number;
  /** When the next automatic attempt fires (ms since epoch), or null when none is scheduled. */
  nextRetryAt: number | null;
  lastError: ConnectionError | null;
  /** When the connection last came up (ms since epoch). */
  connectedAt: number | null;
}

/** The state before the first connect: `connecting`, no attempt yet. */
export const INITIAL_CONNECTION: ConnectionSnapshot = {
  status: 'connecting',
  attempt: 0,
  nextRetryAt: null,
  lastError: null,
  connectedAt: null,
};

/** What happened to the socket: the inputs of {@link nextConnectionState}. */
export type ConnectionEvent =
  | { type: 'connected'; at: number }
  /** The connection that was up went down; `reason` ends up in the network error of open streams. */
  | { type: 'lost'; error?: ConnectionError; reason?: string }
  /** The client reported an error without giving up the attempt: remembered unless connected. */
  | { type: 'error-seen'; error: ConnectionError }
  | { type: 'retry-scheduled'; at: number }
  | { type: 'attempt' }
  | { type: 'failed'; error: ConnectionError }
  | { type: 'browser-offline' }
  | { type: 'closed' };

/** Pure transition function: the same event in the same state always gives the same state. */
export function nextConnectionState(state: ConnectionSnapshot, event: ConnectionEvent): ConnectionSnapshot {
  switch (event.type) {
    case 'connected':
      return { status: 'connected', attempt: 0, nextRetryAt: null, lastError: null, connectedAt: event.at };
    case 'lost':
      return { ...state, status: 'reconnecting', nextRetryAt: null, lastError: event.error ?? state.lastError };
    case 'error-seen':
      return state.status === 'connected' ? state : { ...state, lastError: event.error };
    case 'retry-scheduled':
      // A refused credential stays an error even if the client keeps retrying on its own (external MQTT.js clients do).
      return { ...state, status: state.status === 'offline' || state.status === 'error' ? state.status : 'reconnecting', nextRetryAt: event.at };
    case 'attempt':
      return { ...state, status: state.connectedAt === null && state.attempt === 0 ? 'connecting' : 'reconnecting', attempt: state.attempt + 1, nextRetryAt: null };
    case 'failed':
      // Auth refusals stop automatic retries: retrying a refused credential is a storm, not a recovery.
      return { ...state, status: event.error.kind === 'auth' ? 'error' : 'reconnecting', lastError: event.error, nextRetryAt: null };
    case 'browser-offline':
      return { ...state, status: 'offline', nextRetryAt: null };
    case 'closed':
      return { ...state, status: 'offline', nextRetryAt: null };
  }
}
