import { useCallback, useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';
import type { UIMessage } from 'ai';
import type { ChatHistoryState } from '../hooks/types.js';

const READY: ChatHistoryState = { status: 'ready', hasOlder: false, loadOlder: async () => undefined, versions: [] };

/** `chat.history`, or "ready" for a chat that has no stored history. */
export function historyOf(chat: object): ChatHistoryState {
  return (chat as { history?: ChatHistoryState }).history ?? READY;
}

/** Distance from the top (px) at which older messages start loading. */
const TOP_SLACK = 80;

/**
 * Loads older messages when the user scrolls to the top, and keeps what they were reading in
 * place when the older messages are prepended (the content grows above the viewport).
 */
export function useLoadOlder(history: ChatHistoryState, viewportRef: RefObject<HTMLDivElement | null>, messages: readonly UIMessage[]) {
  const [loadingOlder, setLoadingOlder] = useState(false);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const busy = useRef(false);
  const historyRef = useRef(history);
  historyRef.current = history;

  const loadOlder = useCallback(async () => {
    const el = viewportRef.current;
    const current = historyRef.current;
    if (busy.current || !current.hasOlder || current.status !== 'ready') return;
    busy.current = true;
    if (el) anchor.current = { height: el.scrollHeight, top: el.scrollTop };
    setLoadingOlder(true);
    try {
      await current.loadOlder();
    } finally {
      busy.current = false;
      setLoadingOlder(false);
    }
  }, [viewportRef]);

  useEffect(() => {
    const el = viewportRef.current;
    if (!el || !history.hasOlder) return;
    const onScroll = () => {
      if (el.scrollTop <= TOP_SLACK) void loadOlder();
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => el.removeEventListener('scroll', onScroll);
  }, [viewportRef, history.hasOlder, loadOlder]);

  // Before paint: the prepended rows push the content down by exactly the height they add.
  const first = messages[0]?.id;
  useLayoutEffect(() => {
    const el = viewportRef.current;
    const at = anchor.current;
    if (!el || !at) return;
    anchor.current = null;
    el.scrollTop = at.top + (el.scrollHeight - at.height);
  }, [first, viewportRef]);

  return { loadingOlder, loadOlder };
}
