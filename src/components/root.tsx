import { forwardRef, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore, type ComponentPropsWithoutRef } from 'react';
import { Slot, Slottable } from '@radix-ui/react-slot';
import type { UIMessage } from 'ai';
import {
  ChatActionsContext,
  ChatStateContext,
  InputRefContext,
  BusyContext,
  ScrollContext,
  TranscriptContext,
  type ChatWindowActions,
  type ChatWindowChat,
  type ChatWindowRowOptions,
  type TranscriptState,
} from './chat-window-context.js';
import { MessageVersions } from './message-versions.js';
import { ChatStateStore } from './chat-state-store.js';
import { historyOf } from './history.js';
import type { ChatLabels } from './labels.js';
import { useLabels } from './use-labels.js';
import { useStickToBottom } from './use-stick-to-bottom.js';
import { ChatWindowAnnouncer } from './announcer.js';
import { cx } from './cx.js';

/** Props of `ChatWindow.Root`: the chat whose state the parts inside read. */
export interface ChatWindowRootProps extends ComponentPropsWithoutRef<'div'>, ChatWindowRowOptions {
  /** The result of `useCloudSignalChat`. */
  chat: ChatWindowChat;
  labels?: Partial<ChatLabels>;
  /** `light`, `dark`, or follow the system (default). Sets `data-theme`. */
  theme?: 'light' | 'dark' | 'system';
  /** Highlight fenced code; the highlighter is loaded on the first code block. Default true. */
  highlightCode?: boolean;
  asChild?: boolean;
  /**
   * This window's name for assistive tech; the transcript region is called "Conversation: name".
   * Give each window its own when a page shows more than one.
   */
  name?: string;
}

const NOTHING_STOPPED: ReadonlySet<string> = new Set();

function messageText(message: UIMessage): string {
  return message.parts
    .filter((p): p is Extract<UIMessage['parts'][number], { type: 'text' }> => p.type === 'text')
    .map((p) => p.text)
    .join('\n\n');
}

/**
 * Provides the chat to the parts. Splits what changes per token (the chat) from what does not
 * (labels and actions), so memoized message rows stay untouched while a stream runs.
 */
export const ChatWindowRoot = forwardRef<HTMLDivElement, ChatWindowRootProps>(function ChatWindowRoot(
  {
    chat,
    labels: labelOverrides,
    theme = 'system',
    highlightCode = true,
    asChild,
    className,
    children,
    onKeyDown,
    avatar,
    timestamp,
    onFeedback,
    renderTool,
    renderDataPart,
    editable = true,
    name,
    ...rest
  },
  ref,
) {
  const labels = useLabels(labelOverrides);
  const scroll = useStickToBottom(chat.messages);
  const inputRef = useRef<HTMLTextAreaElement | null>(null);
  // Actions read the latest chat through a ref so their identity survives every token.
  const chatRef = useRef(chat);
  chatRef.current = chat;
  // Parts read the chat from a store, not a context value, so a token does not make React search
  // the settled rows for readers; set before the parts render, published once committed. Published
  // in a passive effect: the parts' own store bookkeeping runs first, so parts that rendered with
  // this chat are not asked to render again (a layout effect would cost an empty commit per token).
  const [chatStore] = useState(() => new ChatStateStore(chat));
  chatStore.set(chat);
  useEffect(() => chatStore.publish(), [chatStore, chat]);
  const stopPressed = useRef(false);
  const [stopped, setStopped] = useState(NOTHING_STOPPED);
  const [versionStore] = useState(() => new MessageVersions());
  const versions = useSyncExternalStore(versionStore.subscribe, versionStore.getSnapshot, versionStore.getSnapshot);
  // The store's versions arrive with the chat's newest page (on load, and after an edit anywhere
  // reloads it): the pager then shows what every device shows, across reloads. Another chat in the
  // same window starts from its own versions (never a pager over the previous chat's messages),
  // before it paints.
  const storedVersions = historyOf(chat).versions;
  const chatId = chat.id;
  useLayoutEffect(() => {
    versionStore.hydrate(storedVersions, chatId);
  }, [versionStore, storedVersions, chatId]);
  const { scrollToBottom, ignoreNextChange } = scroll;

  const focusInput = useCallback(() => inputRef.current?.focus(), []);
  const stop = useCallback(() => {
    stopPressed.current = true;
    const current = chatRef.current;
    // The live answer, or the prompt whose answer had not started: either row says "stopped".
    const last = current.messages[current.messages.length - 1];
    if (last && current.isStreaming) setStopped((s) => new Set(s).add(last.id));
    void current.stop();
    inputRef.current?.focus();
  }, []);
  const consumeStop = useCallback(() => {
    const was = stopPressed.current;
    stopPressed.current = false;
    return was;
  }, []);
  const copy = useCallback(async (message: UIMessage) => {
    await navigator.clipboard.writeText(messageText(message));
  }, []);
  const regenerate = useCallback(
    (messageId: string) => {
      const current = chatRef.current;
      if (current.isStreaming) return;
      const index = current.messages.findIndex((m) => m.id === messageId);
      if (index < 0) return;
      versionStore.fork(current.messages, MessageVersions.branchOf(current.messages, index));
      scrollToBottom('instant');
      void current.regenerate({ messageId });
      // The Regenerate button goes away with the new answer; keep keyboard users in the input.
      inputRef.current?.focus();
    },
    [scrollToBottom, versionStore],
  );
  const edit = useCallback(
    (messageId: string, text: string) => {
      const current = chatRef.current;
      if (current.isStreaming) return;
      const index = current.messages.findIndex((m) => m.id === messageId);
      if (index < 0) return;
      const files = current.messages[index].parts.filter((p): p is Extract<UIMessage['parts'][number], { type: 'file' }> => p.type === 'file');
      versionStore.fork(current.messages, MessageVersions.branchOf(current.messages, index));
      scrollToBottom('instant');
      // The AI SDK's edit: the prompt keeps its id, everything after it goes; the worker replaces
      // the stored prompt and drops the rest too, so the model answers the branch shown here. The
      // old prompt and its answers live on here as version 1.
      void current.sendMessage(files.length > 0 ? { text, files, messageId } : { text, messageId });
      inputRef.current?.focus();
    },
    [scrollToBottom, versionStore],
  );
  const selectVersion = useCallback(
    (messageId: string, target: number) => {
      const current = chatRef.current;
      if (current.isStreaming) return;
      const index = current.messages.findIndex((m) => m.id === messageId);
      if (index < 0) return;
      const next = versionStore.select(current.messages, MessageVersions.branchOf(current.messages, index), target);
      if (!next) return;
      // The rows below change because the user asked: they are not new messages to jump to.
      ignoreNextChange();
      current.setMessages(next);
    },
    [versionStore, ignoreNextChange],
  );
  const respondToApproval = useCallback((approvalId: string, approved: boolean, reason?: string) => {
    void chatRef.current.addToolApprovalResponse({ id: approvalId, approved, reason });
  }, []);
  const returnToLatest = useCallback(() => {
    const current = chatRef.current;
    const next = versionStore.latest(current.messages);
    if (next) current.setMessages(next);
  }, [versionStore]);
  const sendText = useCallback(
    (text: string) => {
      const current = chatRef.current;
      if (current.isStreaming) return;
      returnToLatest();
      scrollToBottom('instant');
      void current.sendMessage({ text });
      inputRef.current?.focus();
    },
    [scrollToBottom, returnToLatest],
  );
  const retry = useCallback(() => {
    const current = chatRef.current;
    current.clearError();
    scrollToBottom('instant');
    const last = current.messages[current.messages.length - 1];
    void current.regenerate(last?.role === 'assistant' ? { messageId: last.id } : undefined);
    inputRef.current?.focus();
  }, [scrollToBottom]);

  const actions = useMemo<ChatWindowActions>(
    () => ({
      labels,
      copy,
      regenerate,
      retry,
      stop,
      consumeStop,
      focusInput,
      edit,
      selectVersion,
      respondToApproval,
      sendText,
      returnToLatest,
      highlightCode,
      avatar,
      timestamp,
      onFeedback,
      renderTool,
      renderDataPart,
      editable,
      windowName: name,
    }),
    [labels, copy, regenerate, retry, stop, consumeStop, focusInput, edit, selectVersion, respondToApproval, sendText, returnToLatest, highlightCode, avatar, timestamp, onFeedback, renderTool, renderDataPart, editable, name],
  );
  const transcript = useMemo<TranscriptState>(() => ({ stopped, versions }), [stopped, versions]);

  const Comp = asChild ? Slot : 'div';
  return (
    <ChatStateContext.Provider value={chatStore}>
      <ChatActionsContext.Provider value={actions}>
        <ScrollContext.Provider value={scroll}>
          <InputRefContext.Provider value={inputRef}>
            <TranscriptContext.Provider value={transcript}>
            <BusyContext.Provider value={chat.isStreaming}>
            <Comp
              ref={ref}
              data-slot="chat-window"
              data-state={chat.isStreaming ? 'streaming' : chat.status === 'error' ? 'error' : 'idle'}
              data-connection={chat.connection.status}
              data-theme={theme === 'system' ? undefined : theme}
              className={cx('csk-root', className)}
              onKeyDown={(event: React.KeyboardEvent<HTMLDivElement>) => {
                onKeyDown?.(event);
                // Escape stops the answer from anywhere in the window, not only from the input.
                if (!event.defaultPrevented && event.key === 'Escape' && chatRef.current.isStreaming) {
                  event.preventDefault();
                  stop();
                }
              }}
              {...rest}
            >
              {/* With asChild, the caller's element becomes the root and the announcer goes inside it. */}
              <Slottable>{children}</Slottable>
              <ChatWindowAnnouncer />
            </Comp>
            </BusyContext.Provider>
            </TranscriptContext.Provider>
          </InputRefContext.Provider>
        </ScrollContext.Provider>
      </ChatActionsContext.Provider>
    </ChatStateContext.Provider>
  );
});
