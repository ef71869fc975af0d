/**
 * `CloudSignalChatTransport`: an AI SDK `ChatTransport` whose answers arrive over MQTT.
 *
 * The turn is triggered by an HTTP POST (202) or by a publish on the chat's `request` topic; the
 * worker streams UI message chunks on `stream` with sequence numbers. This class turns them back
 * into one ordered stream per turn, repairs gaps through `replay`, resumes after disconnects, and
 * forwards `stop()` to the worker as `abort`.
 */
import type { ChatTransport, UIMessage, UIMessageChunk } from 'ai';
import { ChatChannel } from './chat-channel.js';
import { INITIAL_CHAT_ACTIVITY, type ChatActivitySnapshot } from './chat-activity.js';
import { ConnectionManager, type ManagedConnectionOptions } from './connection.js';
import type { ConnectionSnapshot } from './connection-state.js';
import { encodeRequest, type CompleteEnvelope } from './envelope.js';
import { ChatKitError, createNetworkError, RequestRejectedError, StreamTimeoutError } from './errors.js';
import { randomId } from './ids.js';
import { MessageRouter } from './message-router.js';
import { publishAsync, type MqttClientLike } from './mqtt-client.js';
import { emptyStats, type DropReason, type TransportStats } from './stats.js';
import { Store, type ReadableStore } from './store.js';
import { assertSegment, DEFAULT_TOPIC_PREFIX, TopicScheme } from './topics.js';
import { TurnReader } from './turn-reader.js';

type HeadersInput = Record<string, string> | Headers;

/** How many delivered turn ids a transport remembers (see `rememberFinished`). */
const FINISHED_TURNS_KEPT = 1_000;
type Resolvable<T> = T | (() => T | Promise<T>);

/** Options of {@link CloudSignalChatTransport}. Defaults live in {@link TRANSPORT_DEFAULTS}. */
export interface CloudSignalChatTransportOptions {
  /** An already connected MQTT client (MQTT.js or anything with the same surface). The app owns its lifecycle. */
  client?: MqttClientLike;
  /** Broker WebSocket URL; the transport connects and reconnects itself. */
  wssUrl?: string;
  /** POST endpoint returning `{ username, password, userId?, clientId?, expiresAt? }`; called before every connect. */
  authEndpoint?: string;
  /** Static credentials for brokers without an auth endpoint (development). */
  username?: string;
  password?: string;
  /** Topic namespace; defaults to the `userId` of the auth response. */
  userId?: string;
  /** First topic level(s). Default `chat`. */
  topicPrefix?: string;
  /** HTTP trigger endpoint (expects 202). Default `/api/chat`. Ignored when `trigger` is `mqtt`. */
  api?: string;
  /** How a turn reaches the worker: `http` POST to `api`, or `mqtt` publish on the `request` topic. */
  trigger?: 'http' | 'mqtt';
  /** Extra headers for the HTTP trigger and the auth endpoint. */
  headers?: Resolvable<HeadersInput>;
  /** Extra body fields sent with every turn. */
  body?: Resolvable<Record<string, unknown>>;
  /** Ms of silence after which a live turn fails with `StreamTimeoutError`. Default 60 000. */
  streamTimeout?: number;
  /** Ms to wait for retained state when resuming. Default 1 000. */
  reconnectTimeout?: number;
  /** Ms to wait for the connection before a turn fails as a network error. Default 10 000. */
  connectTimeout?: number;
  /** Ms before an unanswered replay request is sent again. Default 1 000. */
  replayRetryMs?: number;
  /** Messages larger than this are dropped and counted. Default 256 KiB. */
  maxMessageBytes?: number;
  /** Reconnect backoff and MQTT options of the managed connection. */
  connection?: Pick<ManagedConnectionOptions, 'backoff' | 'protocolVersion' | 'refreshMargin' | 'clientId'>;
  /** `fetch` used for the trigger and the auth endpoint. */
  fetch?: typeof fetch;
}

/** Defaults of {@link CloudSignalChatTransportOptions}, in one place. */
export const TRANSPORT_DEFAULTS = {
  topicPrefix: DEFAULT_TOPIC_PREFIX,
  api: '/api/chat',
  trigger: 'http' as 'http' | 'mqtt',
  streamTimeout: 60_000,
  reconnectTimeout: 1_000,
  connectTimeout: 10_000,
  replayRetryMs: 1_000,
  maxMessageBytes: 256 * 1024,
};

/** A handle on one chat for hooks: its activity store and a way to keep it subscribed. */
export interface ChatHandle {
  store: ReadableStore<ChatActivitySnapshot>;
  /** Subscribes the chat's topics until the returned function is called. */
  retain(): () => void;
}

type SendOptions<UI extends UIMessage> = Parameters<ChatTransport<UI>['sendMessages']>[0];
type ReconnectOptions<UI extends UIMessage> = Parameters<ChatTransport<UI>['reconnectToStream']>[0];

/**
 * An AI SDK `ChatTransport` whose answers arrive over MQTT: a drop-in `transport` for `useChat`.
 * Chunks carry sequence numbers, gaps are repaired by replay, a dropped connection resumes
 * mid-answer, and `stop()` reaches the worker as `abort`. It also reports its connection
 * (`connection`), each chat's activity (`chat(id)`) and what it dropped (`stats`) as
 * framework-free stores, which the kit's hooks read.
 *
 * @example
 * ```tsx
 * 'use client';
 * import { useChat } from '@ai-sdk/react';
 * import { CloudSignalChatTransport } from '@cloudsignal/ai-chat-kit';
 *
 * const transport = new CloudSignalChatTransport({
 *   wssUrl: 'wss://broker.example.com/mqtt', // the broker's WebSocket listener
 *   authEndpoint: '/api/mqtt-token',          // returns short-lived credentials for this user
 *   api: '/api/chat',                         // HTTP trigger (202); or `trigger: 'mqtt'`
 * });
 *
 * export function Chat() {
 *   const { messages, sendMessage, stop } = useChat({ transport });
 *   // ...the same UI code as with the default HTTP transport
 * }
 * ```
 */
export class CloudSignalChatTransport<UI_MESSAGE extends UIMessage = UIMessage> implements ChatTransport<UI_MESSAGE> {
  /** Resuming replays the live turn from its first chunk; `useChat` resets the partial message on it. */
  readonly resumeStreamIsReplay = true;
  readonly connection: ReadableStore<ConnectionSnapshot>;
  readonly stats: ReadableStore<TransportStats>;

  private readonly options: typeof TRANSPORT_DEFAULTS & CloudSignalChatTransportOptions;
  private readonly topics: TopicScheme;
  private readonly router = new MessageRouter();
  private readonly manager: ConnectionManager;
  private readonly channels = new Map<string, ChatChannel>();
  private readonly statsStore = new Store<{ value: TransportStats }>({ value: emptyStats() });
  private readonly counters = emptyStats();
  /** Turns this instance delivered to the end: resuming them again would duplicate them. */
  private readonly finishedTurns = new Set<string>();
  /** Turns whose reader this instance lost to a network drop, by chat: resumed even if retained state was lost. */
  private readonly interruptedTurns = new Map<string, { requestId: string; shown: number }>();
  /** MQTT-triggered requests no reader has finished with yet, by request id: sent again while no worker shows the turn. */
  private readonly requestPayloads = new Map<string, { topic: string; payload: string }>();
  private closed = false;
  private statsFlush: ReturnType<typeof setTimeout> | undefined;

  constructor(options: CloudSignalChatTransportOptions) {
    this.options = { ...TRANSPORT_DEFAULTS, ...stripUndefined(options) };
    if (!options.client && !options.wssUrl) {
      throw new ChatKitError('invalid-options', 'CloudSignalChatTransport needs either `client` or `wssUrl`.');
    }
    if (options.userId !== undefined) assertSegment('userId', options.userId);
    this.topics = new TopicScheme(this.options.topicPrefix);
    const headers = typeof options.headers === 'object' && !(options.headers instanceof Headers) ? options.headers : undefined;
    this.manager = new ConnectionManager(
      options.client
        ? { kind: 'external', client: options.client }
        : {
            kind: 'managed',
            wssUrl: options.wssUrl!,
            authEndpoint: options.authEndpoint,
            username: options.username,
            password: options.password,
            headers,
            fetch: options.fetch,
            ...options.connection,
          },
      options.userId,
    );
    this.connection = this.manager.state;
    this.stats = {
      getSnapshot: () => this.statsStore.getSnapshot().value,
      subscribe: (listener) => this.statsStore.subscribe(listener),
    };
    this.manager.addListener({
      onConnected: (client, firstTime) => {
        this.router.attach(client);
        if (!firstTime) for (const channel of this.channels.values()) channel.resubscribe();
        else for (const channel of this.channels.values()) channel.resubscribe();
      },
      onLost: (reason) => {
        // useChat resumes only after a TypeError that mentions "network".
        for (const channel of this.channels.values()) {
          for (const reader of [...channel.readers.values()]) {
            this.interruptedTurns.set(channel.address.chatId, { requestId: reader.requestId, shown: reader.nextSeq });
            reader.fail(createNetworkError(reason));
          }
        }
      },
    });
    if (this.manager.current) this.router.attach(this.manager.current);
  }

  /** A chat's live activity (worker status, recovery) for hooks. */
  chat(chatId: string): ChatHandle {
    assertSegment('chatId', chatId);
    if (this.manager.userId) {
      const channel = this.channelFor(chatId);
      return { store: channel.activity, retain: () => this.retainChannel(channel) };
    }
    return this.deferredChat(chatId);
  }

  /**
   * Before the auth endpoint has told us the user id there are no topics yet: hand out a store
   * that mirrors the chat's channel once the connection (and so the user id) exists.
   */
  private deferredChat(chatId: string): ChatHandle {
    const mirror = new Store<{ value: ChatActivitySnapshot }>({ value: INITIAL_CHAT_ACTIVITY });
    let channel: ChatChannel | null = null;
    let unmirror: (() => void) | null = null;
    const bind = (): ChatChannel | null => {
      if (channel || !this.manager.userId) return channel;
      channel = this.channelFor(chatId);
      const bound = channel;
      unmirror = bound.activity.subscribe(() => mirror.update({ value: bound.activity.getSnapshot() }));
      mirror.update({ value: bound.activity.getSnapshot() });
      return channel;
    };
    return {
      store: { getSnapshot: () => mirror.getSnapshot().value, subscribe: (listener) => mirror.subscribe(listener) },
      retain: () => {
        let release: (() => void) | null = null;
        let cancelled = false;
        const acquire = () => {
          const bound = bind();
          if (bound && !cancelled && !release) release = this.retainChannel(bound);
          return !!release;
        };
        const unlisten = acquire() ? () => undefined : this.connection.subscribe(() => void (acquire() && unlisten()));
        return () => {
          cancelled = true;
          unlisten();
          release?.();
          unmirror?.();
        };
      },
    };
  }

  /** Reconnects now instead of waiting for the next scheduled attempt. */
  retry(): void {
    this.manager.retry();
  }

  /** Destroys the socket as a network failure would (demo "drop connection" button, fault tests). */
  dropConnection(): void {
    this.manager.dropConnection();
  }

  async sendMessages(options: SendOptions<UI_MESSAGE>): Promise<ReadableStream<UIMessageChunk>> {
    this.assertOpen();
    const { chatId, abortSignal } = options;
    const client = await this.manager.waitUntilConnected(this.options.connectTimeout, abortSignal);
    const channel = this.channelFor(chatId);
    const release = this.retainChannel(channel);
    try {
      await channel.ready();
      const requestId = randomId();
      const reader = this.openReader(channel, requestId, 0, release);
      channel.markStarted(requestId);
      abortSignal?.addEventListener(
        'abort',
        () => {
          // Stop reaches the model: the worker aborts its call and publishes `aborted`.
          void channel.publishControl({ op: 'abort', requestId });
          reader.close();
        },
        { once: true },
      );
      try {
        await this.trigger(client, channel, requestId, options);
      } catch (error) {
        reader.close();
        throw error;
      }
      return reader.stream;
    } catch (error) {
      release();
      throw error;
    }
  }

  async reconnectToStream(options: ReconnectOptions<UI_MESSAGE>): Promise<ReadableStream<UIMessageChunk> | null> {
    this.assertOpen();
    const { chatId, abortSignal } = options;
    await this.manager.waitUntilConnected(this.options.connectTimeout, abortSignal);
    const channel = this.channelFor(chatId);
    const release = this.retainChannel(channel);
    let handedOver = false;
    let interruptedId: string | undefined;
    try {
      await channel.ready();
      const interruption = this.interruptedTurns.get(chatId);
      const interrupted = interruption?.requestId;
      interruptedId = interrupted;
      this.interruptedTurns.delete(chatId);
      // After a drop we follow the interrupted turn only: the retained status may still be the previous turn's.
      const status = await channel.waitForStatus(this.options.reconnectTimeout, (s) => !interrupted || s.requestId === interrupted);
      if (!status && interrupted) {
        // Retained state can vanish (a broker restart without persistence) while the worker still
        // holds the turn: ask it directly. A dead worker ends this as a stream timeout.
        channel.setRecovery({ resuming: true });
        const reader = this.openReader(channel, interrupted, 0, release, interruption?.shown);
        handedOver = true;
        reader.requestCatchUp();
        return reader.stream;
      }
      if (!status || this.finishedTurns.has(status.requestId)) return null;
      if (status.state === 'done' || status.state === 'error' || status.state === 'aborted') {
        const complete = await channel.waitForComplete(status.requestId, this.options.reconnectTimeout);
        if (!complete) return null;
        this.rememberFinished(complete.requestId);
        channel.setRecovery({ resuming: false, recoveredChunks: complete.chunks.length, lastRecoveredAt: Date.now() });
        return streamOfComplete(complete);
      }
      channel.setRecovery({ resuming: true });
      // Replay the live turn from its start: the worker holds every chunk until `complete`.
      const reader = this.openReader(channel, status.requestId, 0, release, status.requestId === interrupted ? interruption?.shown : 0);
      handedOver = true;
      reader.requestCatchUp();
      return reader.stream;
    } finally {
      if (!handedOver) release();
      const resumed = interruptedId !== undefined && channel.readers.has(interruptedId);
      if (interruptedId !== undefined && !resumed) this.requestPayloads.delete(interruptedId);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const channel of this.channels.values()) {
      for (const reader of [...channel.readers.values()]) reader.close();
    }
    this.router.detach();
    this.manager.close();
    clearTimeout(this.statsFlush);
  }

  private assertOpen(): void {
    if (this.closed) throw new ChatKitError('transport-closed', 'This CloudSignalChatTransport was closed.');
  }

  private channelFor(chatId: string): ChatChannel {
    assertSegment('chatId', chatId);
    let channel = this.channels.get(chatId);
    if (!channel) {
      const userId = this.manager.userId;
      if (!userId) throw new ChatKitError('invalid-options', 'No userId: pass `userId` or return one from the auth endpoint.');
      channel = new ChatChannel(
        { userId, chatId },
        {
          topics: this.topics,
          router: this.router,
          clientId: this.manager.clientId!,
          client: () => this.manager.current,
          maxMessageBytes: this.options.maxMessageBytes,
          count: (reason) => this.count(reason),
        },
        () => undefined,
      );
      this.channels.set(chatId, channel);
    }
    return channel;
  }

  private retainChannel(channel: ChatChannel): () => void {
    return channel.retain();
  }

  /** `alreadyShown`: chunks the consumer saw before a drop; replayed again, they are not counted as recovered. */
  private openReader(channel: ChatChannel, requestId: string, fromSeq: number, release: () => void, alreadyShown = 0): TurnReader {
    channel.readers.get(requestId)?.close();
    const reader = new TurnReader({
      requestId,
      fromSeq,
      alreadyShown,
      streamTimeout: this.options.streamTimeout,
      replayRetryMs: this.options.replayRetryMs,
      requestReplay: (from) => void channel.publishControl({ op: 'replay', requestId, fromSeq: from, clientId: this.manager.clientId! }),
      resendRequest: () => this.resendRequest(requestId),
      onSettled: (settled, outcome, error) => {
        if (channel.readers.get(requestId) === settled) channel.readers.delete(requestId);
        // A turn lost to a network drop is resumed later and may still need its request.
        if (!(error instanceof TypeError)) this.requestPayloads.delete(requestId);
        if (outcome === 'complete') this.rememberFinished(requestId);
        // A dead worker must not leave the status saying "generating" forever.
        if (error instanceof StreamTimeoutError) channel.markTimedOut(requestId, error.message);
        if (settled.recovered > 0 || channel.activity.getSnapshot().recovery.resuming) {
          this.counters.chunksRecovered += settled.recovered;
          channel.setRecovery({ resuming: false, recoveredChunks: settled.recovered, lastRecoveredAt: Date.now() });
          this.flushStats();
        }
        release();
      },
    });
    channel.readers.set(requestId, reader);
    return reader;
  }

  private async trigger(client: MqttClientLike, channel: ChatChannel, requestId: string, options: SendOptions<UI_MESSAGE>): Promise<void> {
    const extraBody = { ...(await resolve(this.options.body)), ...(options.body as Record<string, unknown> | undefined) };
    const body = Object.keys(extraBody).length > 0 ? extraBody : undefined;
    if (this.options.trigger === 'mqtt') {
      const payload = encodeRequest({
        requestId,
        trigger: options.trigger,
        messageId: options.messageId,
        messages: options.messages,
        body,
        clientId: this.manager.clientId,
      });
      const topic = this.topics.topic(channel.address, 'request');
      this.requestPayloads.set(requestId, { topic, payload });
      await publishAsync(client, topic, payload, { qos: 1 }).catch((error: Error) => {
        throw createNetworkError(error.message);
      });
      return;
    }
    const doFetch = this.options.fetch ?? globalThis.fetch;
    const headers = new Headers(await resolve(this.options.headers));
    new Headers(options.headers).forEach((value, key) => headers.set(key, value));
    headers.set('content-type', 'application/json');
    const response = await doFetch(this.options.api, {
      method: 'POST',
      headers,
      credentials: 'same-origin',
      signal: options.abortSignal,
      body: JSON.stringify({
        ...body,
        id: channel.address.chatId,
        requestId,
        clientId: this.manager.clientId,
        trigger: options.trigger,
        messageId: options.messageId,
        messages: options.messages,
      }),
    });
    if (response.status !== 202 && !response.ok) {
      const text = await response.text().catch(() => '');
      throw new RequestRejectedError(`The chat endpoint answered HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`, response.status);
    }
  }

  /**
   * Remembers a delivered turn, keeping the most recent {@link FINISHED_TURNS_KEPT}: only a chat's
   * latest turns can come back through `reconnectToStream`, and an unbounded set grew by one id
   * per turn for the life of the page (chaos soak).
   */
  private rememberFinished(requestId: string): void {
    this.finishedTurns.delete(requestId);
    this.finishedTurns.add(requestId);
    if (this.finishedTurns.size > FINISHED_TURNS_KEPT) this.finishedTurns.delete(this.finishedTurns.values().next().value as string);
  }

  /** Publishes a turn's request again (see TurnReaderOptions.resendRequest); only while connected. */
  private resendRequest(requestId: string): void {
    const entry = this.requestPayloads.get(requestId);
    const client = this.manager.current;
    if (!entry || !client?.connected) return;
    this.counters.requestsResent++;
    void publishAsync(client, entry.topic, entry.payload, { qos: 1 }).catch(() => undefined);
  }

  private count(reason: DropReason | 'received' | 'replay-requested'): void {
    if (reason === 'received') {
      this.counters.received++;
      return;
    }
    if (reason === 'replay-requested') this.counters.replaysRequested++;
    else this.counters.dropped[reason]++;
    this.flushStats();
  }

  /** Publishes counter snapshots at most every 100 ms: a flood of bad messages must not flood React. */
  private flushStats(): void {
    if (this.statsFlush) return;
    this.statsFlush = setTimeout(() => {
      this.statsFlush = undefined;
      this.statsStore.update({ value: structuredClone(this.counters) });
    }, 100);
  }

  /** Current counters without waiting for the throttled store (tests, diagnostics). */
  statsNow(): TransportStats {
    return structuredClone(this.counters);
  }
}

function streamOfComplete(complete: CompleteEnvelope): ReadableStream<UIMessageChunk> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of complete.chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

async function resolve<T>(value: Resolvable<T> | undefined): Promise<T | undefined> {
  return typeof value === 'function' ? await (value as () => T | Promise<T>)() : value;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
