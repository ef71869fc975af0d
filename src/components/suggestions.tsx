import { forwardRef, type ComponentPropsWithoutRef } from 'react';
import { useChatWindowActions } from './chat-window-context.js';
import { cx } from './cx.js';

/** Props of `ChatWindow.Suggestions`: prompts to offer as buttons. */
export interface ChatWindowSuggestionsProps extends Omit<ComponentPropsWithoutRef<'div'>, 'children'> {
  items: readonly string[];
  /** `starter` in an empty chat, `follow-up` after an answer. */
  kind?: 'starter' | 'follow-up';
}

/** Prompts the user can send with one click: starters in an empty chat, follow-ups after an answer. */
export const ChatWindowSuggestions = forwardRef<HTMLDivElement, ChatWindowSuggestionsProps>(function ChatWindowSuggestions(
  { items, kind = 'starter', className, ...rest },
  ref,
) {
  const { labels, sendText } = useChatWindowActions('ChatWindow.Suggestions');
  if (items.length === 0) return null;
  return (
    <div
      ref={ref}
      role="group"
      aria-label={kind === 'starter' ? labels.suggestions : labels.followUps}
      data-slot="suggestions"
      data-kind={kind}
      className={cx('csk-suggestions', className)}
      {...rest}
    >
      {items.map((text) => (
        <button key={text} type="button" className="csk-suggestion" data-slot="suggestion" onClick={() => sendText(text)}>
          {text}
        </button>
      ))}
    </div>
  );
});
