/** `@cloudsignal/ai-chat-kit/server`: the worker side of the protocol (Node, edge or any JS server). */
export { publishStreamToMqtt, DEFAULT_MERGE_WINDOW_MS, type PublishStreamOptions, type ChunkSource } from './publish-stream.js';
export { createChatWorker, type ChatWorker, type ChatWorkerOptions, type ChatWorkerStats } from './chat-worker.js';
export { createChatRequestHandler, type ChatRequestHandler, type ChatRequestHandlerOptions } from './request-handler.js';
export { InvalidRequestError, DEFAULT_REQUEST_LIMITS, type RequestLimits } from './request-validation.js';
export type { ChatTurnContext, ChatTurnHandler } from './turn-runner.js';
export { DEFAULT_REPLAY_BUDGET, type PublishedTurn, type ReplayBudget } from './turn-publisher.js';
export { DEFAULT_QUERY_LIMITS, type QueryLimits } from './query-responder.js';
export type { RateLimitOptions } from './rate-limiter.js';
export { toNodeHandler, type WebHandler } from './node-adapter.js';
export * from './credentials/index.js';
export { createMosquittoConf, createMosquittoAclFile, dynsecDefaultAccessCommands, dynsecServiceRoleCommands, dynsecUserRoleCommands, dynsecUserRoleName, dynsecTabRoleCommands, dynsecTabRoleName, DEFAULT_DYNSEC_PLUGIN_PATH, DYNSEC_CONTROL_TOPIC, DYNSEC_SERVICE_ROLE, type MosquittoConfigOptions, type MosquittoAuthConfig, type DynsecCommand } from './security/mosquitto-config.js';
export { createCloudSignalPolicy, type CloudSignalAclPolicy, type CloudSignalAclRule } from './security/cloudsignal-policy.js';
export * from './store/index.js';
export { AdaptiveCoalescer, coalescingWindowMs, ADAPTIVE_COALESCING_DEFAULTS, type AdaptiveCoalescingOptions } from './adaptive-coalescer.js';
