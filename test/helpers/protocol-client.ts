/**
 * A bare protocol client for worker tests: sends requests, controls and queries with the one
 * envelope codec and records what the worker publishes, over any MQTT client (mock or real). It
 * is deliberately not the browser transport: the worker's contract is tested on its own.
 */
import type { UIMessage, UIMessageChunk } from 'ai';
import {
  decodeAnswer,
  decodeChatEvent,
  decodeComplete,
  decodeStatus,
  decodeStream,
  encodeControl,
  encodeQuery,
  encodeRequest,
  FINAL_TURN_STATES,
  TopicScheme,
  type AnswerEnvelope,
  type ChatEventEnvelope,
  type CompleteEnvelope,
  type QueryEnvelope,
  type RequestEnvelope,
  type StatusEnvelope,
} from '../../src/transport/index.js';
import { publishAsync, subscribeAsync, type MqttClientLike } from '../../src/transport/mqtt-client.js';
import { randomId } from '../../src/transport/ids.js';

export const topics = new TopicScheme();

/** A query as a test writes it: the envelope without the ids this client fills in. */
export type QueryInput = QueryEnvelope extends infer Q ? (Q extends QueryEnvelope ? Omit<Q, 'queryId' | 'clientId'> : never) : never;

export const userText = (text: string, id = `u_${randomId(8)}`): UIMessage => ({ id, role: 'user', parts: [{ type: 'text', text }] });

/** Everything one chat's topics carried, as this client saw it. */
export interface ChatRecord {
  statuses: Array<StatusEnvelope & { retained: boolean }>;
  completes: CompleteEnvelope[];
  /** Chunks by request id and sequence (live and replayed). */
  chunks: Map<string, Map<number, UIMessageChunk>>;
  /** Stream envelopes received on this client's replay topic. */
  replays: number;
}

export class ProtocolClient {
  readonly records = new Map<string, ChatRecord>();
  readonly answers = new Map<string, AnswerEnvelope>();
  readonly chatEvents: ChatEventEnvelope[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly client: MqttClientLike,
    readonly userId: string,
    readonly clientId: string,
  ) {
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, (packet as { retain?: boolean } | undefined)?.retain ?? false));
  }

  /** Subscribes to a chat's topics (and this client's user-level topics). */
  async open(chatId: string): Promise<ChatRecord> {
    const record = this.recordOf(chatId);
    await subscribeAsync(this.client, [...topics.clientSubscriptions({ userId: this.userId, chatId }, this.clientId), ...topics.userSubscriptions(this.userId, this.clientId)], 1);
    return record;
  }

  async openUser(): Promise<void> {
    await subscribeAsync(this.client, topics.userSubscriptions(this.userId, this.clientId), 1);
  }

  /** Publishes a request carrying only `message` (or none, for regenerate). */
  async send(chatId: string, request: Partial<RequestEnvelope> & { messages: UIMessage[] }): Promise<string> {
    const requestId = request.requestId ?? randomId();
    await publishAsync(this.client, topics.topic({ userId: this.userId, chatId }, 'request'), encodeRequest({ trigger: 'submit-message', clientId: this.clientId, ...request, requestId }), { qos: 1 });
    return requestId;
  }

  async abort(chatId: string, requestId: string): Promise<void> {
    await publishAsync(this.client, topics.topic({ userId: this.userId, chatId }, 'control'), encodeControl({ op: 'abort', requestId }), { qos: 1 });
  }

  async replay(chatId: string, requestId: string, fromSeq: number, toSeq?: number): Promise<void> {
    await publishAsync(this.client, topics.topic({ userId: this.userId, chatId }, 'control'), encodeControl({ op: 'replay', requestId, fromSeq, clientId: this.clientId, ...(toSeq !== undefined ? { toSeq } : {}) }), { qos: 0 });
  }

  /** Sends a query and waits for its answer. */
  async ask(query: QueryInput, queryId = randomId()): Promise<AnswerEnvelope> {
    this.answers.delete(queryId);
    await publishAsync(this.client, topics.userTopic(this.userId, 'query'), encodeQuery({ ...query, queryId, clientId: this.clientId } as QueryEnvelope), { qos: 1 });
    return this.until(() => this.answers.get(queryId) ?? null, `an answer to ${query.op}`);
  }

  /** The result of a query, failing on an error answer. */
  async result<T>(query: QueryInput): Promise<T> {
    const answer = await this.ask(query);
    if ('error' in answer) throw new Error(`query ${query.op} answered ${answer.error.code}: ${answer.error.message}`);
    return answer.result as T;
  }

  /** Waits for the final status of `requestId` on `chatId`. */
  finalStatus(chatId: string, requestId: string): Promise<StatusEnvelope & { retained: boolean }> {
    return this.until(() => this.recordOf(chatId).statuses.find((status) => status.requestId === requestId && FINAL_TURN_STATES.has(status.state)) ?? null, `the final status of ${requestId}`);
  }

  /** Waits for any status of `requestId` in `state`. */
  status(chatId: string, requestId: string, state: StatusEnvelope['state']): Promise<StatusEnvelope & { retained: boolean }> {
    return this.until(() => this.recordOf(chatId).statuses.find((status) => status.requestId === requestId && status.state === state) ?? null, `status ${state} of ${requestId}`);
  }

  /** Sends `text` as a new user message and waits for the turn's final status. */
  async turn(chatId: string, text: string): Promise<{ requestId: string; status: StatusEnvelope; text: string }> {
    const requestId = await this.send(chatId, { messages: [userText(text)] });
    const status = await this.finalStatus(chatId, requestId);
    return { requestId, status, text: this.textOf(chatId, requestId) };
  }

  /** The text of the chunks received so far for `requestId`, in sequence order. */
  textOf(chatId: string, requestId: string): string {
    return this.chunksOf(chatId, requestId)
      .map((chunk) => (chunk.type === 'text-delta' ? chunk.delta : ''))
      .join('');
  }

  chunksOf(chatId: string, requestId: string): UIMessageChunk[] {
    const bySeq = this.recordOf(chatId).chunks.get(requestId) ?? new Map();
    return [...bySeq.entries()].sort(([a], [b]) => a - b).map(([, chunk]) => chunk);
  }

  /** Resolves with the first non-null `probe()`, re-checked on every message (no timer decides). */
  until<T>(probe: () => T | null | undefined, what: string): Promise<T> {
    const now = probe();
    if (now !== null && now !== undefined) return Promise.resolve(now);
    return new Promise((resolve) => {
      const check = () => {
        const value = probe();
        if (value === null || value === undefined) return;
        this.waiters.delete(check);
        resolve(value);
      };
      Object.defineProperty(check, 'name', { value: what });
      this.waiters.add(check);
    });
  }

  recordOf(chatId: string): ChatRecord {
    let record = this.records.get(chatId);
    if (!record) this.records.set(chatId, (record = { statuses: [], completes: [], chunks: new Map(), replays: 0 }));
    return record;
  }

  private onMessage(topic: string, payload: Uint8Array, retained: boolean): void {
    const user = topics.parseUser(topic);
    if (user) {
      if (user.channel === 'answer') {
        const decoded = decodeAnswer(payload);
        if (decoded.ok) this.answers.set(decoded.value.queryId, decoded.value);
      } else if (user.channel === 'chats') {
        const decoded = decodeChatEvent(payload);
        if (decoded.ok) this.chatEvents.push(decoded.value);
      }
    } else {
      const parsed = topics.parse(topic);
      if (!parsed || parsed.userId !== this.userId) return;
      const record = this.recordOf(parsed.chatId);
      if (parsed.channel === 'status') {
        const decoded = decodeStatus(payload);
        if (decoded.ok) record.statuses.push({ ...decoded.value, retained });
      } else if (parsed.channel === 'complete') {
        const decoded = payload.byteLength > 0 ? decodeComplete(payload) : null;
        if (decoded?.ok) record.completes.push(decoded.value);
      } else if (parsed.channel === 'stream' || parsed.channel === 'replay') {
        const decoded = decodeStream(payload);
        if (decoded.ok) {
          if (parsed.channel === 'replay') record.replays++;
          let bySeq = record.chunks.get(decoded.value.requestId);
          if (!bySeq) record.chunks.set(decoded.value.requestId, (bySeq = new Map()));
          decoded.value.chunks.forEach((chunk, index) => bySeq.set(decoded.value.seq + index, chunk));
        }
      }
    }
    for (const waiter of [...this.waiters]) waiter();
  }
}
