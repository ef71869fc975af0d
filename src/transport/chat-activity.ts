/**
 * What a client knows about one chat's latest turn, fed by the retained `status` and by
 * its own resumes. Hooks read it through `transport.chat(chatId).store`.
 */
import type { UIMessage } from 'ai';
import type { TurnState } from './envelope.js';

/** Whether a resume of the chat's turn is running, and what the last one recovered. */
export interface RecoverySnapshot {
  /** A resume of this chat's turn is in progress. */
  resuming: boolean;
  /** Chunks that arrived through replay (gap repair or resume) on the last recovery. */
  recoveredChunks: number;
  /** When the last recovery finished (ms since epoch), null if none yet. */
  lastRecoveredAt: number | null;
}

/** One chat's latest turn as this client knows it (`transport.chat(chatId).store`). */
export interface ChatActivitySnapshot {
  /** Request id of the latest turn seen on this chat, null before any. */
  requestId: string | null;
  /** The worker's status of that turn, `idle` before any turn is known. */
  generation: TurnState | 'idle';
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
}

/** A chat with no known turn. */
export const INITIAL_CHAT_ACTIVITY: ChatActivitySnapshot = {
  requestId: null,
  generation: 'idle',
  lastSeq: -1,
  userMessage: null,
  messageId: null,
  error: null,
  startedHere: false,
  recovery: { resuming: false, recoveredChunks: 0, lastRecoveredAt: null },
};
