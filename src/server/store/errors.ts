/**
 * Typed errors of the chat stores. Each has a stable `code` so the query responder and apps can
 * answer or branch without parsing messages: `invalid-input` is the caller's fault (answer
 * `invalid`), `unsupported` is a store that cannot do an operation (answer `unavailable`),
 * `migration` means the database schema could not be brought up to date (fail at start-up),
 * `closed` is a call after `close()`.
 */
/** Stable code of a {@link ChatStoreError}. */
export type ChatStoreErrorCode = 'invalid-input' | 'unsupported' | 'migration' | 'closed';

/** Base class of every error a chat store throws on purpose. */
export class ChatStoreError extends Error {
  readonly code: ChatStoreErrorCode;
  constructor(code: ChatStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChatStoreError';
    this.code = code;
  }
}

/** A write, query or title that does not validate; nothing was written. */
export class ChatStoreInputError extends ChatStoreError {
  constructor(message: string) {
    super('invalid-input', message);
    this.name = 'ChatStoreInputError';
  }
}

/**
 * The store cannot do this operation, e.g. a store adapted from `loadMessages`/`saveMessages`
 * callbacks has no way to list, rename or delete chats.
 */
export class UnsupportedStoreOperationError extends ChatStoreError {
  readonly operation: string;
  constructor(operation: string, reason: string) {
    super('unsupported', `${operation} is not supported by this chat store: ${reason}`);
    this.name = 'UnsupportedStoreOperationError';
    this.operation = operation;
  }
}

/** A migration failed; its transaction was rolled back, so the schema is as it was before. */
export class ChatStoreMigrationError extends ChatStoreError {
  readonly version: number;
  constructor(version: number, cause: unknown) {
    super('migration', `chat store migration ${version} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ChatStoreMigrationError';
    this.version = version;
  }
}

/** The store was closed; it holds no connection any more. */
export class ChatStoreClosedError extends ChatStoreError {
  constructor() {
    super('closed', 'the chat store is closed');
    this.name = 'ChatStoreClosedError';
  }
}
