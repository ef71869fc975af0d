export type { ChatKitTransport, ChatActivityHandle, ConversationHandle, ChatListHandle, ChatListState, ChatHistoryState, ChatSummary } from './types.js';
export { useChatList } from './use-chat-list.js';
export { useStore } from './use-store.js';
export { useChatTransport, type TransportInput } from './use-chat-transport.js';
export { useConnectionState, type ConnectionState } from './use-connection-state.js';
export { useChatActivity } from './use-chat-activity.js';
export {
  useGenerationStatus,
  useGenerationFromActivity,
  isActiveGeneration,
  type GenerationState,
  type GenerationStatus,
} from './use-generation-status.js';
export { useRecoveryState, type RecoveryState } from './use-recovery-state.js';
export { useCountdown } from './use-countdown.js';
export { isNetworkError, chatErrorKind, type ChatErrorKind } from './errors.js';
export {
  useCloudSignalChat,
  DEFAULT_THROTTLE_MS,
  mergeStoredMessages,
  type UseCloudSignalChatOptions,
  type CloudSignalChat,
} from './use-cloudsignal-chat.js';
export { useTransportStats } from './use-transport-stats.js';
export { createInertTransport } from './inert-transport.js';
