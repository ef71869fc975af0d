/**
 * The one interface every server part reads and writes conversations through: the worker, the HTTP
 * trigger and the query responder. Apps with their own database implement it (or pass
 * `loadMessages`/`saveMessages` callbacks, adapted by the worker). The identity (`userId`) always comes
 * from the topic or the session check of the caller, never from a payload.
 */
import type { UIMessage } from 'ai';
import type { ChatAddress } from '../../transport/topics.js';
import type { ChatPage, ChatSummary, MessagePage, MessageQuery, StoredMessage, StoredTurn, StoredVersion } from '../../transport/conversation.js';

/** A message to write, with the turn it belongs to. */
export interface MessageWrite<UI extends UIMessage = UIMessage> {
  message: UI;
  turn?: StoredTurn;
}

/** How a save changes the chat beyond its writes. */
export interface SaveMessagesOptions {
  /**
   * Removes every message at this position or after it, in the same transaction as the writes: an
   * edited prompt replaces the rest of the chat, a regenerated answer replaces the old one. The
   * positions are free again for the writes' new messages, and the page's `truncatedAt` becomes the
   * new version, so devices drop what they held. The removed messages are kept as a
   * {@link StoredVersion} of the branch point before them (stores that can keep them), which the
   * newest page returns in `versions`.
   */
  replaceFrom?: number;
}

/** Persistent conversations, per user. Every method is scoped by the caller-verified user id. */
export interface ChatStore<UI extends UIMessage = UIMessage> {
  /** A page of one chat (see {@link MessageQuery}); an unknown chat is an empty page at version 0. */
  loadMessages(address: ChatAddress, query?: MessageQuery): Promise<MessagePage<UI>>;
  /**
   * Appends or replaces messages by id, idempotently: writing the same message twice changes nothing
   * but its version. New ids are appended in the given order. Creates the chat on first write, titled
   * from the first user message's text. With `options.replaceFrom`, first removes the messages from
   * that position on (see {@link SaveMessagesOptions}). Returns the chat's new version and summary.
   */
  saveMessages(address: ChatAddress, messages: readonly MessageWrite<UI>[], options?: SaveMessagesOptions): Promise<{ version: number; chat: ChatSummary }>;
  /**
   * A user's chats, most recently updated first; `before` is an `updatedAt` to page older. Stores
   * keep `updatedAt` strictly increasing per user (a write gets `max(now, last + 1)`), so `before`
   * is an exact cursor: no chat is skipped or repeated when two writes share a millisecond.
   */
  listChats(userId: string, options?: { before?: number; limit?: number }): Promise<ChatPage>;
  /** Renames a chat; null when the user has no such chat. */
  renameChat(address: ChatAddress, title: string): Promise<ChatSummary | null>;
  /** Deletes a chat and its messages; false when the user had no such chat. */
  deleteChat(address: ChatAddress): Promise<boolean>;
  /** The messages of one turn (its user message and, once written, its answer), in chat order; empty when unknown. */
  findTurn(address: ChatAddress, requestId: string): Promise<StoredMessage<UI>[]>;
  /** Turns still `running` (for the sweep that marks a crashed worker's turns failed). */
  runningTurns(): Promise<Array<ChatAddress & { messageId: string; turn: StoredTurn }>>;
  /** Releases connections; the store is unusable afterwards. */
  close(): Promise<void>;
}
