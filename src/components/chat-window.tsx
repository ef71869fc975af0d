import { forwardRef, useId, type ReactElement, type RefAttributes } from 'react';
import type { UIMessage } from 'ai';
import type { ChatWindowChat, ChatWindowRowOptions } from './chat-window-context.js';
import { ChatWindowRoot, type ChatWindowRootProps } from './root.js';
import { ChatWindowViewport } from './viewport.js';
import { ChatWindowMessageList, type ChatWindowMessageListProps } from './message-list.js';
import { ChatWindowSuggestions } from './suggestions.js';
import { ChatWindowMessage } from './message.js';
import { ChatWindowComposer, type ChatWindowComposerProps } from './composer.js';
import { ChatWindowJumpToLatest } from './jump-to-latest.js';
import { ChatWindowErrorRow } from './error-row.js';
import { ChatWindowAnnouncer } from './announcer.js';
import { ChatWindowThinkingRow } from './thinking-row.js';
import { StatusIndicator } from './status-indicator.js';
import { ReconnectBanner } from './reconnect-banner.js';

/**
 * Props of `ChatWindow.Root`, typed by the app's message type: the chat and the row callbacks get
 * `UI`, the rest is {@link ChatWindowRootProps}.
 */
export interface ChatWindowRootPropsOf<UI extends UIMessage = UIMessage>
  extends Omit<ChatWindowRootProps, 'chat' | keyof ChatWindowRowOptions>,
    ChatWindowRowOptions<UI> {
  /** The result of `useCloudSignalChat<UI>()`. */
  chat: ChatWindowChat<UI>;
}

/**
 * Props of {@link ChatWindow}: the chat, plus the root's labels, title and layout options. `UI` is
 * the app's message type, inferred from `chat`; the callbacks get it.
 */
export interface ChatWindowProps<UI extends UIMessage = UIMessage>
  extends Omit<ChatWindowRootPropsOf<UI>, 'children' | 'asChild' | 'title'>,
    Pick<ChatWindowComposerProps, 'onSend' | 'attachments' | 'maxAttachmentBytes' | 'accept' | 'offlineSend'> {
  /** Render only rows near the viewport; for long threads. */
  virtualize?: boolean;
  /** Heading shown above the transcript; omit for none. A string title also names the window. */
  title?: React.ReactNode;
  placeholder?: string;
  /** Starter prompts in an empty chat. */
  suggestions?: readonly string[];
  /** Follow-up prompts under the latest answer, or a function of the messages. */
  followUps?: readonly string[] | ((messages: readonly UI[]) => readonly string[]);
}

const ChatWindowImpl = forwardRef<HTMLDivElement, ChatWindowProps>(function ChatWindow(
  { chat, labels, virtualize, title, placeholder, name, suggestions, followUps, onSend, attachments, maxAttachmentBytes, accept, offlineSend, ...rest },
  ref,
) {
  const titleId = useId();
  const windowName = name ?? (typeof title === 'string' ? title : undefined);
  return (
    <ChatWindowRoot ref={ref} chat={chat} labels={labels} name={windowName} {...rest}>
      {/* A plain div, not <header>: a page may hold several windows and has its own banner. */}
      <div className="csk-header" data-slot="header">
        {title ? (
          <h2 className="csk-title" id={titleId}>
            {title}
          </h2>
        ) : null}
        <StatusIndicator chat={chat} labels={labels} />
      </div>
      <ReconnectBanner chat={chat} labels={labels} />
      <ChatWindowViewport>
        <ChatWindowMessageList virtualize={virtualize} suggestions={suggestions} followUps={followUps} />
      </ChatWindowViewport>
      <div className="csk-footer" data-slot="footer">
        <ChatWindowJumpToLatest />
        <ChatWindowComposer
          placeholder={placeholder}
          onSend={onSend}
          attachments={attachments}
          maxAttachmentBytes={maxAttachmentBytes}
          accept={accept}
          offlineSend={offlineSend}
        />
      </div>
    </ChatWindowRoot>
  );
});

// forwardRef drops type parameters, so the generic signatures are restored here. The parts render
// only the messages of the chat they are given, so the callbacks always get the app's own type.
/** `ChatWindow`'s signature: generic over the app's message type, inferred from `chat`. */
type ChatWindowComponent = (<UI extends UIMessage = UIMessage>(props: ChatWindowProps<UI> & RefAttributes<HTMLDivElement>) => ReactElement | null) & {
  displayName?: string;
};
/** `ChatWindow.Root`'s signature: generic over the app's message type, inferred from `chat`. */
type ChatWindowRootComponent = (<UI extends UIMessage = UIMessage>(props: ChatWindowRootPropsOf<UI> & RefAttributes<HTMLDivElement>) => ReactElement | null) & {
  displayName?: string;
};

/**
 * A complete chat window: `<ChatWindow chat={useCloudSignalChat(...)} />`. For your own layout,
 * compose the parts: `ChatWindow.Root`, `.Viewport`, `.MessageList`, `.Message`, `.Composer`,
 * `.JumpToLatest`, `.ErrorRow`, `.ThinkingRow`, `.Suggestions`, plus `StatusIndicator` and `ReconnectBanner`.
 *
 * Generic over the app's message type, taken from `chat`: with `useCloudSignalChat<MyMessage>()`,
 * `renderTool`, `renderDataPart`, `timestamp`, `avatar`, `onFeedback` and `followUps` get
 * `MyMessage`, its data parts and its tool parts.
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
export const ChatWindow = Object.assign(ChatWindowImpl as unknown as ChatWindowComponent, {
  Root: ChatWindowRoot as unknown as ChatWindowRootComponent,
  Viewport: ChatWindowViewport,
  MessageList: ChatWindowMessageList,
  Message: ChatWindowMessage,
  Composer: ChatWindowComposer,
  JumpToLatest: ChatWindowJumpToLatest,
  ErrorRow: ChatWindowErrorRow,
  ThinkingRow: ChatWindowThinkingRow,
  Suggestions: ChatWindowSuggestions,
  Announcer: ChatWindowAnnouncer,
});
