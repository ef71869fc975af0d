import { forwardRef, memo, useCallback, useEffect, useRef, useState, type ComponentPropsWithoutRef } from 'react';
import type { UIMessage } from 'ai';
import { useChatWindowActions } from './chat-window-context.js';
import { MessageParts } from './message-parts.js';
import { cx } from './cx.js';

/** Props of `ChatWindow.Message`: one message of the conversation. */
export interface ChatWindowMessageProps extends Omit<ComponentPropsWithoutRef<'article'>, 'children'> {
  message: UIMessage;
  /** This message is the one being streamed. */
  streaming?: boolean;
  /** Show the regenerate action (the last assistant message, while nothing streams). */
  canRegenerate?: boolean;
  /** Replace the default body; the actions and attributes stay. */
  children?: React.ReactNode;
}

function CopyButton({ message }: { message: UIMessage }) {
  const { copy, labels } = useChatWindowActions('ChatWindow.Message');
  const [copied, setCopied] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const onClick = useCallback(async () => {
    try {
      await copy(message);
      setCopied(true);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  }, [copy, message]);
  return (
    <button type="button" className="csk-button csk-button-ghost" data-slot="message-copy" data-state={copied ? 'copied' : 'idle'} onClick={onClick}>
      {copied ? labels.copied : labels.copy}
    </button>
  );
}

/**
 * One message row. Memoized: settled rows keep their props while a stream runs, so a token
 * re-renders only the live row.
 */
export const ChatWindowMessage = memo(
  forwardRef<HTMLElement, ChatWindowMessageProps>(function ChatWindowMessage(
    { message, streaming = false, canRegenerate = false, children, className, ...rest },
    ref,
  ) {
    const { labels, regenerate, highlightCode } = useChatWindowActions('ChatWindow.Message');
    const author = message.role === 'user' ? labels.you : message.role === 'system' ? labels.system : labels.assistant;
    const hasText = message.parts.some((p) => p.type === 'text' && p.text.length > 0);
    return (
      <article
        ref={ref}
        data-slot="message"
        data-role={message.role}
        data-state={streaming ? 'streaming' : 'settled'}
        data-message-id={message.id}
        className={cx('csk-message', className)}
        {...rest}
      >
        <p className="csk-message-author">{author}</p>
        <div className="csk-message-body">
          {children ?? <MessageParts message={message} streaming={streaming} labels={labels} highlightCode={highlightCode} />}
        </div>
        {message.role === 'assistant' && !streaming && (hasText || canRegenerate) && (
          <div className="csk-message-actions" data-slot="message-actions">
            {hasText && <CopyButton message={message} />}
            {canRegenerate && (
              <button type="button" className="csk-button csk-button-ghost" data-slot="message-regenerate" onClick={() => regenerate(message.id)}>
                {labels.regenerate}
              </button>
            )}
          </div>
        )}
      </article>
    );
  }),
);
