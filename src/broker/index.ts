/** `@cloudsignal/ai-chat-kit/broker`: the embedded development broker (Node only). */
export { startEmbeddedBroker, EMBEDDED_BROKER_DEFAULTS, type EmbeddedBroker, type EmbeddedBrokerOptions } from './embedded-broker.js';
