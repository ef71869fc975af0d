import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type RefObject } from 'react';
import type { UIMessage } from 'ai';

/** Distance from the bottom (px) that still counts as "at the bottom". */
const BOTTOM_SLACK = 24;
const UP_KEYS = new Set(['ArrowUp', 'PageUp', 'Home']);
const EMPTY: ReadonlySet<string> = new Set();

/** What `useStickToBottom` returns: the refs to attach and whether the view follows the stream. */
export interface StickToBottom {
  viewportRef: RefObject<HTMLDivElement | null>;
  contentRef: RefObject<HTMLDivElement | null>;
  /** Following the stream (the user is at the bottom). */
  isAtBottom: boolean;
  /** Messages that arrived or changed below the fold since the user scrolled up. */
  unreadCount: number;
  /** Scroll to the end and follow again; smooth unless the user prefers reduced motion. */
  scrollToBottom: (behavior?: ScrollBehavior) => void;
  /** The next change of the messages is the user's own doing (a version switched): not news, not counted. */
  ignoreNextChange: () => void;
}

function prefersReducedMotion(): boolean {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
}

function distanceFromBottom(el: HTMLElement): number {
  return el.scrollHeight - el.scrollTop - el.clientHeight;
}

/**
 * Follows a growing transcript only while the user is at the bottom. The first sign of intent to
 * read back (wheel up, touch drag down, an up key, or the scroll position moving up) releases it
 * at once; reaching the bottom again re-attaches. While released, messages that arrive or change
 * are counted as unread.
 */
export function useStickToBottom(messages: readonly UIMessage[]): StickToBottom {
  const viewportRef = useRef<HTMLDivElement | null>(null);
  const contentRef = useRef<HTMLDivElement | null>(null);
  const stuck = useRef(true);
  const lastTop = useRef(0);
  const [isAtBottom, setAtBottom] = useState(true);
  const [unread, setUnread] = useState<ReadonlySet<string>>(EMPTY);
  const ownChange = useRef(false);
  const ignoreNextChange = useCallback(() => {
    ownChange.current = true;
  }, []);

  const release = useCallback(() => {
    if (!stuck.current) return;
    stuck.current = false;
    setAtBottom(false);
  }, []);
  const attach = useCallback(() => {
    stuck.current = true;
    setAtBottom(true);
    setUnread(EMPTY);
  }, []);

  const pinToEnd = useCallback(() => {
    const el = viewportRef.current;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    lastTop.current = el.scrollTop;
  }, []);

  const scrollToBottom = useCallback(
    (behavior?: ScrollBehavior) => {
      const el = viewportRef.current;
      attach();
      if (!el) return;
      const mode = behavior ?? (prefersReducedMotion() ? 'instant' : 'smooth');
      if (mode !== 'instant' && mode !== 'auto' && typeof el.scrollTo === 'function') el.scrollTo({ top: el.scrollHeight, behavior: mode });
      else pinToEnd();
    },
    [attach, pinToEnd],
  );

  // User intent: react before the scroll event so not one more token yanks the view down.
  useEffect(() => {
    const el = viewportRef.current;
    if (!el) return;
    let touchY: number | null = null;
    const onWheel = (e: WheelEvent) => {
      if (e.deltaY < 0) release();
    };
    const onTouchStart = (e: TouchEvent) => {
      touchY = e.touches[0]?.clientY ?? null;
    };
    const onTouchMove = (e: TouchEvent) => {
      const y = e.touches[0]?.clientY;
      if (touchY !== null && y !== undefined && y > touchY) release();
      touchY = y ?? touchY;
    };
    const onKeyDown = (e: KeyboardEvent) => {
      if (UP_KEYS.has(e.key) || (e.key === ' ' && e.shiftKey)) release();
    };
    const onScroll = () => {
      const top = el.scrollTop;
      const nearBottom = distanceFromBottom(el) <= BOTTOM_SLACK;
      if (nearBottom) {
        if (!stuck.current) attach();
      } else if (top < lastTop.current - 1) {
        // Moved up (scrollbar drag, find-in-page, assistive tech): the user is reading back.
        release();
      }
      lastTop.current = top;
    };
    el.addEventListener('wheel', onWheel, { passive: true });
    el.addEventListener('touchstart', onTouchStart, { passive: true });
    el.addEventListener('touchmove', onTouchMove, { passive: true });
    el.addEventListener('keydown', onKeyDown);
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      el.removeEventListener('wheel', onWheel);
      el.removeEventListener('touchstart', onTouchStart);
      el.removeEventListener('touchmove', onTouchMove);
      el.removeEventListener('keydown', onKeyDown);
      el.removeEventListener('scroll', onScroll);
    };
  }, [release, attach]);

  // Follow content that grows without a message change (lazy highlighting, images, row measuring).
  useEffect(() => {
    const content = contentRef.current;
    if (!content || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (stuck.current) pinToEnd();
    });
    observer.observe(content);
    return () => observer.disconnect();
  }, [pinToEnd]);

  // Before paint: follow the stream, or count what arrived below the fold. Only the previous array
  // is kept: while following (nearly always) a token costs no walk over a long thread.
  const previous = useRef<readonly UIMessage[] | null>(null);
  useLayoutEffect(() => {
    const beforeList = previous.current;
    previous.current = messages;
    const own = ownChange.current;
    ownChange.current = false;
    if (stuck.current) {
      pinToEnd();
      return;
    }
    if (!beforeList || own) return;
    const before = new Map(beforeList.map((m) => [m.id, m]));
    const changed: string[] = [];
    // Older messages paged in above what the user has seen are not news: count from the first known one.
    const firstKnown = messages.findIndex((m) => before.has(m.id));
    for (let i = Math.max(0, firstKnown); i < messages.length; i++) {
      const message = messages[i];
      if (before.get(message.id) !== message) changed.push(message.id);
    }
    if (changed.length === 0) return;
    setUnread((current) => {
      if (changed.every((id) => current.has(id))) return current;
      const next = new Set(current);
      for (const id of changed) next.add(id);
      return next;
    });
  }, [messages, pinToEnd]);

  return useMemo(
    () => ({ viewportRef, contentRef, isAtBottom, unreadCount: unread.size, scrollToBottom, ignoreNextChange }),
    [isAtBottom, unread, scrollToBottom, ignoreNextChange],
  );
}
