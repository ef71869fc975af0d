/** Chat stores: the interface, the shipped adapters, the migrations and the store errors (see docs/chat-store.md). */
export type { ChatStore, MessageWrite } from './chat-store.js';
export { createMemoryChatStore, type MemoryChatStoreOptions } from './memory-chat-store.js';
export { createSqlChatStore, type SqlChatStoreOptions } from './sql-chat-store.js';
export type { SqlEngine, SqlQueryable } from './sql-engine.js';
export { createPgliteChatStore, createPgliteEngine, type PgliteChatStoreOptions, type PgliteLike } from './pglite-engine.js';
export { createPostgresChatStore, createPostgresEngine, type PostgresChatStoreOptions, type PgPoolLike } from './postgres-engine.js';
export { fromCallbacks, type ChatStoreCallbacks, type CallbacksChatStoreOptions } from './callbacks-chat-store.js';
export { migrate, CHAT_STORE_MIGRATIONS, DEFAULT_CHAT_STORE_SCHEMA, type ChatStoreMigration, type MigrationResult } from './migrations.js';
export { MAX_AUTO_TITLE_LENGTH, titleFromMessage } from './chat-title.js';
export { ChatStoreError, ChatStoreInputError, ChatStoreClosedError, ChatStoreMigrationError, UnsupportedStoreOperationError, type ChatStoreErrorCode } from './errors.js';
