/**
 * `CloudSignalChatTransport`: an AI SDK `ChatTransport` whose answers arrive over MQTT.
 *
 * The turn is triggered by an HTTP POST (202) or by a publish on the chat's `request` topic; the
 * worker streams UI message chunks on `stream` with sequence numbers. Every turn this page knows
 * lives in one record of the {@link TurnRegistry}; its reader turns the envelopes back into one
 * ordered stream, repairs gaps through `replay`, and survives connection drops inside the stream
 * it returned. Prompts sent offline wait in a persisted outbox. History, the chat list and turn
 * lookups are queries on the user's `~/query` topic (docs/protocol-conversations.md).
 */
import type { ChatTransport, UIMessage, UIMessageChunk } from 'ai';
import { ChatListObserver } from './chat-list.js';
import { ChatSubscription } from './chat-subscription.js';
import { INITIAL_CHAT_ACTIVITY, type ChatActivitySnapshot } from './chat-activity.js';
import { ConnectionManager, type ConnectionTuning } from './connection.js';
import type { ConnectionSnapshot } from './connection-state.js';
import type { TurnLookup } from './conversation.js';
import { ConversationSync } from './conversation-sync.js';
import { decodeChatEvent, FINAL_TURN_STATES, type ChatEventEnvelope, type CompleteEnvelope, type TurnState } from './envelope.js';
import { ChatKitError, TurnLostError } from './errors.js';
import { randomId } from './ids.js';
import { createMemoryStorage, defaultStorage, type KeyValueStorage } from './key-value-storage.js';
import { MessageRouter } from './message-router.js';
import { subscribeAsync, type MqttClientLike } from './mqtt-client.js';
import { Outbox, type OutboxEntry } from './outbox.js';
import { RequestSender } from './request-sender.js';
import { QueryClient } from './query-client.js';
import { chunksOfStoredAnswer } from './stored-answer-chunks.js';
import { decideResume } from './resume-decision.js';
import { emptyStats, type DropReason, type TransportStats } from './stats.js';
import { Store, type ReadableStore } from './store.js';
import { assertSegment, DEFAULT_TOPIC_PREFIX, TopicScheme } from './topics.js';
import { isOpenPhase } from './turn-lifecycle.js';
import type { TurnRecord } from './turn-registry.js';
import { sameRecovery, TurnTracker } from './turn-tracker.js';

type HeadersInput = Record<string, string> | Headers;
type Resolvable<T> = T | (() => T | Promise<T>);

/** Options of {@link CloudSignalChatTransport}. Defaults live in {@link TRANSPORT_DEFAULTS}. */
export interface CloudSignalChatTransportOptions {
  /** An already connected MQTT client (MQTT.js or anything with the same surface). The app owns its lifecycle. */
  client?: MqttClientLike;
  /** Broker WebSocket URL; the transport connects and reconnects itself. */
  wssUrl?: string;
  /** Several broker WebSocket URLs of one cluster, tried in order (after `wssUrl`) when a node fails. */
  urls?: string[];
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
  /**
   * Ms without a chunk or status of a live turn after which the transport asks the worker about it
   * (a `turn` query). If a further `streamTimeout` passes with no worker answering at all, the
   * stream fails with `StreamTimeoutError`. Default 60 000.
   */
  streamTimeout?: number;
  /**
   * Ms a stream waits, inside the stream, for a dropped connection to come back before it fails
   * as a resumable network error (`useChat`'s `resumeStream()` then picks the turn up again).
   * Default 30 000.
   */
  reconnectGrace?: number;
  /** Ms to wait for the first connection when the user id is still unknown (auth endpoint). Default 10 000. */
  connectTimeout?: number;
  /**
   * Ms before an unanswered replay request, or a turn's request no worker has shown, is sent
   * again (then at doubling intervals); also how long a turn's request waits for the broker's
   * acknowledgement on a live connection before the turn counts as sent anyway. Default 1 000.
   */
  replayRetryMs?: number;
  /** First ms before an unanswered query is asked again (doubling). Default 2 000. */
  queryRetryMs?: number;
  /** Incoming messages larger than this are dropped and counted. Default 256 KiB. */
  maxMessageBytes?: number;
  /**
   * Requests larger than this (encoded) fail at once with `RequestTooLargeError`, before anything
   * is published or posted. Default 256 KiB, the embedded broker's and the HTTP trigger's default.
   */
  maxRequestBytes?: number;
  /** Messages per history page (the first screen and each `loadOlder()`). Default 50. */
  historyPageSize?: number;
  /** Messages of a chat kept in the history cache. Default 200. */
  historyCacheLimit?: number;
  /**
   * Where the offline outbox and the history cache survive a reload. Default `localStorage` when
   * the page has one, else memory. `false`: memory only.
   */
  storage?: KeyValueStorage | false;
  /** Reconnect backoff and MQTT options of the managed connection. */
  connection?: ConnectionTuning;
  /** `fetch` used for the trigger and the auth endpoint. */
  fetch?: typeof fetch;
}

/** Defaults of {@link CloudSignalChatTransportOptions}, in one place. */
export const TRANSPORT_DEFAULTS = {
  topicPrefix: DEFAULT_TOPIC_PREFIX,
  api: '/api/chat',
  trigger: 'http' as 'http' | 'mqtt',
  streamTimeout: 60_000,
  reconnectGrace: 30_000,
  connectTimeout: 10_000,
  replayRetryMs: 1_000,
  queryRetryMs: 2_000,
  maxMessageBytes: 256 * 1024,
  maxRequestBytes: 256 * 1024,
  historyPageSize: 50,
  historyCacheLimit: 200,
};

/** A handle on one chat for hooks: its activity store and a way to keep it subscribed. */
export interface ChatHandle {
  store: ReadableStore<ChatActivitySnapshot>;
  /** Subscribes the chat's topics until the returned function is called. */
  acquire(): () => void;
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
  private readonly subscriptions = new Map<string, ChatSubscription>();
  /** Encodes, checks and sends requests (MQTT publish or HTTP POST). */
  private readonly sender: RequestSender;
  /** Every turn this page knows: its record, reader and recovery facts. */
  private readonly turns: TurnTracker;
  private readonly queries: QueryClient;
  private readonly storage: KeyValueStorage;
  private readonly outbox: Outbox;
  private readonly syncs = new Map<string, ConversationSync<UI_MESSAGE>>();
  private chatList: ChatListObserver | null = null;
  /** Listeners of each chat's retained state (resumes waiting for a status or complete). */
  private readonly retainedWaiters = new Map<string, Set<() => void>>();
  /** User-level feeds (`~/chats`) to subscribe again after every reconnect. */
  private readonly userFeeds = new Map<string, () => void>();
  private readonly statsStore = new Store<{ value: TransportStats }>({ value: emptyStats() });
  private readonly counters = emptyStats();
  private closed = false;
  private statsFlush: ReturnType<typeof setTimeout> | undefined;

  constructor(options: CloudSignalChatTransportOptions) {
    this.options = { ...TRANSPORT_DEFAULTS, ...stripUndefined(options) };
    if (!options.client && !options.wssUrl && !options.urls?.length) {
      throw new ChatKitError('invalid-options', 'CloudSignalChatTransport needs either `client`, `wssUrl` or `urls`.');
    }
    if (options.userId !== undefined) assertSegment('userId', options.userId);
    this.topics = new TopicScheme(this.options.topicPrefix);
    this.storage = options.storage === false ? createMemoryStorage() : (options.storage ?? defaultStorage());
    this.outbox = new Outbox(this.storage, `csk:${this.options.topicPrefix}:outbox`);
    const headers = typeof options.headers === 'object' && !(options.headers instanceof Headers) ? options.headers : undefined;
    this.manager = new ConnectionManager(
      options.client
        ? { kind: 'external', client: options.client }
        : {
            kind: 'managed',
            wssUrl: options.wssUrl,
            urls: options.urls,
            authEndpoint: options.authEndpoint,
            username: options.username,
            password: options.password,
            headers,
            fetch: options.fetch,
            ...options.connection,
          },
      options.userId,
    );
    this.queries = new QueryClient({
      topics: this.topics,
      router: this.router,
      userId: () => this.manager.userId,
      clientId: () => this.manager.clientId,
      client: () => this.manager.current,
      connect: () => this.manager.start(),
      retryMs: this.options.queryRetryMs,
      count: (reason) => this.count(reason),
    });
    this.sender = new RequestSender({
      trigger: this.options.trigger,
      api: this.options.api,
      headers: this.options.headers,
      fetch: this.options.fetch,
      maxRequestBytes: this.options.maxRequestBytes,
      topics: this.topics,
      clientId: () => this.manager.clientId,
      client: () => this.manager.current,
    });
    this.turns = new TurnTracker({
      streamTimeout: this.options.streamTimeout,
      replayRetryMs: this.options.replayRetryMs,
      reconnectGrace: this.options.reconnectGrace,
      subscription: (chatId) => this.subscriptionFor(chatId),
      clientId: () => this.manager.clientId!,
      connected: () => this.manager.connected,
      lookup: (chatId, requestId, signal) => this.queries.ask('turn', { chatId, requestId }, signal),
      resend: (record) => this.resend(record),
      removeFromOutbox: (requestId) => this.outbox.remove(requestId),
      syncConversation: (chatId) => void this.conversation(chatId).sync(),
      refetchComplete: (chatId, requestId) => this.refetchComplete(chatId, requestId),
      countRecovered: (chunks) => {
        this.counters.chunksRecovered += chunks;
        this.flushStats();
      },
      onChange: (chatId) => this.refreshActivity(chatId),
    });
    this.connection = this.manager.state;
    this.stats = {
      getSnapshot: () => this.statsStore.getSnapshot().value,
      subscribe: (listener) => this.statsStore.subscribe(listener),
    };
    this.manager.addListener({
      onConnected: (client) => this.onConnected(client),
      onLost: (reason) => this.turns.onLost(reason),
    });
    if (this.manager.current) this.router.attach(this.manager.current);
  }

  /** A chat's live activity (worker status, delivery, recovery, pending prompts) for hooks. */
  chat(chatId: string): ChatHandle {
    assertSegment('chatId', chatId);
    if (this.manager.userId) {
      const subscription = this.subscriptionFor(chatId);
      return {
        store: subscription.activity,
        acquire: () => {
          this.manager.start(); // watching a chat is a reason to have the connection up
          return subscription.acquire();
        },
      };
    }
    return this.deferredChat(chatId);
  }

  /** A chat's stored conversation on this device: hydrate with `sync()`, page back with `loadOlder()`. */
  conversation(chatId: string): ConversationSync<UI_MESSAGE> {
    assertSegment('chatId', chatId);
    this.manager.start();
    let sync = this.syncs.get(chatId);
    if (!sync) {
      sync = new ConversationSync<UI_MESSAGE>(chatId, {
        history: (fields) => this.queries.ask('history', fields),
        storage: this.storage,
        cacheKey: async () => `csk:${this.options.topicPrefix}:${await this.whenUserKnown()}:${chatId}:history`,
        pageSize: this.options.historyPageSize,
        cacheLimit: this.options.historyCacheLimit,
      });
      this.syncs.set(chatId, sync);
    }
    return sync;
  }

  /** The user's chats, live (`acquire()` while shown), with `rename` and `remove`. */
  get chats(): ChatListObserver {
    this.chatList ??= new ChatListObserver({
      list: (fields) => this.queries.ask('list', fields),
      rename: (chatId, title) => this.queries.ask('rename', { chatId, title }),
      remove: (chatId) => this.queries.ask('delete', { chatId }),
      watch: (onEvent, onReconnect) => this.watchChats(onEvent, onReconnect),
      pageSize: this.options.historyPageSize,
    });
    return this.chatList;
  }

  /** Reconnects now instead of waiting for the next scheduled attempt. */
  retry(): void {
    this.manager.retry();
  }

  /** Destroys the socket as a network failure would (demo "drop connection" button, fault tests). */
  dropConnection(): void {
    this.manager.dropConnection();
  }

  /**
   * Stops the chat's live turn wherever it was started: publishes `abort` for the request id the
   * retained status names. Every device then sees the turn end as `aborted`.
   */
  async stopTurn(chatId: string): Promise<void> {
    if (!this.manager.userId) return; // no topics yet, so no turn this page could know of
    const subscription = this.subscriptionFor(chatId);
    const { requestId, turnState } = subscription.activity.getSnapshot();
    if (!requestId || turnState === 'idle' || FINAL_TURN_STATES.has(turnState as TurnState)) return;
    const record = this.turns.registry.get(requestId);
    if (record) return this.turns.abortTurn(record);
    await subscription.publishControl({ op: 'abort', requestId });
  }

  async sendMessages(options: SendOptions<UI_MESSAGE>): Promise<ReadableStream<UIMessageChunk>> {
    this.assertOpen();
    const { chatId, abortSignal } = options;
    assertSegment('chatId', chatId);
    const extraBody = { ...(await resolve(this.options.body)), ...(options.body as Record<string, unknown> | undefined) };
    const entry: OutboxEntry = {
      requestId: randomId(),
      userId: '',
      chatId,
      trigger: options.trigger,
      ...(options.messageId ? { messageId: options.messageId } : {}),
      ...parentOf(options.trigger, options.messages),
      messages: requestMessages(options.trigger, options.messages),
      ...(Object.keys(extraBody).length > 0 ? { body: extraBody } : {}),
      enqueuedAt: Date.now(),
    };
    this.sender.checkSize(entry);
    this.manager.start(); // the connection is lazy: a send is what wants it up
    // Topics need the user id; before the auth endpoint answered once there is nowhere to queue.
    if (!this.manager.userId) await this.manager.waitUntilConnected(this.options.connectTimeout, abortSignal);
    entry.userId = this.manager.userId!;
    const record = this.turns.registry.open({ requestId: entry.requestId, chatId, phase: 'queued', startedHere: true, request: entry });
    const subscription = this.subscriptionFor(chatId);
    record.release = subscription.acquire();
    subscription.markStarted(entry.requestId, userMessageOf(entry));
    const reader = this.turns.attachReader(record, 0);
    abortSignal?.addEventListener('abort', () => void this.turns.abortTurn(record), { once: true });
    if (this.manager.connected) {
      try {
        await subscription.ready();
        await this.publishRequest(record, entry, options.headers, abortSignal);
      } catch (error) {
        if (!(error instanceof TypeError)) {
          this.turns.registry.transition(record, { type: 'failed' });
          reader.close();
          throw error;
        }
        // The connection went while sending: the outbox sends it when it is back.
        this.queue(record, entry);
      }
    } else {
      this.queue(record, entry);
    }
    return reader.stream;
  }

  async reconnectToStream(options: ReconnectOptions<UI_MESSAGE>): Promise<ReadableStream<UIMessageChunk> | null> {
    this.assertOpen();
    const { chatId, abortSignal } = options;
    assertSegment('chatId', chatId);
    this.manager.start();
    if (!this.manager.userId) await this.manager.waitUntilConnected(this.options.connectTimeout, abortSignal);
    this.adoptOutbox(chatId);
    const subscription = this.subscriptionFor(chatId);
    const release = subscription.acquire();
    try {
      let lookup: { requestId: string; answer: TurnLookup } | null = null;
      let latestStored: { requestId: string; state: 'running' | 'done' | 'aborted' | 'error' } | null = null;
      let retainedSettled = false;
      let completeRefetched = false;
      for (;;) {
        const local = this.turns.registry.latestOpen(chatId);
        const localFacts = local && { requestId: local.requestId, phase: local.phase, holdsRequest: local.request !== null, workerSeen: local.workerSeen };
        const status = subscription.status;
        const action = decideResume({
          local: localFacts,
          status,
          completeOf: subscription.complete?.requestId ?? null,
          lookup,
          latestStored,
          retainedSettled,
          delivered: (id) => this.turns.registry.isDelivered(id),
        });
        if (action.kind !== 'attach' && !this.manager.connected) await this.manager.waitUntilConnected(this.options.connectTimeout, abortSignal);
        switch (action.kind) {
          case 'none':
            return null;
          case 'attach':
            return this.turns.handOut(local!, 0, abortSignal);
          case 'resend':
            this.resend(local!);
            return this.turns.handOut(local!, 0, abortSignal);
          case 'replay': {
            const record = this.turns.registry.get(action.requestId) ?? this.turns.registry.open({ requestId: action.requestId, chatId, phase: 'catching-up', startedHere: false, workerSeen: true });
            const stream = this.turns.handOut(record, record.shown, abortSignal);
            record.reader!.requestCatchUp();
            return stream;
          }
          case 'complete':
            return this.deliverComplete(chatId, subscription.complete!);
          case 'stored': {
            // The worker's answer may have overtaken the retained `complete`: ask the broker once.
            if (!completeRefetched) {
              completeRefetched = true;
              await this.refetchComplete(chatId, action.requestId);
              continue;
            }
            // Finished, and its `complete` is gone. Whatever this page's own reader held ends here.
            if (local?.requestId === action.requestId) local.reader?.finishFrom([]);
            void this.conversation(chatId).sync();
            // The worker's answer carries the stored message: replayed, useChat alone gets the whole
            // answer; without one, the answer arrives with the history.
            const finished = lookup?.requestId === action.requestId && lookup.answer.state === 'finished' ? lookup.answer : null;
            if (finished?.message) {
              const chunks = chunksOfStoredAnswer(finished.message, finished);
              return this.deliverComplete(chatId, { requestId: action.requestId, state: finished.finalState, chunks, at: Date.now() });
            }
            this.turns.registry.remember(action.requestId);
            return null;
          }
          case 'lost':
            if (local?.requestId === action.requestId) {
              this.turns.registry.transition(local, { type: 'failed' });
              throw new TurnLostError(action.requestId);
            }
            return null;
          case 'ask':
            if (action.requestId === null) {
              // A round trip after the SUBACK: the broker sent the retained state before the answer.
              const page = await this.untilRetained(chatId, (signal) => this.queries.ask('history', { chatId, limit: 1 }, signal), abortSignal);
              if (page === undefined) continue;
              const last = page.messages.at(-1);
              latestStored = last?.turn ? { requestId: last.turn.requestId, state: last.turn.state } : null;
              retainedSettled = true;
            } else {
              const requestId = action.requestId;
              const answer = await this.untilRetained(chatId, (signal) => this.queries.ask('turn', { chatId, requestId }, signal), abortSignal);
              if (answer !== undefined) lookup = { requestId, answer };
            }
        }
      }
    } finally {
      release();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.turns.close();
    this.queries.close();
    this.router.detach();
    this.manager.close();
    clearTimeout(this.statsFlush);
  }

  /** Current counters without waiting for the throttled store (tests, diagnostics). */
  statsNow(): TransportStats {
    return structuredClone(this.counters);
  }

  // ---- connection events -------------------------------------------------------------------

  private onConnected(client: MqttClientLike): void {
    this.router.attach(client);
    for (const subscription of this.subscriptions.values()) subscription.resubscribe();
    this.queries.resume();
    for (const [topic, onReconnect] of this.userFeeds) {
      void subscribeAsync(client, topic, 1).catch(() => undefined);
      onReconnect();
    }
    this.flushOutbox();
    for (const record of this.turns.registry.all()) if (record.phase === 'interrupted') void this.turns.catchUp(record);
    // Time offline: every chat this page shows brings its history up to date.
    for (const sync of this.syncs.values()) if (sync.store.getSnapshot().status !== 'idle') void sync.sync();
  }

  // ---- activity ----------------------------------------------------------------------------

  /** Projects the registry and the outbox onto the chat's activity store. */
  private refreshActivity(chatId: string): void {
    const subscription = this.subscriptions.get(chatId);
    if (!subscription) return;
    const snapshot = subscription.activity.getSnapshot();
    const status = subscription.status;
    let turnState = snapshot.turnState;
    if (status && status.requestId === snapshot.requestId) {
      turnState = status.state;
      const record = this.turns.registry.get(status.requestId);
      // The worker is done but this page has not received the end: not "done" yet.
      if (FINAL_TURN_STATES.has(status.state) && record?.reader && isOpenPhase(record.phase)) turnState = 'catching-up';
      else if (!FINAL_TURN_STATES.has(status.state)) {
        // This page knows the turn ended (a settled record leaves the registry; its outcome stays):
        // a retained "generating" left by a worker that died must not outlive it.
        const outcome = this.turns.registry.outcomeOf(status.requestId);
        if (outcome === 'failed') turnState = 'error';
        else if (outcome === 'delivered') turnState = 'done';
      }
    }
    const userId = this.manager.userId;
    const pendingEntries = userId ? this.outbox.list(userId, chatId).filter((e) => this.turns.registry.get(e.requestId)?.workerSeen !== true) : [];
    const pending = samePending(snapshot.pending, pendingEntries) ? snapshot.pending : pendingEntries.map(userMessageOf).filter((m): m is UIMessage => m !== null);
    const recovery = this.turns.recoveryOf(chatId);
    subscription.patch({ turnState, pending, recovery: sameRecovery(snapshot.recovery, recovery) ? snapshot.recovery : recovery });
  }

  // ---- sending -----------------------------------------------------------------------------

  /** Keeps a prompt for when the connection is back (persisted: a reload does not lose it). */
  private queue(record: TurnRecord, entry: OutboxEntry): void {
    this.outbox.add(entry);
    record.reader?.pause();
    this.refreshActivity(record.chatId);
  }

  /** Sends every waiting prompt of this user once (per connection; workers dedupe by request id). */
  private flushOutbox(): void {
    const userId = this.manager.userId;
    if (!userId) return;
    for (const entry of this.outbox.list(userId)) {
      const record = this.adoptEntry(entry);
      if (record.phase !== 'queued') continue;
      void this.subscriptionFor(entry.chatId)
        .ready()
        .then(() => this.publishRequest(record, entry))
        .catch((error: unknown) => {
          // Offline again: it stays queued. Refused: the turn fails.
          if (!(error instanceof TypeError)) this.requestRefused(record, entry, error);
        });
    }
  }

  /** Records for prompts a previous page left in the outbox (after a reload). */
  private adoptOutbox(chatId: string): void {
    const userId = this.manager.userId;
    if (userId) for (const entry of this.outbox.list(userId, chatId)) this.adoptEntry(entry);
  }

  private adoptEntry(entry: OutboxEntry): TurnRecord {
    const existing = this.turns.registry.get(entry.requestId);
    if (existing) return existing;
    const record = this.turns.registry.open({ requestId: entry.requestId, chatId: entry.chatId, phase: 'queued', startedHere: true, request: entry });
    record.release = this.subscriptionFor(entry.chatId).acquire();
    return record;
  }

  /**
   * Sends a turn's request. Resolves once the broker acknowledged it: the turn is `sent`, and its
   * reader counts silence and re-sends until a worker shows the turn. Over MQTT it also resolves
   * when `replayRetryMs` passed with no acknowledgement on a connection that is still up: RabbitMQ
   * never acknowledges a QoS 1 publish routed to a queue whose node died before confirming it, and
   * MQTT.js sends an unacknowledged publish again only on a reconnect. The turn is then taken as
   * sent, so its reader re-sends and asks the workers itself (they dedupe by request id); a refusal
   * that comes later fails the turn. Rejects as `RequestSender.send` does before that point.
   */
  private async publishRequest(record: TurnRecord, entry: OutboxEntry, headers?: HeadersInit, signal?: AbortSignal): Promise<void> {
    const acknowledged = this.sender.send(entry, headers, signal).then(() => this.markSent(record));
    if (this.options.trigger !== 'mqtt') return acknowledged;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.options.replayRetryMs);
    });
    const onTime = await Promise.race([acknowledged.then(() => true as const), waited]).finally(() => clearTimeout(timer));
    // Not connected any more: MQTT.js sends it again on the reconnect, and that acknowledgement settles it.
    if (onTime || !this.manager.connected) return acknowledged;
    this.markSent(record);
    acknowledged.catch((error: unknown) => {
      // Lost with the connection: the turn is interrupted, and its resume re-sends it.
      if (!(error instanceof TypeError)) this.requestRefused(record, entry, error);
    });
  }

  private markSent(record: TurnRecord): void {
    this.turns.registry.transition(record, { type: 'published' });
    record.reader?.unpause();
  }

  /** The request can never be sent (too large for the broker, refused by the trigger): the turn fails. */
  private requestRefused(record: TurnRecord, entry: OutboxEntry, error: unknown): void {
    this.outbox.remove(entry.requestId);
    if (record.reader) record.reader.fail(error);
    else this.turns.registry.transition(record, { type: 'failed' });
  }

  /** Publishes a turn's request again (see TurnReaderOptions.resendRequest); only while connected. */
  private resend(record: TurnRecord): void {
    const entry = record.request;
    if (!entry || !this.manager.connected) return;
    this.counters.requestsResent++;
    this.flushStats();
    void this.sender.send(entry).catch(() => undefined);
  }

  // ---- retained state and routing ----------------------------------------------------------

  private subscriptionFor(chatId: string): ChatSubscription {
    assertSegment('chatId', chatId);
    let subscription = this.subscriptions.get(chatId);
    if (!subscription) {
      const userId = this.manager.userId;
      if (!userId) throw new ChatKitError('invalid-options', 'No userId: pass `userId` or return one from the auth endpoint.');
      subscription = new ChatSubscription(
        { userId, chatId },
        {
          topics: this.topics,
          router: this.router,
          clientId: () => this.manager.clientId!,
          client: () => this.manager.current,
          maxMessageBytes: this.options.maxMessageBytes,
          count: (reason) => this.count(reason),
          routeChunks: (envelope, viaReplay) => this.turns.routeChunks(envelope, viaReplay),
          onRetained: (s, kind) => this.onRetained(s, kind),
        },
      );
      this.subscriptions.set(chatId, subscription);
      this.refreshActivity(chatId);
    }
    return subscription;
  }

  private onRetained(subscription: ChatSubscription, kind: 'status' | 'complete'): void {
    const chatId = subscription.address.chatId;
    if (kind === 'status') this.turns.onStatus(subscription.status!);
    else this.turns.onComplete(subscription.complete!);
    this.refreshActivity(chatId);
    for (const waiter of [...(this.retainedWaiters.get(chatId) ?? [])]) waiter();
  }

  /**
   * Runs a query, but gives way (resolves `undefined`) as soon as the chat's retained status or
   * complete arrives: the caller decides again with the new fact.
   */
  private untilRetained<T>(chatId: string, ask: (signal: AbortSignal) => Promise<T>, abortSignal?: AbortSignal): Promise<T | undefined> {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    abortSignal?.addEventListener('abort', onAbort, { once: true });
    let waiters = this.retainedWaiters.get(chatId);
    if (!waiters) this.retainedWaiters.set(chatId, (waiters = new Set()));
    const set = waiters;
    return new Promise<T | undefined>((resolvePromise, reject) => {
      const finish = () => {
        set.delete(onRetained);
        abortSignal?.removeEventListener('abort', onAbort);
      };
      const onRetained = () => {
        finish();
        controller.abort();
        resolvePromise(undefined);
      };
      set.add(onRetained);
      ask(controller.signal).then(
        (value) => {
          finish();
          resolvePromise(value);
        },
        (error: unknown) => {
          finish();
          if (abortSignal?.aborted || !controller.signal.aborted) reject(error);
        },
      );
    });
  }

  /**
   * Re-subscribes the chat's `complete` topic and waits for a round trip through the worker after
   * the SUBACK (or for the `complete` itself): by then a retained `complete` has certainly come.
   */
  private async refetchComplete(chatId: string, requestId: string): Promise<void> {
    const subscription = this.subscriptions.get(chatId);
    if (!subscription || subscription.complete?.requestId === requestId) return;
    await subscription.refetchComplete();
    if (subscription.complete?.requestId === requestId) return;
    await this.untilRetained(chatId, (signal) => this.queries.ask('turn', { chatId, requestId }, signal)).catch(() => undefined);
  }

  /** A finished turn from its retained `complete`, as one replayed stream. */
  private deliverComplete(chatId: string, complete: CompleteEnvelope): ReadableStream<UIMessageChunk> {
    this.turns.deliveredFromComplete(chatId, complete);
    return new ReadableStream({
      start(controller) {
        for (const chunk of complete.chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
  }

  private watchChats(onEvent: (event: ChatEventEnvelope) => void, onReconnect: () => void): () => void {
    this.manager.start();
    let topic: string | null = null;
    let stopped = false;
    const start = (userId: string) => {
      if (stopped) return;
      topic = this.topics.userTopic(userId, 'chats');
      this.router.set(topic, (payload) => {
        this.count('received');
        const decoded = decodeChatEvent(payload);
        if (!decoded.ok) return this.count(decoded.reason);
        onEvent(decoded.value);
      });
      this.userFeeds.set(topic, onReconnect);
      const client = this.manager.current;
      if (client?.connected) void subscribeAsync(client, topic, 1).catch(() => undefined);
    };
    void this.whenUserKnown().then(start);
    return () => {
      stopped = true;
      if (!topic) return;
      this.router.delete(topic);
      this.userFeeds.delete(topic);
    };
  }

  /** Resolves with the user id once it is known (the option, or the auth endpoint's answer). */
  private whenUserKnown(): Promise<string> {
    const known = this.manager.userId;
    if (known) return Promise.resolve(known);
    return new Promise((resolvePromise) => {
      const unsubscribe = this.connection.subscribe(() => {
        const userId = this.manager.userId;
        if (!userId) return;
        unsubscribe();
        resolvePromise(userId);
      });
    });
  }

  /**
   * Before the auth endpoint has told us the user id there are no topics yet: hand out a store
   * that mirrors the chat's subscription once the connection (and so the user id) exists.
   */
  private deferredChat(chatId: string): ChatHandle {
    const mirror = new Store<{ value: ChatActivitySnapshot }>({ value: INITIAL_CHAT_ACTIVITY });
    let subscription: ChatSubscription | null = null;
    let unmirror: (() => void) | null = null;
    const bind = (): ChatSubscription | null => {
      if (subscription || !this.manager.userId) return subscription;
      subscription = this.subscriptionFor(chatId);
      const bound = subscription;
      unmirror = bound.activity.subscribe(() => mirror.update({ value: bound.activity.getSnapshot() }));
      mirror.update({ value: bound.activity.getSnapshot() });
      return subscription;
    };
    return {
      store: { getSnapshot: () => mirror.getSnapshot().value, subscribe: (listener) => mirror.subscribe(listener) },
      acquire: () => {
        let release: (() => void) | null = null;
        let cancelled = false;
        const tryAcquire = () => {
          const bound = bind();
          if (bound && !cancelled && !release) release = bound.acquire();
          return !!release;
        };
        const unlisten = tryAcquire() ? () => undefined : this.connection.subscribe(() => void (tryAcquire() && unlisten()));
        return () => {
          cancelled = true;
          unlisten();
          release?.();
          unmirror?.();
        };
      },
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new ChatKitError('transport-closed', 'This CloudSignalChatTransport was closed.');
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
}

/**
 * What a request carries: only what is new (the store holds the rest). A new prompt is the last
 * (user) message; a continuation (client tool output, tool approval) is the last assistant
 * message with its existing id; a regeneration carries none and names the answer to redo.
 */
export function requestMessages<UI extends UIMessage>(trigger: 'submit-message' | 'regenerate-message', messages: readonly UI[]): UI[] {
  if (trigger === 'regenerate-message') return [];
  const last = messages.at(-1);
  return last ? [last] : [];
}

/**
 * The message a new prompt follows on this screen, so the worker can refuse a prompt written under
 * an older version of the conversation (one it no longer stores). Only prompts carry it.
 */
export function parentOf(trigger: 'submit-message' | 'regenerate-message', messages: readonly UIMessage[]): { parentId?: string } {
  if (trigger !== 'submit-message' || messages.at(-1)?.role !== 'user') return {};
  return { parentId: messages.at(-2)?.id ?? '' };
}

function userMessageOf(entry: OutboxEntry): UIMessage | null {
  const last = entry.messages.at(-1);
  return last?.role === 'user' ? last : null;
}


function samePending(held: readonly UIMessage[], entries: readonly OutboxEntry[]): boolean {
  const ids = entries.map((e) => userMessageOf(e)?.id).filter((id) => id !== undefined);
  return held.length === ids.length && held.every((m, i) => m.id === ids[i]);
}

async function resolve<T>(value: Resolvable<T> | undefined): Promise<T | undefined> {
  return typeof value === 'function' ? await (value as () => T | Promise<T>)() : value;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
