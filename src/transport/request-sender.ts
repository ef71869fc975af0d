/**
 * Turns an outbox entry into the request the worker receives and sends it: a publish on the chat's
 * `request` topic, or a POST to the HTTP trigger. The size is checked before anything leaves the
 * page: an oversized request fails at once with {@link RequestTooLargeError}, because a broker
 * would drop the connection over it and re-sending would loop.
 */
import { encodeRequest } from './envelope.js';
import { createNetworkError, RequestRejectedError, RequestTooLargeError } from './errors.js';
import { publishWithdrawable, type MqttClientLike } from './mqtt-client.js';
import type { OutboxEntry } from './outbox.js';
import type { TopicScheme } from './topics.js';

type HeadersInput = Record<string, string> | Headers;
type Resolvable<T> = T | (() => T | Promise<T>);

export interface RequestSenderOptions {
  trigger: 'http' | 'mqtt';
  api: string;
  headers?: Resolvable<HeadersInput>;
  fetch?: typeof fetch;
  maxRequestBytes: number;
  topics: TopicScheme;
  clientId(): string | undefined;
  client(): MqttClientLike | null;
}

const textEncoder = /* @__PURE__ */ new TextEncoder();

/**
 * A broker closes the connection of a client whose packet exceeds its limit, and the client re-sends
 * its unacknowledged publish on every reconnect: a loop. A request this large whose publish saw
 * this many closes without an acknowledgement is taken as refused by the broker. Smaller requests
 * are under any broker's limit; their closes are the network's, and the request waits them out.
 */
const LARGE_REQUEST_BYTES = 64 * 1024;
const BROKER_CLOSES_BEFORE_REFUSED = 3;

export class RequestSender {
  constructor(private readonly options: RequestSenderOptions) {}

  /** Throws {@link RequestTooLargeError} when the encoded request exceeds `maxRequestBytes`. */
  checkSize(entry: OutboxEntry): void {
    const size = textEncoder.encode(this.encode(entry)).byteLength;
    if (size > this.options.maxRequestBytes) throw new RequestTooLargeError(size, this.options.maxRequestBytes);
  }

  /**
   * Sends the request once. Rejects with a network `TypeError` when the connection is not there
   * (the caller keeps it queued), {@link RequestRejectedError} when the HTTP trigger refuses it.
   */
  async send(entry: OutboxEntry, extraHeaders?: HeadersInit, signal?: AbortSignal): Promise<void> {
    const payload = this.encode(entry);
    if (this.options.trigger === 'mqtt') {
      const client = this.options.client();
      if (!client?.connected) throw createNetworkError('not connected');
      const topic = this.options.topics.topic({ userId: entry.userId, chatId: entry.chatId }, 'request');
      const size = textEncoder.encode(payload).byteLength;
      const publish = publishWithdrawable(client, topic, payload, { qos: 1 });
      let closes = 0;
      const onClose = () => {
        if (size >= LARGE_REQUEST_BYTES && ++closes === BROKER_CLOSES_BEFORE_REFUSED) publish.withdraw();
      };
      client.on('close', onClose);
      try {
        await publish.done;
      } catch (error) {
        if (closes >= BROKER_CLOSES_BEFORE_REFUSED) throw new RequestTooLargeError(size, this.options.maxRequestBytes, 'broker');
        throw createNetworkError((error as Error).message);
      } finally {
        client.off('close', onClose);
      }
      return;
    }
    const doFetch = this.options.fetch ?? globalThis.fetch;
    const headers = new Headers(await resolve(this.options.headers));
    new Headers(extraHeaders).forEach((value, key) => headers.set(key, value));
    headers.set('content-type', 'application/json');
    const response = await doFetch(this.options.api, { method: 'POST', headers, credentials: 'same-origin', signal, body: payload });
    if (response.status === 413) throw new RequestTooLargeError(textEncoder.encode(payload).byteLength, this.options.maxRequestBytes, 'server');
    if (response.status !== 202 && !response.ok) {
      const text = await response.text().catch(() => '');
      throw new RequestRejectedError(`The chat endpoint answered HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`, response.status);
    }
  }

  private encode(entry: OutboxEntry): string {
    const clientId = this.options.clientId();
    if (this.options.trigger === 'mqtt') {
      return encodeRequest({ requestId: entry.requestId, trigger: entry.trigger, messageId: entry.messageId, parentId: entry.parentId, messages: entry.messages, body: entry.body, clientId });
    }
    return JSON.stringify({ ...entry.body, id: entry.chatId, requestId: entry.requestId, clientId, trigger: entry.trigger, messageId: entry.messageId, parentId: entry.parentId, messages: entry.messages });
  }
}

async function resolve<T>(value: Resolvable<T> | undefined): Promise<T | undefined> {
  return typeof value === 'function' ? await (value as () => T | Promise<T>)() : value;
}
