/**
 * The conversation's data as it travels and as it is stored: the shapes the chat store returns, the
 * worker answers history queries with, and every device hydrates from. Protocol knowledge, so it lives
 * at the bottom beside the topic builder and the envelope codec, with no server or React imports.
 */
import type { UIMessage } from 'ai';

/** One chat in a user's list. Times are ms since epoch, from the store's clock. */
export interface ChatSummary {
  chatId: string;
  /** From the first prompt unless renamed. */
  title: string;
  createdAt: number;
  updatedAt: number;
}

/** How a stored turn ended; `running` until the worker writes its end (or a sweep marks it failed). */
export type StoredTurnState = 'running' | 'done' | 'aborted' | 'error';

/** The turn a stored message belongs to: the user message that started it, the answer it produced. */
export interface StoredTurn {
  requestId: string;
  state: StoredTurnState;
  /** Worker that ran the turn, so a sweep can tell a crashed worker's turn from a live one. */
  workerId?: string;
  error?: string;
}

/** A message with its place in the chat. */
export interface StoredMessage<UI extends UIMessage = UIMessage> {
  message: UI;
  /** Order in the chat, 0-based, fixed when the message is first stored (a replace keeps it). */
  position: number;
  /** The chat's version when this message was last written: the sync cursor (`after`). */
  version: number;
  turn?: StoredTurn;
}

/** A page of a chat's messages, in chat order (oldest first). */
export interface MessagePage<UI extends UIMessage = UIMessage> {
  messages: StoredMessage<UI>[];
  /** The chat's current version: pass it as `after` to fetch only what changed since. 0 for an empty chat. */
  version: number;
  /**
   * True when the queried range (`after`/`before`) holds messages older than the first returned one,
   * i.e. `limit` cut it: page further with `before`. An `after` query without `limit` is complete (false).
   */
  hasOlder: boolean;
  /**
   * The chat version at which messages were last removed (an edited prompt or a regenerated answer
   * replaced the rest of the chat); 0 or absent when never. A device holding an older version may
   * hold removed messages: it must drop what it holds and load again, since `after` returns only
   * what was written, never what was removed.
   */
  truncatedAt?: number;
  /**
   * Earlier versions of the chat's edited prompts and regenerated answers, oldest first. Only the
   * newest page carries them (a query with neither `after` nor `before`), at most
   * {@link MAX_VERSIONS_PER_PAGE}, the most recently replaced; absent when the chat has none or the
   * store keeps none.
   */
  versions?: StoredVersion<UI>[];
}

/**
 * The part of a chat an edit or a regeneration replaced, kept so every device can page back to it
 * (`‹ 1/2 ›`) after a reload. Read-only: a prompt sent from an earlier version is refused.
 */
export interface StoredVersion<UI extends UIMessage = UIMessage> {
  /** Id of the message before the replaced part; `''` when the part began the chat. */
  branch: string;
  /** The replaced messages, in chat order (an edited prompt first, then what followed it). */
  messages: UI[];
  /** The chat version whose write replaced them: the order of one branch point's versions. */
  replacedAt: number;
}

/** Most earlier versions one page carries: the newest page of a chat edited many times stays deliverable. */
export const MAX_VERSIONS_PER_PAGE = 32;

/** Which part of a chat to load. With none set: the newest `limit` (or all) messages. */
export interface MessageQuery {
  /** Only messages written after this version (new or replaced), all of them, in chat order. */
  after?: number;
  /** Only messages at positions below this one: the next older page. */
  before?: number;
  /** At most this many (the newest of the range). */
  limit?: number;
}

/** A page of a user's chats, newest first. */
export interface ChatPage {
  chats: ChatSummary[];
  hasMore: boolean;
}

/** What a worker knows of one turn when a client asks (never a guess from a clock). */
export type TurnLookup =
  | { state: 'unknown' }
  | { state: 'live'; lastSeq: number; messageId?: string }
  | { state: 'finished'; finalState: 'done' | 'error' | 'aborted'; message?: UIMessage; error?: string };
