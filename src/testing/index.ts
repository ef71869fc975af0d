/** `@cloudsignal/ai-chat-kit/testing`: an in-memory broker and scripted models for tests and stories (browser-safe). */
export { createMockBroker, MockBroker, MockMqttClient, topicMatches, isValidTopicFilter } from './mock-broker.js';
export type {
  MockBrokerOptions,
  MockConnectOptions,
  MockInjectOptions,
  MockDropPredicate,
  MockSubscriptionInfo,
  MockRetainedMessage,
  MockBrokerStats,
  MockPublishPacket,
} from './mock-broker.js';
export { createScriptedModel, scriptedChunkStream, tokenize, SCRIPTED_TEXT_ID } from './scripted-model.js';
export type { ScriptedModel, ScriptedModelOptions, ScriptedChunkStreamOptions } from './scripted-model.js';
