import { forwardRef, type ComponentPropsWithoutRef } from 'react';
import * as ScrollArea from '@radix-ui/react-scroll-area';
import { useChatWindowActions, useChatWindowScroll } from './chat-window-context.js';
import { cx } from './cx.js';

/** Props of `ChatWindow.Viewport`, the scrolling area. */
export type ChatWindowViewportProps = ComponentPropsWithoutRef<typeof ScrollArea.Root>;

/**
 * The scrolling area (Radix ScrollArea). Its content element is a plain block, so wide code
 * blocks scroll inside themselves instead of stretching the transcript. The viewport is
 * focusable so keyboard users can scroll it.
 */
export const ChatWindowViewport = forwardRef<HTMLDivElement, ChatWindowViewportProps>(function ChatWindowViewport(
  { className, children, ...rest },
  ref,
) {
  const { viewportRef, contentRef } = useChatWindowScroll('ChatWindow.Viewport');
  const { labels, windowName } = useChatWindowActions('ChatWindow.Viewport');
  return (
    <ScrollArea.Root ref={ref} type="hover" data-slot="viewport" className={cx('csk-viewport', className)} {...rest}>
      <ScrollArea.Viewport
        ref={viewportRef}
        disableImplicitContentElement
        className="csk-viewport-scroller"
        tabIndex={0}
        role="region"
        aria-label={windowName ? labels.transcriptNamed(windowName) : labels.transcript}
      >
        <ScrollArea.Content ref={contentRef} className="csk-viewport-content" style={{ display: 'block' }}>
          {children}
        </ScrollArea.Content>
      </ScrollArea.Viewport>
      <ScrollArea.Scrollbar orientation="vertical" className="csk-scrollbar">
        <ScrollArea.Thumb className="csk-scrollbar-thumb" />
      </ScrollArea.Scrollbar>
    </ScrollArea.Root>
  );
});
