export { ChatWindow, type ChatWindowProps, type ChatWindowRootPropsOf } from './chat-window.js';
export { ChatWindowRoot, type ChatWindowRootProps } from './root.js';
export { ChatWindowViewport, type ChatWindowViewportProps } from './viewport.js';
export { ChatWindowMessageList, type ChatWindowMessageListProps, type RowState, type MessageRowState } from './message-list.js';
export { ChatWindowThinkingRow } from './thinking-row.js';
export { ChatWindowSuggestions, type ChatWindowSuggestionsProps } from './suggestions.js';
export { historyOf } from './history.js';
export { MessageVersions, ROOT_BRANCH, type BranchVersions, type VersionsSnapshot } from './message-versions.js';
export { safeLinkUrl, safeImageUrl } from './safe-url.js';
export { DEFAULT_MAX_ATTACHMENT_BYTES, formatBytes } from './attachments.js';
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
  type ChatWindowRowOptions,
  type ToolPart,
  type ToolRenderProps,
  type ToolRenderers,
  type RenderTool,
  type RenderDataPart,
  type MessageFeedback,
} from './chat-window-context.js';
export {
  ChatList,
  ChatListRoot,
  ChatListNewChat,
  ChatListItems,
  ChatListItem,
  type ChatListProps,
  type ChatListRootProps,
  type ChatListNewChatProps,
  type ChatListItemsProps,
  type ChatListItemProps,
} from './chat-list.js';
