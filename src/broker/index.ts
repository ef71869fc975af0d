/** `@cloudsignal/ai-chat-kit/broker`: the embedded development broker (Node only). */
export { startEmbeddedBroker, EMBEDDED_BROKER_DEFAULTS, type EmbeddedBroker, type EmbeddedBrokerOptions, type EmbeddedBrokerStats } from './embedded-broker.js';
export { DEFAULT_BROKER_LIMITS, type BrokerLimits } from './limits.js';
export { applyBrokerAuth, DEFAULT_BROWSER_MAX_PACKET_SIZE, DEFAULT_SERVICE_MAX_PACKET_SIZE, type BrokerAuth, type BrokerAuthOptions, type BrokerServiceAccount, type DeniedEvent } from './auth.js';
export { authorize, mayReceive, BROWSER_READ_CHANNELS, BROWSER_WRITE_CHANNELS, type Principal, type AclAction, type AclDecision } from './acl.js';
export { PortInUseError, listen } from './listen.js';
