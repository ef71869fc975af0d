/**
 * What every chat store accepts, checked in one place so the memory, SQL and callback stores
 * refuse the same inputs with the same typed error ({@link ChatStoreInputError}) before writing
 * anything: addresses are topic-safe ids, writes are well-formed messages with ids, queries are
 * non-negative integers, titles are non-empty and bounded.
 */
import type { UIMessage } from 'ai';
import { isValidSegment, type ChatAddress } from '../../transport/topics.js';
import type { MessageQuery, StoredTurn, StoredTurnState } from '../../transport/conversation.js';
import type { MessageWrite, SaveMessagesOptions } from './chat-store.js';
import { ChatStoreInputError } from './errors.js';

/** Longest accepted message id (AI SDK ids are 16-32 characters; this leaves room for app ids). */
export const MAX_MESSAGE_ID_LENGTH = 200;
/** Longest title a rename accepts (the same bound as the `rename` query). */
export const MAX_RENAMED_TITLE_LENGTH = 200;

const ROLES: ReadonlySet<string> = new Set(['system', 'user', 'assistant']);
const TURN_STATES: ReadonlySet<StoredTurnState> = new Set(['running', 'done', 'aborted', 'error']);

/** Throws unless both ids could stand in a topic (the same rule as the topic builder). */
export function checkAddress(address: ChatAddress): void {
  checkUserId(address?.userId);
  if (!isValidSegment(address.chatId)) throw new ChatStoreInputError(`chatId must match [A-Za-z0-9_-]{1,64} (got ${preview(address.chatId)})`);
}

export function checkUserId(userId: unknown): asserts userId is string {
  if (!isValidSegment(userId)) throw new ChatStoreInputError(`userId must match [A-Za-z0-9_-]{1,64} (got ${preview(userId)})`);
}

/**
 * Validates a batch of writes and folds repeated ids into one write (the last content wins, the
 * first occurrence keeps its place), so one batch is one idempotent change.
 */
export function normalizeWrites<UI extends UIMessage>(writes: readonly MessageWrite<UI>[]): MessageWrite<UI>[] {
  if (!Array.isArray(writes)) throw new ChatStoreInputError('saveMessages expects an array of { message, turn? }');
  const byId = new Map<string, MessageWrite<UI>>();
  for (const [index, write] of writes.entries()) {
    const message = write?.message as Partial<UIMessage> | undefined;
    if (message === null || typeof message !== 'object') throw new ChatStoreInputError(`write ${index}: message must be an object`);
    if (typeof message.id !== 'string' || message.id.length === 0 || message.id.length > MAX_MESSAGE_ID_LENGTH) {
      throw new ChatStoreInputError(`write ${index}: message.id must be a non-empty string of at most ${MAX_MESSAGE_ID_LENGTH} characters`);
    }
    if (!ROLES.has(message.role as string)) throw new ChatStoreInputError(`write ${index}: message.role must be system, user or assistant`);
    if (!Array.isArray(message.parts)) throw new ChatStoreInputError(`write ${index}: message.parts must be an array`);
    if (write.turn !== undefined) checkTurn(write.turn, index);
    // PostgreSQL's jsonb cannot hold U+0000; refusing it in every store keeps them interchangeable.
    if (JSON.stringify(message).includes('\\u0000')) throw new ChatStoreInputError(`write ${index}: message contains a NUL character (U+0000), which a chat store cannot hold`);
    byId.set(message.id, write);
  }
  return [...byId.values()];
}

function checkTurn(turn: StoredTurn, index: number): void {
  if (turn === null || typeof turn !== 'object' || typeof turn.requestId !== 'string' || turn.requestId.length === 0 || !TURN_STATES.has(turn.state)) {
    throw new ChatStoreInputError(`write ${index}: turn must be { requestId, state: running | done | aborted | error }`);
  }
}

/** Validates a message query: every bound is a non-negative safe integer. */
export function checkMessageQuery(query: MessageQuery | undefined): MessageQuery {
  const q = query ?? {};
  for (const key of ['after', 'before', 'limit'] as const) {
    const value = q[key];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) throw new ChatStoreInputError(`${key} must be a non-negative integer (got ${preview(value)})`);
  }
  return q;
}

/** Validates a save's options: `replaceFrom` is a non-negative integer. */
export function checkSaveOptions(options: SaveMessagesOptions | undefined): SaveMessagesOptions {
  const o = options ?? {};
  if (o.replaceFrom !== undefined && !(Number.isSafeInteger(o.replaceFrom) && o.replaceFrom >= 0)) {
    throw new ChatStoreInputError(`replaceFrom must be a non-negative integer (got ${preview(o.replaceFrom)})`);
  }
  return o;
}

/** Validates a list page request. */
export function checkListOptions(options: { before?: number; limit?: number } | undefined): { before?: number; limit?: number } {
  const o = options ?? {};
  for (const key of ['before', 'limit'] as const) {
    const value = o[key];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) throw new ChatStoreInputError(`${key} must be a non-negative integer (got ${preview(value)})`);
  }
  return o;
}

/** A rename's title, trimmed; throws when empty or too long. */
export function normalizeRenamedTitle(title: string): string {
  const trimmed = typeof title === 'string' ? title.trim() : '';
  if (trimmed === '') throw new ChatStoreInputError('title must not be empty');
  if (trimmed.length > MAX_RENAMED_TITLE_LENGTH) throw new ChatStoreInputError(`title must be at most ${MAX_RENAMED_TITLE_LENGTH} characters`);
  return trimmed;
}

function preview(value: unknown): string {
  return JSON.stringify(String(value)).slice(0, 80);
}
