/**
 * The surface of the transport the hooks rely on. `CloudSignalChatTransport` satisfies it; so can a
 * test double. Hooks depend on this shape, never on transport internals.
 */
import type { ChatTransport, UIMessage } from 'ai';
import type { ReadableStore } from '../transport/store.js';
import type { ConnectionSnapshot } from '../transport/connection-state.js';
import type { ChatActivitySnapshot } from '../transport/chat-activity.js';
import type { TransportStats } from '../transport/stats.js';
import type { ChatSummary, StoredVersion } from '../transport/conversation.js';
import type { HistorySnapshot } from '../transport/conversation-sync.js';
import type { ChatListSnapshot } from '../transport/chat-list.js';

export type { ChatSummary };

/** One chat's activity feed, as `transport.chat(chatId)` hands it out. */
export interface ChatActivityHandle {
  readonly store: ReadableStore<ChatActivitySnapshot>;
  /** Subscribes the chat's status/complete topics; returns the release to call on unmount. */
  acquire(): () => void;
}

/** One chat's stored conversation on this device, as `transport.conversation(chatId)` hands it out. */
export interface ConversationHandle<UI extends UIMessage = UIMessage> {
  readonly store: ReadableStore<HistorySnapshot<UI>>;
  /** Brings the conversation up to date (newest page first, then only what changed). */
  sync(): Promise<void>;
  /** Fetches the page before the oldest message held. */
  loadOlder(): Promise<void>;
}

/** The user's chat list, as `transport.chats` hands it out. */
export interface ChatListHandle {
  readonly store: ReadableStore<ChatListSnapshot>;
  /** Keeps the list live (chat events, relisting after reconnects) until the release is called. */
  acquire(): () => void;
  rename(chatId: string, title: string): Promise<void>;
  remove(chatId: string): Promise<void>;
}

/** A chat transport that also reports its connection and each chat's activity. */
export interface ChatKitTransport<UI extends UIMessage = UIMessage> extends ChatTransport<UI> {
  readonly connection: ReadableStore<ConnectionSnapshot>;
  readonly stats?: ReadableStore<TransportStats>;
  chat(chatId: string): ChatActivityHandle;
  /** The stored conversation of a chat; transports without a chat store leave it out. */
  conversation?(chatId: string): ConversationHandle<UI>;
  /** The user's chats; transports without a chat store leave it out. */
  readonly chats?: ChatListHandle;
  /**
   * Stops the chat's live turn, wherever it was started. With it, `useCloudSignalChat` keeps
   * `useChat`'s abort signal from the transport (an unmount must not stop the turn on every device).
   * Without it, the signal is passed through: Stop (and an unmount) stop the turn through it.
   */
  stopTurn?(chatId: string): Promise<void>;
  /** Reconnect now instead of waiting for the scheduled attempt. */
  retry(): void;
  /** Destroys the socket as a network failure would (demos, fault tests). */
  dropConnection?(): void;
  close(): void;
}

/** What `useChatList()` returns. */
export interface ChatListState {
  status: 'loading' | 'ready' | 'error';
  /** The user's chats, newest first. */
  chats: readonly ChatSummary[];
  error?: Error;
  /** Renames a chat on every device. */
  rename(chatId: string, title: string): Promise<void>;
  /** Deletes a chat and its messages on every device. */
  remove(chatId: string): Promise<void>;
}

/** The stored history of the chat `useCloudSignalChat` shows. */
export interface ChatHistoryState<UI extends UIMessage = UIMessage> {
  /** `loading` until the newest messages are in; `ready` also when there is no chat store. */
  status: 'loading' | 'ready' | 'error';
  /** Older messages can be fetched with `loadOlder()`. */
  hasOlder: boolean;
  /** Fetches the previous page (call when the user scrolls to the top). */
  loadOlder(): Promise<void>;
  /**
   * Earlier versions of edited prompts and regenerated answers, as stored (oldest first); empty
   * without a chat store that keeps them. `ChatWindow` shows them with its `‹ 1/2 ›` pager.
   */
  versions: readonly StoredVersion<UI>[];
}
