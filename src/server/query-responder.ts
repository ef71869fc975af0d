/**
 * Answers the user-level queries of `{prefix}/{userId}/~/query` (docs/protocol-conversations.md):
 * history pages, the chat list, rename, delete, and turn lookups. The user id is always the
 * topic's; a query can only name that user's chats. Answers go to the asking client's own
 * `~/answer/{clientId}` (QoS 1, not retained); chat list changes fan out on `~/chats`.
 */
import type { MessageQuery, TurnLookup } from '../transport/conversation.js';
import { decodeQuery, encodeAnswer, type AnswerEnvelope, type QueryEnvelope, type QueryError } from '../transport/envelope.js';
import { publishAsync, type MqttClientLike } from '../transport/mqtt-client.js';
import type { TopicScheme } from '../transport/topics.js';
import type { RateLimiter } from './rate-limiter.js';
import type { TurnService } from './turn-service.js';

/** Limits of the query responder. */
export interface QueryLimits {
  /** Largest query payload, checked before decoding. Default 4 KiB. */
  maxQueryBytes: number;
  /** Most messages in one history page, and the page size when the query names none. Default 200. */
  maxPageMessages: number;
  /** Most chats in one list page. Default 100. */
  maxPageChats: number;
}

/** Size of a query and of one answered page, by default. */
export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxQueryBytes: 4 * 1024, maxPageMessages: 200, maxPageChats: 100 };

/** Counters of the query responder. */
export interface QueryStats {
  queries: number;
  answered: number;
  rateLimited: number;
  /** Oversized or malformed queries, dropped unanswered (there is no one to answer safely). */
  dropped: number;
  /** Turn lookups handed to the worker running the turn. */
  forwarded: number;
}

export interface QueryResponderOptions {
  client: MqttClientLike;
  topics: TopicScheme;
  service: TurnService;
  limits: QueryLimits;
  /** Per-user query budget; null for none. */
  limiter: RateLimiter | null;
  isPresent: (workerId: string) => boolean;
  /** Hands a turn lookup to the worker running the turn; false when it cannot. */
  forward?: (workerId: string, userId: string, chatId: string, payload: Uint8Array) => boolean;
  onError?: (error: unknown) => void;
}

/** Answers to rename/delete kept per user, so a re-asked query (same id) gets the same answer. */
const REMEMBERED_ANSWERS_PER_USER = 32;

export class QueryResponder {
  readonly stats: QueryStats = { queries: 0, answered: 0, rateLimited: 0, dropped: 0, forwarded: 0 };
  /** Recent answers of mutating queries, per user (one user's queries never evict another's). */
  private readonly remembered = new Map<string, Map<string, AnswerEnvelope>>();

  constructor(private readonly options: QueryResponderOptions) {}

  /** Decodes a query, its size checked first; null (counted) for one too large or malformed. */
  decode(payload: Uint8Array): QueryEnvelope | null {
    this.stats.queries++;
    if (payload.byteLength > this.options.limits.maxQueryBytes) {
      this.stats.dropped++;
      return null;
    }
    const decoded = decodeQuery(payload);
    if (!decoded.ok) {
      this.stats.dropped++;
      return null;
    }
    return decoded.value;
  }

  /** Answers one query of `userId` (the topic's). `forwarded` is true for a lookup another worker handed over. */
  async handle(userId: string, query: QueryEnvelope, payload: Uint8Array, forwarded = false): Promise<void> {
    // Forwarded lookups were counted against the user by the worker that received them.
    if (!forwarded && this.options.limiter && !this.options.limiter.take(userId)) {
      this.stats.rateLimited++;
      await this.answer(userId, query, { queryId: query.queryId, error: { code: 'rate-limited', message: 'Too many queries: please wait a moment.' } });
      return;
    }
    const earlier = this.remembered.get(userId)?.get(query.queryId);
    if (earlier) {
      // A re-asked rename or delete: the first answer, not a second "no such chat".
      await this.answer(userId, query, earlier);
      return;
    }
    let answer: AnswerEnvelope | null;
    try {
      answer = await this.resolve(userId, query, payload, forwarded);
    } catch (error) {
      answer = { queryId: query.queryId, error: errorOf(error) };
      if (answer.error.code === 'internal') this.options.onError?.(error);
    }
    if (!answer) return;
    if (query.op === 'rename' || query.op === 'delete') this.remember(userId, answer);
    await this.answer(userId, query, answer);
  }

  private remember(userId: string, answer: AnswerEnvelope): void {
    let answers = this.remembered.get(userId);
    if (answers) this.remembered.delete(userId);
    else answers = new Map();
    this.remembered.set(userId, answers);
    answers.set(answer.queryId, answer);
    if (answers.size > REMEMBERED_ANSWERS_PER_USER) answers.delete(answers.keys().next().value as string);
    if (this.remembered.size > 10_000) this.remembered.delete(this.remembered.keys().next().value as string);
  }

  private async resolve(userId: string, query: QueryEnvelope, payload: Uint8Array, forwarded: boolean): Promise<AnswerEnvelope | null> {
    const { service, limits } = this.options;
    const store = service.store;
    const ok = (result: unknown): AnswerEnvelope => ({ queryId: query.queryId, result });
    switch (query.op) {
      case 'history': {
        const address = { userId, chatId: query.chatId };
        // Every answer is capped, a sync (`after`) too: a device far behind gets `hasOlder` on its
        // sync and starts again from the newest page, never one answer too large to deliver.
        const limit = Math.min(query.limit ?? limits.maxPageMessages, limits.maxPageMessages);
        const page: MessageQuery = {
          ...(query.after !== undefined ? { after: query.after } : {}),
          ...(query.before !== undefined ? { before: query.before } : {}),
          limit,
        };
        return ok(await store.loadMessages(address, page));
      }
      case 'list':
        return ok(await store.listChats(userId, { ...(query.before !== undefined ? { before: query.before } : {}), limit: Math.min(query.limit ?? limits.maxPageChats, limits.maxPageChats) }));
      case 'rename': {
        const chat = await store.renameChat({ userId, chatId: query.chatId }, query.title);
        if (!chat) return { queryId: query.queryId, error: { code: 'not-found', message: 'No such chat.' } };
        service.publishChatEvent(userId, { op: 'upsert', chat });
        return ok({ chat });
      }
      case 'delete': {
        const address = { userId, chatId: query.chatId };
        service.abortChat(address, 'The chat was deleted.');
        const deleted = await store.deleteChat(address);
        if (deleted) service.publishChatEvent(userId, { op: 'delete', chatId: query.chatId });
        return ok({ deleted });
      }
      case 'turn': {
        const address = { userId, chatId: query.chatId };
        const found = await service.lookup(address, query.requestId, this.options.isPresent);
        if (found.state !== 'elsewhere') return ok(found satisfies TurnLookup);
        if (!forwarded && this.options.forward?.(found.workerId, userId, query.chatId, payload)) {
          this.stats.forwarded++;
          return null;
        }
        // The runner is alive but cannot be asked: the turn is live, its progress unknown here.
        return ok({ state: 'live', lastSeq: -1 } satisfies TurnLookup);
      }
    }
  }

  private async answer(userId: string, query: QueryEnvelope, answer: AnswerEnvelope): Promise<void> {
    const { client, topics } = this.options;
    await publishAsync(client, topics.userTopic(userId, 'answer', query.clientId), encodeAnswer(answer), { qos: 1 }).catch(() => undefined);
    this.stats.answered++;
  }
}

function errorOf(error: unknown): QueryError {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message.slice(0, 200) : 'The query failed.';
  if (code === 'invalid-input') return { code: 'invalid', message };
  if (code === 'unsupported' || code === 'closed') return { code: 'unavailable', message };
  return { code: 'internal', message: 'The query failed.' };
}
