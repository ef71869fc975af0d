import type { UIMessage } from 'ai';
import { Store } from '../transport/store.js';
import { INITIAL_CONNECTION } from '../transport/connection-state.js';
import { INITIAL_CHAT_ACTIVITY } from '../transport/chat-activity.js';
import type { HistorySnapshot } from '../transport/conversation-sync.js';
import type { ChatKitTransport } from './types.js';

/**
 * What `useChatTransport` hands out where there is no browser (server rendering): it reports
 * "connecting" and idle chats, and opens no socket. The real transport replaces it on the client.
 */
export function createInertTransport<UI extends UIMessage>(): ChatKitTransport<UI> {
  const connection = new Store(INITIAL_CONNECTION);
  const activity = new Store(INITIAL_CHAT_ACTIVITY);
  const history = new Store<HistorySnapshot<UI>>({ status: 'loading', messages: [], version: 0, hasOlder: false, reloads: 0, versions: [], error: null });
  const unavailable = () => Promise.reject(new TypeError('network: the chat transport is not available during server rendering'));
  return {
    resumeStreamIsReplay: true,
    connection,
    chat: () => ({ store: activity, acquire: () => () => {} }),
    // A stored chat may exist: the server render must not claim it is empty.
    conversation: () => ({ store: history, sync: async () => {}, loadOlder: async () => {} }),
    retry: () => {},
    close: () => {},
    sendMessages: unavailable,
    reconnectToStream: async () => null,
  };
}
