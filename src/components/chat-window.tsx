import { forwardRef } from 'react';
import { ChatWindowRoot, type ChatWindowRootProps } from './root.js';
import { ChatWindowViewport } from './viewport.js';
import { ChatWindowMessageList } from './message-list.js';
import { ChatWindowMessage } from './message.js';
import { ChatWindowComposer } from './composer.js';
import { ChatWindowJumpToLatest } from './jump-to-latest.js';
import { ChatWindowErrorRow } from './error-row.js';
import { ChatWindowAnnouncer } from './announcer.js';
import { StatusIndicator } from './status-indicator.js';
import { ReconnectBanner } from './reconnect-banner.js';

/** Props of {@link ChatWindow}: the chat, plus the root's labels, title and layout options. */
export interface ChatWindowProps extends Omit<ChatWindowRootProps, 'children' | 'asChild' | 'title'> {
  /** Render only rows near the viewport; for long threads. */
  virtualize?: boolean;
  /** Heading shown above the transcript; omit for none. */
  title?: React.ReactNode;
  placeholder?: string;
}

const ChatWindowImpl = forwardRef<HTMLDivElement, ChatWindowProps>(function ChatWindow(
  { chat, labels, virtualize, title, placeholder, ...rest },
  ref,
) {
  return (
    <ChatWindowRoot ref={ref} chat={chat} labels={labels} {...rest}>
      <header className="csk-header" data-slot="header">
        {title ? <h2 className="csk-title">{title}</h2> : null}
        <StatusIndicator chat={chat} labels={labels} />
      </header>
      <ReconnectBanner chat={chat} labels={labels} />
      <ChatWindowViewport>
        <ChatWindowMessageList virtualize={virtualize} />
      </ChatWindowViewport>
      <div className="csk-footer" data-slot="footer">
        <ChatWindowJumpToLatest />
        <ChatWindowComposer placeholder={placeholder} />
      </div>
    </ChatWindowRoot>
  );
});

/**
 * A complete chat window: `<ChatWindow chat={useCloudSignalChat(...)} />`. For your own layout,
 * compose the parts: `ChatWindow.Root`, `.Viewport`, `.MessageList`, `.Message`, `.Composer`,
 * `.JumpToLatest`, `.ErrorRow`, plus `StatusIndicator` and `ReconnectBanner`.
 *
 * @example
 * ```tsx
 * 'use client';
 * import { ChatWindow, useCloudSignalChat } from '@cloudsignal/ai-chat-kit/react';
 * import '@cloudsignal/ai-chat-kit/styles.css';
 *
 * export function Support() {
 *   const chat = useCloudSignalChat({ id: 'support', transport: { wssUrl, authEndpoint: '/api/mqtt-token', api: '/api/chat' } });
 *   return <ChatWindow chat={chat} title="Support" />;
 * }
 * ```
 */
export const ChatWindow = Object.assign(ChatWindowImpl, {
  Root: ChatWindowRoot,
  Viewport: ChatWindowViewport,
  MessageList: ChatWindowMessageList,
  Message: ChatWindowMessage,
  Composer: ChatWindowComposer,
  JumpToLatest: ChatWindowJumpToLatest,
  ErrorRow: ChatWindowErrorRow,
  Announcer: ChatWindowAnnouncer,
});
