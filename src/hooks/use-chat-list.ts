import { useEffect, useMemo } from 'react';
import type { UIMessage } from 'ai';
import { Store } from '../transport/store.js';
import type { ChatListSnapshot } from '../transport/chat-list.js';
import type { ChatKitTransport, ChatListState } from './types.js';
import { useStore } from './use-store.js';

const UNAVAILABLE = new Store<ChatListSnapshot>({ status: 'error', chats: [], error: new Error('This transport has no chat list.') });
const unavailable = () => Promise.reject(new Error('This transport has no chat list.'));

/**
 * The user's chats, newest first, live: another device creating, renaming or deleting a chat shows
 * here at once. `rename` and `remove` act on every device.
 *
 * @example
 * const { status, chats, rename, remove } = useChatList(transport);
 */
export function useChatList<UI extends UIMessage>(transport: ChatKitTransport<UI>): ChatListState {
  const list = transport.chats;
  useEffect(() => list?.acquire(), [list]);
  const snapshot = useStore(list?.store ?? UNAVAILABLE);
  return useMemo(
    () => ({
      status: snapshot.status === 'idle' ? 'loading' : snapshot.status,
      chats: snapshot.chats,
      ...(snapshot.error ? { error: snapshot.error } : {}),
      rename: list ? (chatId: string, title: string) => list.rename(chatId, title) : unavailable,
      remove: list ? (chatId: string) => list.remove(chatId) : unavailable,
    }),
    [snapshot, list],
  );
}
