/**
 * The surface of the transport the hooks rely on. `CloudSignalChatTransport` satisfies it; so can a
 * test double. Hooks depend on this shape, never on transport internals.
 */
import type { ChatTransport, UIMessage } from 'ai';
import type { ReadableStore } from '../transport/store.js';
import type { ConnectionSnapshot } from '../transport/connection-state.js';
import type { ChatActivitySnapshot } from '../transport/chat-activity.js';
import type { TransportStats } from '../transport/stats.js';

/** One chat's activity feed, as `transport.chat(chatId)` hands it out. */
export interface ChatActivityHandle {
  readonly store: ReadableStore<ChatActivitySnapshot>;
  /** Subscribes the chat's status/complete topics; returns the release to call on unmount. */
  retain(): () => void;
}

/** A chat transport that also reports its connection and each chat's activity. */
export interface ChatKitTransport<UI extends UIMessage = UIMessage> extends ChatTransport<UI> {
  readonly connection: ReadableStore<ConnectionSnapshot>;
  readonly stats?: ReadableStore<TransportStats>;
  chat(chatId: string): ChatActivityHandle;
  /** Reconnect now instead of waiting for the scheduled attempt. */
  retry(): void;
  /** Destroys the socket as a network failure would (demos, fault tests). */
  dropConnection?(): void;
  close(): void;
}
