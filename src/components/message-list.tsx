import { Fragment, forwardRef, memo, useCallback, useRef, type ComponentPropsWithoutRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { UIMessage } from 'ai';
import { useChatWindowActions, useChatWindowChat, useChatWindowScroll } from './chat-window-context.js';
import { ChatWindowMessage } from './message.js';
import { ChatWindowErrorRow } from './error-row.js';
import { cx } from './cx.js';

/** Props of `ChatWindow.MessageList`. */
export interface ChatWindowMessageListProps extends Omit<ComponentPropsWithoutRef<'div'>, 'children'> {
  /**
   * Render only the rows near the viewport. Opt in for long threads (hundreds of messages);
   * rows are measured as they render, so variable heights are fine.
   */
  virtualize?: boolean;
  /** Estimated row height in px for virtualization before a row is measured. Default 96. */
  estimateRowHeight?: number;
  /**
   * Render one message yourself; defaults to `<ChatWindow.Message>`. Pass a stable function
   * (module scope or `useCallback`): a new one re-renders every settled row.
   */
  renderMessage?: (message: UIMessage, state: { streaming: boolean; canRegenerate: boolean }) => React.ReactNode;
}

interface RowState {
  streaming: boolean;
  canRegenerate: boolean;
}

function rowState(messages: readonly UIMessage[], index: number, isStreaming: boolean): RowState {
  const last = index === messages.length - 1;
  const assistant = messages[index].role === 'assistant';
  return { streaming: last && assistant && isStreaming, canRegenerate: last && assistant && !isStreaming };
}

/**
 * The transcript: `role="log"`, `aria-busy` while a response streams (so assistive tech waits for
 * the whole answer instead of reading tokens), the error row at the end.
 */
export const ChatWindowMessageList = forwardRef<HTMLDivElement, ChatWindowMessageListProps>(function ChatWindowMessageList(
  { virtualize = false, estimateRowHeight = 96, renderMessage, className, ...rest },
  ref,
) {
  const chat = useChatWindowChat('ChatWindow.MessageList');
  const { labels } = useChatWindowActions('ChatWindow.MessageList');
  const { messages, isStreaming } = chat;
  const render = useCallback(
    (message: UIMessage, state: RowState) =>
      renderMessage ? renderMessage(message, state) : <ChatWindowMessage message={message} streaming={state.streaming} canRegenerate={state.canRegenerate} />,
    [renderMessage],
  );
  return (
    <div
      ref={ref}
      role="log"
      aria-label={labels.transcript}
      aria-busy={isStreaming}
      data-slot="message-list"
      data-state={isStreaming ? 'streaming' : 'idle'}
      className={cx('csk-message-list', className)}
      {...rest}
    >
      {messages.length === 0 && <p className="csk-empty" data-slot="empty">{labels.emptyState}</p>}
      {virtualize ? (
        <VirtualRows messages={messages} isStreaming={isStreaming} estimate={estimateRowHeight} render={render} />
      ) : (
        <PlainRows messages={messages} isStreaming={isStreaming} render={render} />
      )}
      <ChatWindowErrorRow />
    </div>
  );
});

type Render = (message: UIMessage, state: RowState) => React.ReactNode;

/**
 * The settled rows as one array that keeps its identity while only the live message changes, so
 * a token skips the whole settled part of the list (not just each row) and costs the same with
 * ten messages or a thousand.
 */
function useSettledPrefix(messages: readonly UIMessage[], end: number): readonly UIMessage[] {
  const cache = useRef<readonly UIMessage[]>([]);
  const previous = cache.current;
  let same = previous.length === end;
  for (let i = 0; same && i < end; i++) same = previous[i] === messages[i];
  if (!same) cache.current = messages.slice(0, end);
  return cache.current;
}

function PlainRows({ messages, isStreaming, render }: { messages: readonly UIMessage[]; isStreaming: boolean; render: Render }) {
  const last = messages.length - 1;
  const live = isStreaming && last >= 0 && messages[last].role === 'assistant' ? messages[last] : null;
  const settled = useSettledPrefix(messages, live ? last : messages.length);
  return (
    <>
      <SettledRows messages={settled} isStreaming={isStreaming} render={render} />
      {live && <Fragment key={live.id}>{render(live, { streaming: true, canRegenerate: false })}</Fragment>}
    </>
  );
}

const SettledRows = memo(function SettledRows({ messages, isStreaming, render }: { messages: readonly UIMessage[]; isStreaming: boolean; render: Render }) {
  return (
    <>
      {messages.map((message, index) => (
        <Fragment key={message.id}>{render(message, rowState(messages, index, isStreaming))}</Fragment>
      ))}
    </>
  );
});

function VirtualRows({
  messages,
  isStreaming,
  estimate,
  render,
}: {
  messages: readonly UIMessage[];
  isStreaming: boolean;
  estimate: number;
  render: (message: UIMessage, state: RowState) => React.ReactNode;
}) {
  const { viewportRef } = useChatWindowScroll('ChatWindow.MessageList');
  const virtualizer = useVirtualizer({
    count: messages.length,
    getScrollElement: () => viewportRef.current,
    estimateSize: () => estimate,
    getItemKey: (index) => messages[index].id,
    overscan: 6,
    // Before the first measurement (and in non-layout environments) assume a typical viewport.
    initialRect: { width: 0, height: 800 },
    // A transcript opens at its end. Without this the virtualizer scrolls to 0 on its first frame,
    // which reads as the user scrolling up and would stop the stick-to-bottom.
    initialOffset: () => messages.length * estimate,
  });
  const items = virtualizer.getVirtualItems();
  return (
    <div className="csk-virtual" data-slot="virtual-rows" style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
      {items.map((item) => (
        <div
          key={item.key}
          data-index={item.index}
          ref={virtualizer.measureElement}
          className="csk-virtual-row"
          style={{ position: 'absolute', top: 0, left: 0, width: '100%', transform: `translateY(${item.start}px)` }}
        >
          {render(messages[item.index], rowState(messages, item.index, isStreaming))}
        </div>
      ))}
    </div>
  );
}
