/**
 * What a client knows about one chat's latest turn, fed by the retained `status`, the worker's
 * answers and the turn registry (delivery, recovery, prompts waiting to be sent). Hooks read it
 * through `transport.chat(chatId).store`.
 */
import type { UIMessage } from 'ai';
import type { TurnState } from './envelope.js';

/** Recovery facts of the chat's latest turn, kept in its registry record. */
export interface RecoverySnapshot {
  /** A resume of this chat's turn is in progress (back online, fetching what this page lacks). */
  resuming: boolean;
  /** Chunks that arrived through replay (gap repair or resume) on the last recovery. */
  recoveredChunks: number;
  /** When the last recovery finished (ms since epoch), null if none yet. */
  lastRecoveredAt: number | null;
  /** When the connection dropped under the chat's latest turn (ms since epoch), null if it never did. */
  droppedAt: number | null;
}

/**
 * The one name of a turn's state on the client: the worker's {@link TurnState}, `idle` before any
 * turn, and `catching-up` while the worker has finished but this page has not received the end.
 */
export type ChatTurnState = TurnState | 'idle' | 'catching-up';

/** One chat's latest turn as this client knows it (`transport.chat(chatId).store`). */
export interface ChatActivitySnapshot {
  /** Request id of the latest turn seen on this chat, null before any. */
  requestId: string | null;
  /** The latest turn's state. `done` only once its last chunk reached this page. */
  turnState: ChatTurnState;
  /** Sequence of the last chunk the worker published. */
  lastSeq: number;
  /** The user message that started the turn (lets other devices show it). */
  userMessage: UIMessage | null;
  /** The assistant message id the turn writes to. */
  messageId: string | null;
  /** Error text of a failed turn. */
  error: string | null;
  /** True when this transport instance started the turn. */
  startedHere: boolean;
  recovery: RecoverySnapshot;
  /** User messages accepted while offline, oldest first, waiting in the outbox to be sent. */
  pending: readonly UIMessage[];
}

/** A chat with no known turn. */
export const INITIAL_CHAT_ACTIVITY: ChatActivitySnapshot = {
  requestId: null,
  turnState: 'idle',
  lastSeq: -1,
  userMessage: null,
  messageId: null,
  error: null,
  startedHere: false,
  recovery: { resuming: false, recoveredChunks: 0, lastRecoveredAt: null, droppedAt: null },
  pending: [],
};
