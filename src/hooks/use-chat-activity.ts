import { useEffect, useMemo } from 'react';
import type { UIMessage } from 'ai';
import type { ChatActivitySnapshot } from '../transport/chat-activity.js';
import type { ChatKitTransport } from './types.js';
import { useStore } from './use-store.js';

/**
 * Everything the transport knows about one chat's latest turn. Keeps the chat's status topics
 * subscribed while mounted (several components may acquire the same chat; the transport counts).
 */
export function useChatActivity<UI extends UIMessage>(transport: ChatKitTransport<UI>, chatId: string): ChatActivitySnapshot {
  const handle = useMemo(() => transport.chat(chatId), [transport, chatId]);
  useEffect(() => handle.acquire(), [handle]);
  return useStore(handle.store);
}
