/**
 * `PlainTokenChatTransport`: a `ChatTransport` for servers that speak the seed guide's plain-token
 * protocol (raw text tokens on `ai/{session}/response`, `[done]` at the end, status strings on
 * `ai/{session}/status`), so `useChat`, `useCloudSignalChat` and `ChatWindow` work with such a
 * server unchanged. The chat id is the session id.
 *
 * The protocol has no request ids, sequence numbers or replay, so this transport cannot do what
 * `CloudSignalChatTransport` does after a disconnect: a drop mid-answer fails the turn with a
 * `TurnFailedError` instead of resuming, and another device's turn is not shown.
 */
import type { ChatTransport, UIMessage, UIMessageChunk } from 'ai';
import { INITIAL_CHAT_ACTIVITY, type ChatActivitySnapshot } from './chat-activity.js';
import { ConnectionManager, type ManagedConnectionOptions } from './connection.js';
import type { ConnectionSnapshot } from './connection-state.js';
import { ChatKitError, RequestRejectedError, StreamTimeoutError, TurnFailedError } from './errors.js';
import { randomId } from './ids.js';
import { MessageRouter } from './message-router.js';
import { publishAsync, subscribeAsync, unsubscribeAsync, type MqttClientLike } from './mqtt-client.js';
import {
  decodePlainTokenResponse,
  decodePlainTokenStatus,
  encodePlainTokenRequest,
  PLAIN_TOKEN_STOP,
  type PlainTokenStatus,
} from './plain-token-protocol.js';
import { emptyStats, type DropReason, type TransportStats } from './stats.js';
import { Store, type ReadableStore } from './store.js';
import { DEFAULT_PLAIN_TOKEN_PREFIX, plainTokenTopic, assertSegment, assertPrefix } from './topics.js';
import type { ChatHandle } from './cloudsignal-chat-transport.js';

/** Options of {@link PlainTokenChatTransport}. Defaults live in {@link PLAIN_TOKEN_DEFAULTS}. */
export interface PlainTokenChatTransportOptions {
  /** An already connected MQTT client (MQTT.js or anything with the same surface). The app owns its lifecycle. */
  client?: MqttClientLike;
  /** Broker WebSocket URL; the transport connects and reconnects itself. */
  wssUrl?: string;
  /** POST endpoint returning `{ username, password, expiresAt? }`; called before every connect. */
  authEndpoint?: string;
  /** Static credentials for brokers without an auth endpoint. */
  username?: string;
  /** Password that goes with `username`. */
  password?: string;
  /** Headers for the auth endpoint. */
  headers?: Record<string, string>;
  /** First topic level(s). Default `ai`, as in the seed guide. */
  topicPrefix?: string;
  /** Extra request fields the server reads (the seed reads `model` and `max_tokens`). */
  body?: Record<string, unknown> | (() => Record<string, unknown> | Promise<Record<string, unknown>>);
  /** Ms without a token or status after which a live turn fails with `StreamTimeoutError`. Default 60 000. */
  streamTimeout?: number;
  /** Ms to wait for the connection before a turn fails as a network error. Default 10 000. */
  connectTimeout?: number;
  /** Reconnect backoff and MQTT options of the managed connection. */
  connection?: Pick<ManagedConnectionOptions, 'backoff' | 'protocolVersion' | 'refreshMargin' | 'clientId'>;
  /** `fetch` used for the auth endpoint. */
  fetch?: typeof fetch;
}

/** Defaults of {@link PlainTokenChatTransportOptions}. */
export const PLAIN_TOKEN_DEFAULTS = {
  topicPrefix: DEFAULT_PLAIN_TOKEN_PREFIX,
  streamTimeout: 60_000,
  connectTimeout: 10_000,
};

type SendOptions<UI extends UIMessage> = Parameters<ChatTransport<UI>['sendMessages']>[0];

/** The one answer a session is streaming into `useChat`. */
class PlainTurn {
  readonly stream: ReadableStream<UIMessageChunk>;
  readonly requestId = randomId();
  private controller!: ReadableStreamDefaultController<UIMessageChunk>;
  private readonly textId = randomId();
  private textOpen = false;
  ended = false;
  /** Lets go of the session's subscription once the answer is over. */
  release: () => void = () => undefined;

  constructor(onCancel: () => void) {
    this.stream = new ReadableStream<UIMessageChunk>({
      start: (controller) => {
        this.controller = controller;
        controller.enqueue({ type: 'start' });
      },
      cancel: () => {
        this.ended = true;
        onCancel();
      },
    });
  }

  token(text: string): void {
    if (this.ended) return;
    if (!this.textOpen) {
      this.textOpen = true;
      this.controller.enqueue({ type: 'text-start', id: this.textId });
    }
    this.controller.enqueue({ type: 'text-delta', id: this.textId, delta: text });
  }

  finish(): void {
    if (this.ended) return;
    if (this.textOpen) this.controller.enqueue({ type: 'text-end', id: this.textId });
    this.controller.enqueue({ type: 'finish' });
    this.end();
  }

  fail(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.controller.error(error);
  }

  /** Ends the stream without a finish: `useChat` already knows it stopped. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.controller.close();
  }
}

/** One chat id's topics, activity and live turn. */
interface Session {
  readonly chatId: string;
  readonly topics: { request: string; response: string; status: string; control: string };
  readonly activity: Store<ChatActivitySnapshot>;
  holders: number;
  /** The subscription on the current client, if made. */
  subscribed: Promise<void> | null;
  turn: PlainTurn | null;
  silenceTimer: ReturnType<typeof setTimeout> | undefined;
  /** After a stop: the stopped turn's remaining tokens are dropped until its `[done]` or a new `thinking`. */
  discarding: boolean;
  /** The `done` status that follows a discarded `[done]` belongs to the stopped turn. */
  ignoreNextDone: boolean;
}

const GENERATION: Record<PlainTokenStatus, ChatActivitySnapshot['turnState']> = {
  thinking: 'thinking',
  generating: 'generating',
  done: 'done',
  error: 'error',
};

/**
 * A chat transport for backends that speak the seed guide's plain-token protocol: raw text tokens
 * on `{prefix}/{chatId}/response` ending with `[done]`, status strings (`thinking`, `generating`,
 * `done`) on `{prefix}/{chatId}/status`, requests `{ prompt, messages, ...body }` on
 * `{prefix}/{chatId}/request`. `stop()` publishes `stop` on `{prefix}/{chatId}/control`.
 *
 * Works with `useChat`, `useCloudSignalChat` and `ChatWindow` as they are; see
 * docs/plain-token-protocol.md for what the protocol cannot do (no resume after a drop).
 *
 * @example
 * ```tsx
 * import { useChat } from '@ai-sdk/react';
 * import { PlainTokenChatTransport } from '@cloudsignal/ai-chat-kit';
 *
 * const transport = new PlainTokenChatTransport({ wssUrl: 'wss://broker.example.com/mqtt', authEndpoint: '/api/mqtt-token', body: { model: 'claude-sonnet-4' } });
 *
 * export function Chat() {
 *   const { messages, sendMessage, stop } = useChat({ transport });
 *   // ...the same UI code as with any other transport
 * }
 * ```
 */
export class PlainTokenChatTransport<UI_MESSAGE extends UIMessage = UIMessage> implements ChatTransport<UI_MESSAGE> {
  /** The socket's state: what `useConnectionState` and `ReconnectBanner` show. */
  readonly connection: ReadableStore<ConnectionSnapshot>;
  /** Received and dropped messages (unknown statuses, tokens with no turn of ours). */
  readonly stats: ReadableStore<TransportStats>;

  private readonly options: typeof PLAIN_TOKEN_DEFAULTS & PlainTokenChatTransportOptions;
  private readonly manager: ConnectionManager;
  private readonly router = new MessageRouter();
  private readonly sessions = new Map<string, Session>();
  private readonly statsStore = new Store<{ value: TransportStats }>({ value: emptyStats() });
  private closed = false;

  constructor(options: PlainTokenChatTransportOptions) {
    this.options = { ...PLAIN_TOKEN_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) };
    if (!options.client && !options.wssUrl) throw new ChatKitError('invalid-options', 'PlainTokenChatTransport needs either `client` or `wssUrl`.');
    assertPrefix(this.options.topicPrefix);
    this.manager = new ConnectionManager(
      options.client
        ? { kind: 'external', client: options.client }
        : {
            kind: 'managed',
            wssUrl: options.wssUrl!,
            authEndpoint: options.authEndpoint,
            username: options.username,
            password: options.password,
            headers: options.headers,
            fetch: options.fetch,
            ...options.connection,
          },
      undefined,
    );
    this.connection = this.manager.state;
    this.stats = { getSnapshot: () => this.statsStore.getSnapshot().value, subscribe: (listener) => this.statsStore.subscribe(listener) };
    this.manager.addListener({
      onConnected: (client) => {
        this.router.attach(client);
        // A new session on the broker has none of our subscriptions.
        for (const session of this.sessions.values()) {
          session.subscribed = null;
          if (session.holders > 0) void this.subscribe(session, client).catch(() => undefined);
        }
      },
      onLost: () => {
        for (const session of this.sessions.values()) {
          if (!session.turn) continue;
          // Tokens published while we are away are gone for good: say so instead of showing a hole.
          this.failTurn(session, new TurnFailedError('The connection dropped mid-answer. This server streams plain tokens, which cannot be recovered after a disconnect: send the message again.'));
        }
      },
    });
    if (this.manager.current) this.router.attach(this.manager.current);
  }

  /** A chat's activity (the server's status of its latest turn) for hooks. */
  chat(chatId: string): ChatHandle {
    const session = this.sessionFor(chatId);
    return { store: session.activity, acquire: () => this.retain(session) };
  }

  /** Reconnects now instead of waiting for the next scheduled attempt. */
  retry(): void {
    this.manager.retry();
  }

  /** Destroys the socket as a network failure would (demos, fault tests). */
  dropConnection(): void {
    this.manager.dropConnection();
  }

  /**
   * Stops the chat's running turn (what `useCloudSignalChat`'s `stop()` calls, since it keeps
   * `useChat`'s abort signal for "stop reading here"): publishes `stop` and ends the stream.
   */
  async stopTurn(chatId: string): Promise<void> {
    const session = this.sessions.get(chatId);
    if (session?.turn) this.stop(session, session.turn);
  }

  /** Publishes the request and returns the answer's stream; `abortSignal` publishes `stop`. */
  async sendMessages(options: SendOptions<UI_MESSAGE>): Promise<ReadableStream<UIMessageChunk>> {
    if (this.closed) throw new ChatKitError('transport-closed', 'The transport is closed.');
    const { chatId, messages, abortSignal } = options;
    const session = this.sessionFor(chatId);
    const client = await this.manager.waitUntilConnected(this.options.connectTimeout, abortSignal);
    const release = this.retain(session);
    try {
      await this.subscribe(session, client);
      const extra = typeof this.options.body === 'function' ? await this.options.body() : (this.options.body ?? {});
      const requestBody = { ...extra, ...(options.body ?? {}) };
      // One answer per session at a time: a new send ends an earlier stream this tab still holds.
      if (session.turn) this.endTurn(session, session.turn);
      const turn = new PlainTurn(() => this.endTurn(session, turn));
      turn.release = release;
      session.turn = turn;
      const userMessage = [...messages].reverse().find((message) => message.role === 'user') ?? null;
      session.activity.update({ requestId: turn.requestId, turnState: 'queued', startedHere: true, error: null, userMessage, messageId: null });
      this.armSilenceTimer(session);
      abortSignal?.addEventListener('abort', () => this.stop(session, turn), { once: true });
      await publishAsync(client, session.topics.request, encodePlainTokenRequest(messages, requestBody), { qos: 1 });
      return turn.stream;
    } catch (error) {
      release();
      if (session.turn) this.endTurn(session, session.turn);
      throw error;
    }
  }

  /** The plain-token protocol keeps nothing to resume from: always null. */
  async reconnectToStream(): Promise<ReadableStream<UIMessageChunk> | null> {
    return null;
  }

  /** Closes the connection (if the transport opened it) and ends every stream. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const session of this.sessions.values()) if (session.turn) this.endTurn(session, session.turn);
    this.router.detach();
    this.manager.close();
  }

  private sessionFor(chatId: string): Session {
    assertSegment('chatId', chatId);
    let session = this.sessions.get(chatId);
    if (!session) {
      const prefix = this.options.topicPrefix;
      session = {
        chatId,
        topics: {
          request: plainTokenTopic(prefix, chatId, 'request'),
          response: plainTokenTopic(prefix, chatId, 'response'),
          status: plainTokenTopic(prefix, chatId, 'status'),
          control: plainTokenTopic(prefix, chatId, 'control'),
        },
        activity: new Store<ChatActivitySnapshot>(INITIAL_CHAT_ACTIVITY),
        holders: 0,
        subscribed: null,
        turn: null,
        silenceTimer: undefined,
        discarding: false,
        ignoreNextDone: false,
      };
      this.sessions.set(chatId, session);
      const current = session;
      this.router.set(current.topics.response, (payload) => this.onResponse(current, payload));
      this.router.set(current.topics.status, (payload) => this.onStatus(current, payload));
    }
    return session;
  }

  private retain(session: Session): () => void {
    session.holders++;
    const client = this.manager.current;
    if (session.holders === 1 && client && this.manager.connected) void this.subscribe(session, client).catch(() => undefined);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      session.holders--;
      if (session.holders > 0 || this.closed) return;
      const current = this.manager.current;
      if (current && this.manager.connected && session.subscribed) void unsubscribeAsync(current, [session.topics.response, session.topics.status]);
      session.subscribed = null;
    };
  }

  private subscribe(session: Session, client: MqttClientLike): Promise<void> {
    session.subscribed ??= subscribeAsync(client, [session.topics.response, session.topics.status], 1).then((grants) => {
      const refused = grants.filter((grant) => grant.qos === 128).map((grant) => grant.topic);
      if (refused.length > 0) {
        session.subscribed = null;
        throw new RequestRejectedError(`The broker refused the subscription to ${refused.join(', ')}.`);
      }
    });
    return session.subscribed;
  }

  private onResponse(session: Session, payload: Uint8Array): void {
    this.count();
    const message = decodePlainTokenResponse(payload);
    if (session.discarding) {
      if (message.done) {
        session.discarding = false;
        session.ignoreNextDone = true;
      }
      return this.drop('stale');
    }
    const turn = session.turn;
    // Another device's turn, or tokens after ours ended: nothing of ours to append them to.
    if (!turn) return this.drop('foreign');
    this.armSilenceTimer(session);
    if (message.done) {
      turn.finish();
      this.endTurn(session, turn);
      return;
    }
    if (session.activity.getSnapshot().turnState !== 'generating') session.activity.update({ turnState: 'generating' });
    turn.token(message.token);
  }

  private onStatus(session: Session, payload: Uint8Array): void {
    this.count();
    const status = decodePlainTokenStatus(payload);
    if (status === null) return this.drop('malformed');
    if (status === 'thinking') session.discarding = false;
    if (session.discarding) return;
    if (status === 'done' && session.ignoreNextDone) {
      session.ignoreNextDone = false;
      return;
    }
    session.ignoreNextDone = false;
    if (session.turn) this.armSilenceTimer(session);
    session.activity.update({ turnState: GENERATION[status], error: status === 'error' ? 'The server reported an error.' : null });
    if (status === 'error' && session.turn) this.failTurn(session, new TurnFailedError('The server reported an error for this turn.'));
  }

  /** Stop: tell the server, end our stream, and drop what the server still sends for that turn. */
  private stop(session: Session, turn: PlainTurn): void {
    if (session.turn !== turn) return;
    const client = this.manager.current;
    if (client && this.manager.connected) void publishAsync(client, session.topics.control, PLAIN_TOKEN_STOP, { qos: 1 }).catch(() => undefined);
    session.discarding = true;
    session.activity.update({ turnState: 'aborted' });
    this.endTurn(session, turn);
  }

  private failTurn(session: Session, error: Error): void {
    const turn = session.turn;
    if (!turn) return;
    session.activity.update({ turnState: 'error', error: error.message });
    turn.fail(error);
    this.endTurn(session, turn);
  }

  /** The turn is over (finished, failed, stopped or cancelled): close its stream if still open, free the session. */
  private endTurn(session: Session, turn: PlainTurn): void {
    if (session.turn === turn) {
      session.turn = null;
      clearTimeout(session.silenceTimer);
      session.silenceTimer = undefined;
    }
    turn.end();
    turn.release();
  }

  private armSilenceTimer(session: Session): void {
    clearTimeout(session.silenceTimer);
    const timeout = this.options.streamTimeout;
    session.silenceTimer = setTimeout(() => this.failTurn(session, new StreamTimeoutError(timeout)), timeout);
  }

  private count(): void {
    const value = this.statsStore.getSnapshot().value;
    this.statsStore.update({ value: { ...value, received: value.received + 1 } });
  }

  private drop(reason: DropReason): void {
    const value = this.statsStore.getSnapshot().value;
    this.statsStore.update({ value: { ...value, dropped: { ...value.dropped, [reason]: value.dropped[reason] + 1 } } });
  }
}
