import { forwardRef, useCallback, useMemo, useRef, type ComponentPropsWithoutRef } from 'react';
import { Slot, Slottable } from '@radix-ui/react-slot';
import type { UIMessage } from 'ai';
import {
  ChatActionsContext,
  ChatStateContext,
  InputRefContext,
  ScrollContext,
  type ChatWindowActions,
  type ChatWindowChat,
} from './chat-window-context.js';
import type { ChatLabels } from './labels.js';
import { useLabels } from './use-labels.js';
import { useStickToBottom } from './use-stick-to-bottom.js';
import { ChatWindowAnnouncer } from './announcer.js';
import { cx } from './cx.js';

/** Props of `ChatWindow.Root`: the chat whose state the parts inside read. */
export interface ChatWindowRootProps extends ComponentPropsWithoutRef<'div'> {
  /** The result of `useCloudSignalChat`. */
  chat: ChatWindowChat;
  labels?: Partial<ChatLabels>;
  /** `light`, `dark`, or follow the system (default). Sets `data-theme`. */
  theme?: 'light' | 'dark' | 'system';
  /** Highlight fenced code; the highlighter is loaded on the first code block. Default true. */
  highlightCode?: boolean;
  asChild?: boolean;
}

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
  { chat, labels: labelOverrides, theme = 'system', highlightCode = true, asChild, className, children, onKeyDown, ...rest },
  ref,
) {
  const labels = useLabels(labelOverrides);
  const scroll = useStickToBottom(chat.messages);
  const inputRef = useRef<HTMLTextAreaElement | null>(null);
  // Actions read the latest chat through a ref so their identity survives every token.
  const chatRef = useRef(chat);
  chatRef.current = chat;
  const stopped = useRef(false);

  const focusInput = useCallback(() => inputRef.current?.focus(), []);
  const stop = useCallback(() => {
    stopped.current = true;
    void chatRef.current.stop();
    inputRef.current?.focus();
  }, []);
  const consumeStop = useCallback(() => {
    const was = stopped.current;
    stopped.current = false;
    return was;
  }, []);
  const copy = useCallback(async (message: UIMessage) => {
    await navigator.clipboard.writeText(messageText(message));
  }, []);
  const regenerate = useCallback((messageId: string) => {
    scroll.scrollToBottom('instant');
    void chatRef.current.regenerate({ messageId });
  }, [scroll.scrollToBottom]);
  const retry = useCallback(() => {
    const current = chatRef.current;
    current.clearError();
    scroll.scrollToBottom('instant');
    const last = current.messages[current.messages.length - 1];
    void current.regenerate(last?.role === 'assistant' ? { messageId: last.id } : undefined);
    inputRef.current?.focus();
  }, [scroll.scrollToBottom]);

  const actions = useMemo<ChatWindowActions>(
    () => ({ labels, copy, regenerate, retry, stop, consumeStop, focusInput, highlightCode }),
    [labels, copy, regenerate, retry, stop, consumeStop, focusInput, highlightCode],
  );

  const Comp = asChild ? Slot : 'div';
  return (
    <ChatStateContext.Provider value={chat}>
      <ChatActionsContext.Provider value={actions}>
        <ScrollContext.Provider value={scroll}>
          <InputRefContext.Provider value={inputRef}>
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
          </InputRefContext.Provider>
        </ScrollContext.Provider>
      </ChatActionsContext.Provider>
    </ChatStateContext.Provider>
  );
});
