import { forwardRef, type ComponentPropsWithoutRef } from 'react';
import { Slot } from '@radix-ui/react-slot';
import { useChatWindowActions, useChatWindowScroll } from './chat-window-context.js';
import { cx } from './cx.js';

/** Props of `ChatWindow.JumpToLatest`, shown when the reader scrolled away from the stream. */
export interface ChatWindowJumpToLatestProps extends ComponentPropsWithoutRef<'button'> {
  asChild?: boolean;
}

/**
 * Appears once the user scrolls away from the bottom, with the number of messages that arrived
 * or changed below the fold. Scrolls back (smoothly unless reduced motion is preferred), follows
 * the stream again and puts focus in the composer, since the button itself disappears.
 */
export const ChatWindowJumpToLatest = forwardRef<HTMLButtonElement, ChatWindowJumpToLatestProps>(function ChatWindowJumpToLatest(
  { asChild, className, children, onClick, ...rest },
  ref,
) {
  const { isAtBottom, unreadCount, scrollToBottom } = useChatWindowScroll('ChatWindow.JumpToLatest');
  const { labels, focusInput } = useChatWindowActions('ChatWindow.JumpToLatest');
  if (isAtBottom) return null;
  const Comp = asChild ? Slot : 'button';
  return (
    <Comp
      ref={ref}
      type={asChild ? undefined : 'button'}
      data-slot="jump-to-latest"
      data-state={unreadCount > 0 ? 'unread' : 'read'}
      className={cx('csk-jump', className)}
      onClick={(event: React.MouseEvent<HTMLButtonElement>) => {
        onClick?.(event);
        if (event.defaultPrevented) return;
        scrollToBottom();
        focusInput();
      }}
      {...rest}
    >
      {children ?? (
        <>
          <span>{labels.jumpToLatest}</span>
          {unreadCount > 0 && (
            <span className="csk-unread" data-slot="unread-count">
              {labels.unread(unreadCount)}
            </span>
          )}
        </>
      )}
    </Comp>
  );
});
