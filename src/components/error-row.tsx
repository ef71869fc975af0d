import { forwardRef, type ComponentPropsWithoutRef } from 'react';
import { useChatWindowActions, useChatWindowChat } from './chat-window-context.js';
import { cx } from './cx.js';

/**
 * Shown when a turn failed for good (worker timeout, refused request, turn error). A dropped
 * connection is not a failure: it is resumed and lives in the reconnect banner instead.
 */
export const ChatWindowErrorRow = forwardRef<HTMLDivElement, ComponentPropsWithoutRef<'div'>>(function ChatWindowErrorRow(
  { className, ...rest },
  ref,
) {
  const chat = useChatWindowChat('ChatWindow.ErrorRow');
  const { labels, retry } = useChatWindowActions('ChatWindow.ErrorRow');
  if (chat.status !== 'error' || chat.errorKind === 'network' || chat.errorKind === null) return null;
  const title = chat.errorKind === 'timeout' ? labels.errorTimeout : chat.errorKind === 'auth' ? labels.errorAuth : labels.errorTitle;
  const detail = chat.errorKind === 'other' ? chat.error?.message : undefined;
  return (
    <div ref={ref} role="alert" data-slot="error-row" data-state={chat.errorKind} className={cx('csk-error-row', className)} {...rest}>
      <p className="csk-error-title">{title}</p>
      {detail && <p className="csk-error-detail">{detail}</p>}
      <button type="button" className="csk-button" data-slot="error-retry" onClick={retry}>
        {labels.retry}
      </button>
    </div>
  );
});
