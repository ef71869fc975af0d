/** Browser-safe transport layer: no React, no Node built-ins. */
export { CloudSignalChatTransport, TRANSPORT_DEFAULTS, requestMessages, type CloudSignalChatTransportOptions, type ChatHandle } from './cloudsignal-chat-transport.js';
export { ConversationSync, type HistorySnapshot } from './conversation-sync.js';
export { ChatListObserver, type ChatListSnapshot } from './chat-list.js';
export { QueryFailedError } from './query-client.js';
export { createMemoryStorage, type KeyValueStorage } from './key-value-storage.js';
export type { OutboxEntry } from './outbox.js';
export type { ChatSummary, StoredMessage, MessagePage, TurnLookup } from './conversation.js';
export { TopicScheme, DEFAULT_TOPIC_PREFIX, CHANNELS, USER_CHANNELS, isValidSegment, type Channel, type UserChannel, type ChatAddress } from './topics.js';
export type * from './conversation.js';
export * from './envelope.js';
export * from './errors.js';
export type { MqttClientLike, PublishOptions, QoS, SubscriptionGrant, MqttClientEvents } from './mqtt-client.js';
export type { ReadableStore } from './store.js';
export { nextConnectionState, INITIAL_CONNECTION, type ConnectionSnapshot, type ConnectionStatus, type ConnectionError, type ConnectionErrorKind, type ConnectionEvent } from './connection-state.js';
export { INITIAL_CHAT_ACTIVITY, type ChatActivitySnapshot, type RecoverySnapshot, type ChatTurnState } from './chat-activity.js';
export { emptyStats, totalDropped, type TransportStats, type DropReason } from './stats.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export type { MqttCredentials } from './credentials.js';
