import { forwardRef, type ComponentPropsWithoutRef } from 'react';
import { useChatWindowActions } from './chat-window-context.js';
import { cx } from './cx.js';

/**
 * The answer's place between Send and its first token: the assistant's label and a shimmering
 * "Thinking…", so the transcript shows progress before any text exists. Not a live region: the
 * announcer already says the response started.
 */
export const ChatWindowThinkingRow = forwardRef<HTMLDivElement, ComponentPropsWithoutRef<'div'>>(function ChatWindowThinkingRow(
  { className, ...rest },
  ref,
) {
  const { labels, avatar } = useChatWindowActions('ChatWindow.ThinkingRow');
  const picture = avatar?.('assistant', { id: '', role: 'assistant', parts: [] });
  return (
    <div ref={ref} data-slot="thinking-row" data-role="assistant" className={cx('csk-message csk-thinking-row', className)} {...rest}>
      {picture != null && <div className="csk-avatar" data-slot="avatar">{picture}</div>}
      <div className="csk-message-main">
        <p className="csk-message-meta">
          <span className="csk-message-author">{labels.assistant}</span>
        </p>
        <Thinking text={labels.thinking} />
      </div>
    </div>
  );
});

/** A shimmering one-line progress text (static when reduced motion is preferred). */
export function Thinking({ text }: { text: string }) {
  return (
    <p className="csk-thinking" data-slot="thinking">
      <span className="csk-shimmer">{text}</span>
    </p>
  );
}
