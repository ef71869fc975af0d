export { ChatWindow, type ChatWindowProps } from './chat-window.js';
export { ChatWindowRoot, type ChatWindowRootProps } from './root.js';
export { ChatWindowViewport, type ChatWindowViewportProps } from './viewport.js';
export { ChatWindowMessageList, type ChatWindowMessageListProps } from './message-list.js';
export { ChatWindowMessage, type ChatWindowMessageProps } from './message.js';
export { ChatWindowComposer, type ChatWindowComposerProps } from './composer.js';
export { ChatWindowJumpToLatest, type ChatWindowJumpToLatestProps } from './jump-to-latest.js';
export { ChatWindowErrorRow } from './error-row.js';
export { ChatWindowAnnouncer } from './announcer.js';
export { StatusIndicator, type StatusIndicatorProps } from './status-indicator.js';
export { ReconnectBanner, type ReconnectBannerProps, type ReconnectBannerState } from './reconnect-banner.js';
export { defaultLabels, mergeLabels, type ChatLabels } from './labels.js';
export { useStickToBottom, type StickToBottom } from './use-stick-to-bottom.js';
export { loadCodeHighlighter } from './code-highlighter.js';
export {
  useChatWindowChat,
  useChatWindowActions,
  useChatWindowScroll,
  type ChatWindowChat,
  type ChatWindowActions,
} from './chat-window-context.js';
