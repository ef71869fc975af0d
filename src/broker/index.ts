/** `@cloudsignal/ai-chat-kit/broker`: the embedded development broker (Node only). */
export { startEmbeddedBroker, EMBEDDED_BROKER_DEFAULTS, type EmbeddedBroker, type EmbeddedBrokerOptions } from './embedded-broker.js';
export { applyBrokerAuth, DEFAULT_BROWSER_MAX_PACKET_SIZE, DEFAULT_SERVICE_MAX_PACKET_SIZE, type BrokerAuth, type BrokerAuthOptions, type BrokerServiceAccount, type DeniedEvent } from './auth.js';
export { authorize, mayReceive, BROWSER_READ_CHANNELS, BROWSER_WRITE_CHANNELS, type Principal, type AclAction, type AclDecision } from './acl.js';
export { PortInUseError, listen } from './listen.js';
export { joinBrokerCluster, redisConnectionOptions, ClusterDependencyError, InvalidRedisUrlError, BROKER_CLUSTER_DEFAULTS, type BrokerClusterOptions, type BrokerClusterWiring } from './cluster.js';
