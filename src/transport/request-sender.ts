/**
 * Turns an outbox entry into the request the worker receives and sends it: a publish on the chat's
 * `request` topic, or a POST to the HTTP trigger. The size is checked before anything leaves the
 * page: an oversized request fails at once with {@link RequestTooLargeError}, because a broker
 * would drop the connection over it and re-sending would loop.
 */
import { encodeRequest } from './envelope.js';
import { createNetworkError, RequestRejectedError, RequestTooLargeError } from './errors.js';
import { publishAsync, type MqttClientLike } from './mqtt-client.js';
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
      await publishAsync(client, topic, payload, { qos: 1 }).catch((error: Error) => {
        throw createNetworkError(error.message);
      });
      return;
    }
    const doFetch = this.options.fetch ?? globalThis.fetch;
    const headers = new Headers(await resolve(this.options.headers));
    new Headers(extraHeaders).forEach((value, key) => headers.set(key, value));
    headers.set('content-type', 'application/json');
    const response = await doFetch(this.options.api, { method: 'POST', headers, credentials: 'same-origin', signal, body: payload });
    if (response.status === 413) throw new RequestTooLargeError(textEncoder.encode(payload).byteLength, this.options.maxRequestBytes);
    if (response.status !== 202 && !response.ok) {
      const text = await response.text().catch(() => '');
      throw new RequestRejectedError(`The chat endpoint answered HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`, response.status);
    }
  }

  private encode(entry: OutboxEntry): string {
    const clientId = this.options.clientId();
    if (this.options.trigger === 'mqtt') {
      return encodeRequest({ requestId: entry.requestId, trigger: entry.trigger, messageId: entry.messageId, messages: entry.messages, body: entry.body, clientId });
    }
    return JSON.stringify({ ...entry.body, id: entry.chatId, requestId: entry.requestId, clientId, trigger: entry.trigger, messageId: entry.messageId, messages: entry.messages });
  }
}

async function resolve<T>(value: Resolvable<T> | undefined): Promise<T | undefined> {
  return typeof value === 'function' ? await (value as () => T | Promise<T>)() : value;
}
