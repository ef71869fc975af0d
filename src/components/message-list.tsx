import { Fragment, forwardRef, memo, useCallback, useMemo, useRef, type ComponentPropsWithoutRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { UIMessage } from 'ai';
import { useChatWindowActions, useChatWindowChat, useChatWindowScroll, useTranscriptState, type ChatWindowChat, type TranscriptState } from './chat-window-context.js';
import { ChatWindowMessage } from './message.js';
import { ChatWindowErrorRow } from './error-row.js';
import { ChatWindowThinkingRow } from './thinking-row.js';
import { MessageVersions } from './message-versions.js';
import { historyOf, useLoadOlder } from './history.js';
import { ChatWindowSuggestions } from './suggestions.js';
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
  renderMessage?: (message: UIMessage, state: RowState) => React.ReactNode;
  /** Starter prompts shown in an empty chat; one click sends one. */
  suggestions?: readonly string[];
  /** Follow-up prompts shown under the latest settled answer (a list, or computed from the messages). */
  followUps?: readonly string[] | ((messages: readonly UIMessage[]) => readonly string[]);
}

/** How a row's message stands. Only the last row's state follows the chat's status. */
/** `pending`: a prompt sent while offline, waiting for the connection (the offline queue holds it). */
export type MessageRowState = 'settled' | 'streaming' | 'paused' | 'stopped' | 'failed' | 'pending';

/** Everything a row needs beyond its message; all primitives, so memoized rows compare cheaply. */
export interface RowState {
  /** This message is the one being streamed. */
  streaming: boolean;
  /** The last answer, settled: Regenerate is offered. */
  canRegenerate: boolean;
  state: MessageRowState;
  /** Kept versions at this message's position (0 when never edited or regenerated). */
  versionCount: number;
  /** The shown version, 0-based. */
  versionIndex: number;
}

/** The chat's state as it bears on the last row. */
type TailStatus = 'idle' | 'streaming' | 'paused' | 'failed' | 'aborted';

function tailStatus(chat: ChatWindowChat): TailStatus {
  if (chat.isStreaming) return 'streaming';
  if (chat.status === 'error') return chat.errorKind === 'network' ? 'paused' : 'failed';
  if (chat.recovery.resuming) return 'paused';
  if (chat.generation.status === 'aborted') return 'aborted';
  return 'idle';
}

const NONE_PENDING: ReadonlySet<string> = new Set();

function rowState(messages: readonly UIMessage[], index: number, tail: TailStatus, transcript: TranscriptState, pending: ReadonlySet<string>): RowState {
  const message = messages[index];
  const last = index === messages.length - 1;
  const assistant = message.role === 'assistant';
  let state: MessageRowState = pending.has(message.id) ? 'pending' : transcript.stopped.has(message.id) ? 'stopped' : 'settled';
  if (last) {
    if (assistant && tail === 'streaming') state = 'streaming';
    else if (assistant && tail === 'paused') state = 'paused';
    else if (assistant && tail === 'failed') state = 'failed';
    else if (tail === 'aborted') state = 'stopped';
    // A prompt whose answer is coming is not stopped, even if an earlier try of it was.
    else if (!assistant && tail === 'streaming' && state !== 'pending') state = 'settled';
  }
  const versions = transcript.versions.get(MessageVersions.branchOf(messages, index));
  return {
    streaming: state === 'streaming',
    canRegenerate: last && assistant && (state === 'settled' || state === 'stopped'),
    state,
    versionCount: versions && versions.tails.length > 1 ? versions.tails.length : 0,
    versionIndex: versions ? versions.active : 0,
  };
}

/**
 * The transcript: `role="log"`, `aria-busy` while a response streams (so assistive tech waits for
 * the whole answer instead of reading tokens), a thinking row between Send and the first token,
 * the error row at the end.
 */
export const ChatWindowMessageList = forwardRef<HTMLDivElement, ChatWindowMessageListProps>(function ChatWindowMessageList(
  { virtualize = false, estimateRowHeight = 96, renderMessage, suggestions, followUps, className, ...rest },
  ref,
) {
  const chat = useChatWindowChat('ChatWindow.MessageList');
  const { labels } = useChatWindowActions('ChatWindow.MessageList');
  const transcript = useTranscriptState('ChatWindow.MessageList');
  const { viewportRef } = useChatWindowScroll('ChatWindow.MessageList');
  const { messages, isStreaming } = chat;
  const tail = tailStatus(chat);
  const pendingIds = (chat as { pendingMessageIds?: readonly string[] }).pendingMessageIds;
  const pending = useMemo(() => (pendingIds && pendingIds.length > 0 ? new Set(pendingIds) : NONE_PENDING), [pendingIds]);
  const history = historyOf(chat);
  const { loadingOlder, loadOlder } = useLoadOlder(history, viewportRef, messages);
  const loading = history.status === 'loading' && messages.length === 0;
  const empty = messages.length === 0 && !isStreaming && history.status === 'ready';
  const lastMessage = messages[messages.length - 1];
  const showFollowUps = followUps !== undefined && tail === 'idle' && chat.status === 'ready' && lastMessage?.role === 'assistant';
  const followUpItems = showFollowUps ? (typeof followUps === 'function' ? followUps(messages) : followUps) : [];
  const render = useCallback(
    (message: UIMessage, state: RowState) =>
      renderMessage ? (
        renderMessage(message, state)
      ) : (
        <ChatWindowMessage
          message={message}
          streaming={state.streaming}
          canRegenerate={state.canRegenerate}
          state={state.state}
          versionCount={state.versionCount}
          versionIndex={state.versionIndex}
        />
      ),
    [renderMessage],
  );
  // Not for a prompt still waiting for the connection: nothing is thinking about it yet.
  const waitingForAnswer = isStreaming && (messages.length === 0 || (messages[messages.length - 1].role !== 'assistant' && !pending.has(messages[messages.length - 1].id)));
  return (
    <div
      ref={ref}
      role="log"
      aria-label={labels.transcript}
      aria-busy={isStreaming || loading}
      data-slot="message-list"
      data-state={isStreaming ? 'streaming' : loading ? 'loading' : 'idle'}
      className={cx('csk-message-list', className)}
      {...rest}
    >
      {loading && <HistorySkeleton label={labels.loadingHistory} />}
      {history.status === 'error' && messages.length === 0 && (
        <p className="csk-empty" data-slot="history-error" role="alert">
          {labels.historyError}
        </p>
      )}
      {history.hasOlder && messages.length > 0 && (
        <div className="csk-older" data-slot="load-older">
          {loadingOlder ? (
            <p role="status" className="csk-older-status">
              {labels.loadingOlder}
            </p>
          ) : (
            <button type="button" className="csk-button csk-button-ghost" onClick={() => void loadOlder()}>
              {labels.showOlder}
            </button>
          )}
        </div>
      )}
      {empty && (
        <div className="csk-empty" data-slot="empty">
          <p className="csk-empty-text">{labels.emptyState}</p>
          {suggestions && <ChatWindowSuggestions items={suggestions} kind="starter" />}
        </div>
      )}
      {virtualize ? (
        <VirtualRows messages={messages} tail={tail} transcript={transcript} pending={pending} estimate={estimateRowHeight} render={render} />
      ) : (
        <PlainRows messages={messages} tail={tail} transcript={transcript} pending={pending} render={render} />
      )}
      {waitingForAnswer && <ChatWindowThinkingRow />}
      {followUpItems.length > 0 && <ChatWindowSuggestions items={followUpItems} kind="follow-up" />}
      <ChatWindowErrorRow />
    </div>
  );
});

/** Placeholder rows while a stored chat loads: never "No messages yet" for a chat that has some. */
function HistorySkeleton({ label }: { label: string }) {
  return (
    <div className="csk-skeleton" data-slot="history-skeleton">
      <p role="status" className="csk-visually-hidden">
        {label}
      </p>
      {[60, 85, 45, 75].map((width, i) => (
        <div key={i} className="csk-skeleton-row" data-role={i % 2 === 0 ? 'user' : 'assistant'} aria-hidden="true">
          <span className="csk-skeleton-bar" style={{ width: `${width}%` }} />
          {i % 2 === 1 && <span className="csk-skeleton-bar" style={{ width: `${width - 20}%` }} />}
        </div>
      ))}
    </div>
  );
}

type Render = (message: UIMessage, state: RowState) => React.ReactNode;

interface RowsProps {
  messages: readonly UIMessage[];
  tail: TailStatus;
  transcript: TranscriptState;
  pending: ReadonlySet<string>;
  render: Render;
}

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

function PlainRows({ messages, tail, transcript, pending, render }: RowsProps) {
  const last = messages.length - 1;
  const live = tail === 'streaming' && last >= 0 && messages[last].role === 'assistant' ? messages[last] : null;
  const settled = useSettledPrefix(messages, live ? last : messages.length);
  return (
    <>
      <SettledRows messages={settled} tail={live ? 'idle' : tail} transcript={transcript} pending={pending} render={render} />
      {live && <Fragment key={live.id}>{render(live, rowState(messages, last, tail, transcript, pending))}</Fragment>}
    </>
  );
}

/** `tail` here is the status of the last settled row, which only changes when a turn ends. */
const SettledRows = memo(function SettledRows({ messages, tail, transcript, pending, render }: RowsProps) {
  return (
    <>
      {messages.map((message, index) => (
        <Fragment key={message.id}>{render(message, rowState(messages, index, tail, transcript, pending))}</Fragment>
      ))}
    </>
  );
});

function VirtualRows({ messages, tail, transcript, pending, estimate, render }: RowsProps & { estimate: number }) {
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
          {render(messages[item.index], rowState(messages, item.index, tail, transcript, pending))}
        </div>
      ))}
    </div>
  );
}
