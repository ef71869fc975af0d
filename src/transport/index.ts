/** Browser-safe transport layer: no React, no Node built-ins. */
export { CloudSignalChatTransport, TRANSPORT_DEFAULTS, type CloudSignalChatTransportOptions, type ChatHandle } from './cloudsignal-chat-transport.js';
export { TopicScheme, DEFAULT_TOPIC_PREFIX, CHANNELS, USER_CHANNELS, isValidSegment, type Channel, type UserChannel, type ChatAddress } from './topics.js';
export type * from './conversation.js';
export * from './envelope.js';
export * from './errors.js';
export type { MqttClientLike, PublishOptions, QoS, SubscriptionGrant, MqttClientEvents } from './mqtt-client.js';
export type { ReadableStore } from './store.js';
export { nextConnectionState, INITIAL_CONNECTION, type ConnectionSnapshot, type ConnectionStatus, type ConnectionError, type ConnectionErrorKind, type ConnectionEvent } from './connection-state.js';
export { INITIAL_CHAT_ACTIVITY, type ChatActivitySnapshot, type RecoverySnapshot } from './chat-activity.js';
export { emptyStats, totalDropped, type TransportStats, type DropReason } from './stats.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export type { MqttCredentials } from './credentials.js';
export { PlainTokenChatTransport, PLAIN_TOKEN_DEFAULTS, type PlainTokenChatTransportOptions } from './plain-token-transport.js';
export { PLAIN_TOKEN_DONE, PLAIN_TOKEN_STOP, PLAIN_TOKEN_STATUSES, encodePlainTokenRequest, decodePlainTokenStatus, decodePlainTokenResponse, type PlainTokenStatus, type PlainTokenRequest } from './plain-token-protocol.js';
export { plainTokenTopic, DEFAULT_PLAIN_TOKEN_PREFIX, PLAIN_TOKEN_CHANNELS, type PlainTokenChannel } from './topics.js';
