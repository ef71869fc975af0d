/**
 * Asks a user's workers questions on `~/query` and matches their answers on this client's own
 * `~/answer/{clientId}` topic (docs/protocol-conversations.md). An unanswered query is asked again
 * with the same id (answers are idempotent) until it is answered or its asker gives up: no answer
 * is ever inferred from a timer.
 */
import type { TurnLookup } from './conversation.js';
import { decodeAnswer, encodeQuery, isChatSummary, type QueryEnvelope, type QueryError, type QueryResults } from './envelope.js';
import { ChatKitError } from './errors.js';
import { randomId } from './ids.js';
import type { MessageRouter } from './message-router.js';
import { publishAsync, subscribeAsync, type MqttClientLike } from './mqtt-client.js';
import type { DropReason } from './stats.js';
import type { TopicScheme } from './topics.js';

/** A query the worker refused; `code` is the worker's stable reason. */
export class QueryFailedError extends ChatKitError {
  readonly queryCode: QueryError['code'];
  constructor(error: QueryError) {
    super('query-failed', `The chat worker refused the query (${error.code}): ${error.message}`);
    this.name = 'QueryFailedError';
    this.queryCode = error.code;
  }
}

type QueryOp = keyof QueryResults;
/** The fields of one op's query, without the ids the client fills in. */
export type QueryFields<K extends QueryOp> = Omit<Extract<QueryEnvelope, { op: K }>, 'queryId' | 'clientId' | 'op'>;

export interface QueryClientContext {
  topics: TopicScheme;
  router: MessageRouter;
  userId(): string | undefined;
  clientId(): string | undefined;
  client(): MqttClientLike | null;
  /** Starts the (lazy) connection: a question is a reason to have it up. */
  connect(): void;
  /** First delay before an unanswered query is asked again; doubles up to 16 times it. */
  retryMs: number;
  count(reason: DropReason | 'received'): void;
}

interface Pending {
  op: QueryOp;
  /** The query without its client id: that is stamped at each send, since the auth endpoint may bind a new one. */
  fields: object;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  delay: number;
}

export class QueryClient {
  private readonly pending = new Map<string, Pending>();
  private subscribedTopic: string | null = null;
  private subscribed: Promise<void> | null = null;

  constructor(private readonly context: QueryClientContext) {}

  /** Asks one question; resolves with the worker's answer, rejects with {@link QueryFailedError}. */
  ask<K extends QueryOp>(op: K, fields: QueryFields<K>, signal?: AbortSignal): Promise<QueryResults[K]> {
    const queryId = randomId();
    this.context.connect();
    return new Promise<QueryResults[K]>((resolve, reject) => {
      const entry: Pending = { op, fields: fields as object, resolve: resolve as (value: unknown) => void, reject, timer: undefined, delay: this.context.retryMs };
      this.pending.set(queryId, entry);
      signal?.addEventListener(
        'abort',
        () => {
          this.settle(queryId);
          reject(new DOMException('Aborted', 'AbortError'));
        },
        { once: true },
      );
      void this.send(queryId);
    });
  }

  /** Subscribes the answer topic again and re-asks every open query (after a reconnect). */
  resume(): void {
    this.subscribed = null;
    for (const queryId of this.pending.keys()) void this.send(queryId);
  }

  /** Rejects every open query (the transport closed). */
  close(): void {
    for (const [queryId, entry] of [...this.pending]) {
      this.settle(queryId);
      entry.reject(new ChatKitError('transport-closed', 'This CloudSignalChatTransport was closed.'));
    }
    if (this.subscribedTopic) this.context.router.delete(this.subscribedTopic);
  }

  private async send(queryId: string): Promise<void> {
    const entry = this.pending.get(queryId);
    if (!entry) return;
    clearTimeout(entry.timer);
    const client = this.context.client();
    const userId = this.context.userId();
    if (client?.connected && userId) {
      await this.ensureSubscribed(client, userId);
      if (!this.pending.has(queryId)) return;
      // The answer goes to the client id of this connection, which the auth endpoint may have bound since the ask.
      const payload = encodeQuery({ ...entry.fields, op: entry.op, queryId, clientId: this.context.clientId() ?? '' } as QueryEnvelope);
      await publishAsync(client, this.context.topics.userTopic(userId, 'query'), payload, { qos: 1 }).catch(() => undefined);
    }
    if (!this.pending.has(queryId)) return;
    // Asking again is safe (same id, idempotent answers); offline, `resume()` asks at once instead.
    entry.timer = setTimeout(() => void this.send(queryId), entry.delay);
    entry.delay = Math.min(entry.delay * 2, this.context.retryMs * 16);
  }

  private ensureSubscribed(client: MqttClientLike, userId: string): Promise<void> {
    const clientId = this.context.clientId()!;
    const topic = this.context.topics.userTopic(userId, 'answer', clientId);
    if (this.subscribedTopic !== topic) {
      if (this.subscribedTopic) this.context.router.delete(this.subscribedTopic);
      this.subscribedTopic = topic;
      this.context.router.set(topic, (payload) => this.onAnswer(payload));
      this.subscribed = null;
    }
    this.subscribed ??= subscribeAsync(client, topic, 1).then(
      () => undefined,
      () => {
        this.subscribed = null;
      },
    );
    return this.subscribed;
  }

  private onAnswer(payload: Uint8Array): void {
    this.context.count('received');
    const decoded = decodeAnswer(payload);
    if (!decoded.ok) return this.context.count(decoded.reason);
    const answer = decoded.value;
    const entry = this.pending.get(answer.queryId);
    // An answer to a query already answered (asked twice) or never asked here.
    if (!entry) return this.context.count('stale');
    if ('error' in answer) {
      this.settle(answer.queryId);
      entry.reject(new QueryFailedError(answer.error));
      return;
    }
    if (!isResultOf(entry.op, answer.result)) return this.context.count('invalid');
    this.settle(answer.queryId);
    entry.resolve(answer.result);
  }

  private settle(queryId: string): void {
    const entry = this.pending.get(queryId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(queryId);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function isTurnLookup(value: unknown): value is TurnLookup {
  if (!isObject(value)) return false;
  if (value.state === 'unknown') return true;
  if (value.state === 'live') return typeof value.lastSeq === 'number';
  return value.state === 'finished' && (value.finalState === 'done' || value.finalState === 'error' || value.finalState === 'aborted');
}

/** Shape check of an answer's result for the op that was asked (the asker knows which). */
function isResultOf(op: QueryOp, value: unknown): boolean {
  if (!isObject(value)) return false;
  switch (op) {
    case 'history':
      return (
        Array.isArray(value.messages) &&
        value.messages.every((m) => isObject(m) && isObject(m.message) && typeof m.position === 'number' && typeof m.version === 'number') &&
        typeof value.version === 'number' &&
        typeof value.hasOlder === 'boolean' &&
        (value.versions === undefined ||
          (Array.isArray(value.versions) && value.versions.every((v) => isObject(v) && typeof v.branch === 'string' && typeof v.replacedAt === 'number' && Array.isArray(v.messages) && v.messages.every(isObject))))
      );
    case 'list':
      return Array.isArray(value.chats) && value.chats.every(isChatSummary) && typeof value.hasMore === 'boolean';
    case 'rename':
      return isChatSummary(value.chat);
    case 'delete':
      return typeof value.deleted === 'boolean';
    case 'turn':
      return isTurnLookup(value);
  }
}
