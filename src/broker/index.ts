/** `@cloudsignal/ai-chat-kit/broker`: the embedded development broker (Node only). */
export { startEmbeddedBroker, EMBEDDED_BROKER_DEFAULTS, type EmbeddedBroker, type EmbeddedBrokerOptions, type EmbeddedBrokerStats } from './embedded-broker.js';
export { DEFAULT_BROKER_LIMITS, type BrokerLimits } from './limits.js';
export { applyBrokerAuth, DEFAULT_BROWSER_MAX_PACKET_SIZE, DEFAULT_SERVICE_MAX_PACKET_SIZE, type BrokerAuth, type BrokerAuthOptions, type BrokerServiceAccount, type DeniedEvent } from './auth.js';
export { authorize, mayReceive, BROWSER_READ_CHANNELS, BROWSER_WRITE_CHANNELS, type Principal, type AclAction, type AclDecision } from './acl.js';
export { ACCESS_TABLE, accessRule, browserGrants, ruleTopic, serviceRoots, BROWSER_MAX_QOS, type AccessRule, type BrowserGrant, type TopicPlaceholders } from '../transport/access-table.js';
export { clientIdOwner, isClientIdOf, isReservedClientId, newBrowserClientId, RESERVED_CLIENT_ID_PREFIX } from '../transport/client-ids.js';
export { PortInUseError, listen } from './listen.js';
export { joinBrokerCluster, redisConnectionOptions, ClusterDependencyError, InvalidRedisUrlError, BROKER_CLUSTER_DEFAULTS, type BrokerClusterOptions, type BrokerClusterWiring } from './cluster.js';
