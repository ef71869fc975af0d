/**
 * The client side of the in-memory broker: an object that behaves like an MQTT.js 5 client
 * closely enough for the kit (it satisfies `MqttClientLike`), with no Node-only dependency,
 * so it runs in Node tests and in the browser (Storybook) alike.
 */
import type { MqttClientEvents, MqttClientLike, PublishOptions, QoS, SubscriptionGrant } from '../transport/mqtt-client.js';

/** The packet handed to `message` listeners, shaped like the MQTT.js publish packet. */
export interface MockPublishPacket {
  cmd: 'publish';
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  /** True only for a retained message sent because of a new subscription. */
  retain: boolean;
  dup: false;
}

/** Options of `broker.connect()`. */
export interface MockConnectOptions {
  /** Defaults to a broker-unique `mockclient_{n}`. */
  clientId?: string;
  username?: string;
  password?: string;
  /** How long each connection attempt takes, in ms. Default 0: it completes on a microtask. */
  connectDelayMs?: number;
  /**
   * Like MQTT.js: ms between automatic reconnect attempts after the connection is lost.
   * Default 0: the client stays offline until `reconnect()` is called.
   */
  reconnectPeriod?: number;
  /** Reported in `client.options`; the broker ignores MQTT 5 properties either way. Default 4. */
  protocolVersion?: 4 | 5;
  /**
   * Like MQTT.js: restore the subscriptions of the lost connection on reconnect. Default true;
   * the kit's own clients set it false (they resubscribe what they still need, under their id now).
   */
  resubscribe?: boolean;
}

/** What the client can see of its options, like MQTT.js `client.options`. */
export interface MockClientOptions {
  clientId: string;
  username?: string;
  /** Like MQTT.js, read at every connect: changing it changes what the next reconnect presents. */
  password?: string;
  protocolVersion: 4 | 5;
  reconnectPeriod: number;
  clean: true;
}

/** A subscription request as the client sends it. */
export interface SubscribeRequest {
  topic: string;
  qos: QoS;
}

/**
 * One live connection as the broker hands it to a client. Every callback runs asynchronously,
 * in order with the messages the broker sends to this client.
 * @internal
 */
export interface BrokerSession {
  publish(topic: string, payload: Uint8Array, qos: QoS, retain: boolean, done: (error?: Error) => void): void;
  subscribe(requests: SubscribeRequest[], done: (error: Error | null, grants?: SubscriptionGrant[]) => void): void;
  unsubscribe(topics: string[], done: (error?: Error) => void): void;
  /** The client disconnects on purpose. */
  close(): void;
}

/**
 * What the broker calls on a client.
 * @internal
 */
export interface ClientSink {
  message(packet: MockPublishPacket): void;
  /** The connection died without the client asking (socket closed, broker went down, takeover). */
  lost(): void;
}

/** The outcome of a connection attempt. @internal */
export type ConnectResult = { ok: true; session: BrokerSession } | { ok: false; error?: Error };

/**
 * The broker as a client reaches it.
 * @internal
 */
export interface BrokerPort {
  open(options: MockClientOptions & { password?: string }, sink: ClientSink): ConnectResult;
}

type Listener = (...args: never[]) => void;
type State = 'connecting' | 'connected' | 'offline' | 'ended';
type EndCallback = () => void;

const NO_CONNECTION = 'No connection to broker';
const DISCONNECTING = 'client disconnecting';

/** Runs `fn` on a microtask: user callbacks never run inside the call that caused them. */
function later(fn: () => void): void {
  queueMicrotask(fn);
}

/**
 * An in-memory MQTT client connected to a {@link MockBroker}. Create it with `broker.connect()`.
 *
 * Behaves like MQTT.js 5 with `clean: true`, `resubscribe: true` and `queueQoSZero: false`:
 * - it connects asynchronously and emits `connect`;
 * - while not connected, `publish` fails its callback with "No connection to broker" (at any QoS:
 *   nothing is queued for later), while `subscribe` is remembered and sent on the next connect;
 * - subscriptions are restored on every reconnect, so retained messages arrive again;
 * - when the connection dies it emits `close` then `offline`, and reconnects after
 *   `reconnectPeriod` ms, or only on `reconnect()` when that is 0 (the default);
 * - callbacks still waiting for the broker when the connection dies fail with "Connection closed".
 */
export class MockMqttClient implements MqttClientLike {
  /** Connect options, like MQTT.js `client.options`. */
  readonly options: MockClientOptions;

  private readonly listeners = new Map<string, Set<Listener>>();
  /** Topic filters to restore on reconnect, with their requested QoS. */
  private readonly subscriptionsToRestore = new Map<string, QoS>();
  /** Subscribe calls made while not connected: answered after the next connect. */
  private waitingSubscribes: Array<{ topics: string[]; callback?: (error: Error | null, granted?: SubscriptionGrant[]) => void }> = [];
  private session: BrokerSession | undefined;
  private state: State = 'connecting';
  /** `offline` was already emitted for the current outage. */
  private offlineReported = false;
  private attemptTimer: ReturnType<typeof setTimeout> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly connectDelayMs: number;
  private readonly resubscribe: boolean;

  /** @internal Use `broker.connect()`. */
  constructor(
    private readonly broker: BrokerPort,
    options: MockConnectOptions & { clientId: string },
  ) {
    this.options = {
      clientId: options.clientId,
      username: options.username,
      password: options.password,
      protocolVersion: options.protocolVersion ?? 4,
      reconnectPeriod: Math.max(0, options.reconnectPeriod ?? 0),
      clean: true,
    };
    this.connectDelayMs = Math.max(0, options.connectDelayMs ?? 0);
    this.resubscribe = options.resubscribe ?? true;
    this.attempt();
  }

  /** True between `connect` and the loss or end of the connection. */
  get connected(): boolean {
    return this.state === 'connected';
  }

  /** True once `end()` was called (until `reconnect()`), like MQTT.js. */
  get disconnecting(): boolean {
    return this.state === 'ended';
  }

  /** True while an attempt after a lost connection is in progress, like MQTT.js. */
  get reconnecting(): boolean {
    return this.state === 'connecting' && this.offlineReported;
  }

  /**
   * Publishes like MQTT.js: the callback runs once the message was written (QoS 0) or
   * acknowledged by the broker (QoS 1 and 2), or with an error when not connected.
   */
  publish(topic: string, payload: string | Uint8Array, options?: PublishOptions | ((error?: Error) => void), callback?: (error?: Error) => void): this {
    if (typeof options === 'function') {
      callback = options;
      options = {};
    }
    const done = callback ?? (() => {});
    const failure = this.state === 'ended' ? DISCONNECTING : this.session ? undefined : NO_CONNECTION;
    if (failure) {
      later(() => done(new Error(failure)));
      return this;
    }
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload.slice();
    this.session!.publish(topic, bytes, options?.qos ?? 0, options?.retain ?? false, done);
    return this;
  }

  /**
   * Subscribes like MQTT.js. The callback gets one grant per topic; a grant of 128 means the
   * broker refused that filter (it is then not restored on reconnect). While not connected the
   * request waits for the next connect.
   */
  subscribe(
    topic: string | string[],
    options?: { qos: QoS } | ((error: Error | null, granted?: SubscriptionGrant[]) => void),
    callback?: (error: Error | null, granted?: SubscriptionGrant[]) => void,
  ): this {
    if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    const topics = Array.isArray(topic) ? topic : [topic];
    const qos = options?.qos ?? 0;
    if (this.state === 'ended') {
      later(() => callback?.(new Error(DISCONNECTING)));
      return this;
    }
    for (const filter of topics) this.subscriptionsToRestore.set(filter, qos);
    if (!this.session) {
      this.waitingSubscribes.push({ topics, callback });
      return this;
    }
    this.session.subscribe(
      topics.map((filter) => ({ topic: filter, qos })),
      (error, grants) => {
        if (grants) this.forgetRefused(grants);
        callback?.(error, grants);
      },
    );
    return this;
  }

  /** Unsubscribes; the filters are no longer restored on reconnect. */
  unsubscribe(topic: string | string[], options?: object | ((error?: Error) => void), callback?: (error?: Error) => void): this {
    if (typeof options === 'function') callback = options as (error?: Error) => void;
    const topics = Array.isArray(topic) ? topic : [topic];
    if (this.state === 'ended') {
      later(() => callback?.(new Error(DISCONNECTING)));
      return this;
    }
    for (const filter of topics) this.subscriptionsToRestore.delete(filter);
    if (this.session) this.session.unsubscribe(topics, (error) => callback?.(error));
    else later(() => callback?.());
    return this;
  }

  /**
   * Disconnects on purpose, like MQTT.js `end(force?, opts?, cb?)`: emits `close` (when it was
   * connected) then `end`, then calls `cb`. Automatic reconnects stop; `reconnect()` starts over.
   */
  end(force?: boolean | object | EndCallback, options?: object | EndCallback, callback?: EndCallback): this {
    const cb = [force, options, callback].find((arg): arg is EndCallback => typeof arg === 'function');
    if (this.state === 'ended') {
      if (cb) later(cb);
      return this;
    }
    const wasConnected = this.state === 'connected';
    this.cancelTimers();
    this.state = 'ended';
    this.session?.close();
    this.session = undefined;
    this.failWaitingSubscribes(DISCONNECTING);
    later(() => {
      if (wasConnected) this.emit('close');
      this.emit('end');
      cb?.();
    });
    return this;
  }

  /** `end()` as a promise. */
  endAsync(force?: boolean): Promise<void> {
    return new Promise((resolve) => this.end(force ?? false, resolve));
  }

  /**
   * Connects again now, like MQTT.js: emits `reconnect`, then `connect` (or `close` when the
   * broker refuses). Does nothing while connected or while an attempt is in progress.
   */
  reconnect(): this {
    if (this.state === 'connected' || this.state === 'connecting') return this;
    this.cancelTimers();
    this.state = 'connecting';
    this.emit('reconnect');
    this.attempt();
    return this;
  }

  on<E extends keyof MqttClientEvents>(event: E, listener: MqttClientEvents[E]): this {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener);
    return this;
  }

  /** Alias of `on`, as on Node emitters. */
  addListener<E extends keyof MqttClientEvents>(event: E, listener: MqttClientEvents[E]): this {
    return this.on(event, listener);
  }

  once<E extends keyof MqttClientEvents>(event: E, listener: MqttClientEvents[E]): this {
    const wrapper = ((...args: never[]) => {
      this.off(event, wrapper as MqttClientEvents[E]);
      (listener as Listener)(...args);
    }) as MqttClientEvents[E];
    return this.on(event, wrapper);
  }

  off<E extends keyof MqttClientEvents>(event: E, listener: MqttClientEvents[E]): this {
    this.listeners.get(event)?.delete(listener as Listener);
    return this;
  }

  /** Alias of `off`, as on Node emitters. */
  removeListener<E extends keyof MqttClientEvents>(event: E, listener: MqttClientEvents[E]): this {
    return this.off(event, listener);
  }

  removeAllListeners(event?: keyof MqttClientEvents): this {
    if (event) this.listeners.delete(event);
    else this.listeners.clear();
    return this;
  }

  listenerCount(event: keyof MqttClientEvents): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  private emit<E extends keyof MqttClientEvents>(event: E, ...args: Parameters<MqttClientEvents[E]>): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as (...a: unknown[]) => void)(...args);
      } catch (error) {
        // A throwing listener must not break delivery to the others; surface it like an
        // uncaught exception would be surfaced, outside the broker's delivery loop.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }

  /** One connection attempt, after `connectDelayMs` (or a microtask). */
  private attempt(): void {
    const run = () => {
      this.attemptTimer = undefined;
      if (this.state !== 'connecting') return;
      const result = this.broker.open({ ...this.options }, this.sink);
      if (result.ok) this.onConnected(result.session);
      else this.onAttemptFailed(result.error);
    };
    if (this.connectDelayMs > 0) this.attemptTimer = setTimeout(run, this.connectDelayMs);
    else later(run);
  }

  private onConnected(session: BrokerSession): void {
    this.session = session;
    this.state = 'connected';
    this.offlineReported = false;
    this.restoreSubscriptions(session);
    this.emit('connect', { cmd: 'connack', returnCode: 0, sessionPresent: false });
  }

  private onAttemptFailed(error: Error | undefined): void {
    this.state = 'offline';
    if (error) this.emit('error', error);
    this.emit('close');
    this.goneOffline();
  }

  /** The broker side of the connection died. */
  private onLost(): void {
    if (this.state !== 'connected') return;
    this.session = undefined;
    this.state = 'offline';
    this.emit('close');
    this.goneOffline();
  }

  private goneOffline(): void {
    if (!this.offlineReported) {
      this.offlineReported = true;
      this.emit('offline');
    }
    if (this.options.reconnectPeriod > 0 && this.state === 'offline') {
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        this.reconnect();
      }, this.options.reconnectPeriod);
    }
  }

  /** Sends every remembered subscription in one request and answers the waiting subscribe calls. */
  private restoreSubscriptions(session: BrokerSession): void {
    const waiting = this.waitingSubscribes;
    this.waitingSubscribes = [];
    if (!this.resubscribe) {
      // Only what was asked while offline: the lost connection's subscriptions are not restored.
      const asked = new Set(waiting.flatMap((entry) => entry.topics));
      for (const topic of [...this.subscriptionsToRestore.keys()]) if (!asked.has(topic)) this.subscriptionsToRestore.delete(topic);
    }
    const requests = [...this.subscriptionsToRestore].map(([topic, qos]) => ({ topic, qos }));
    if (requests.length === 0) {
      for (const { callback } of waiting) later(() => callback?.(null, []));
      return;
    }
    session.subscribe(requests, (error, grants = []) => {
      this.forgetRefused(grants);
      const byTopic = new Map(grants.map((grant) => [grant.topic, grant]));
      for (const { topics, callback } of waiting) {
        callback?.(
          error,
          error ? undefined : topics.map((topic) => byTopic.get(topic) ?? { topic, qos: this.subscriptionsToRestore.get(topic) ?? 0 }),
        );
      }
    });
  }

  private forgetRefused(grants: SubscriptionGrant[]): void {
    for (const grant of grants) if (grant.qos === 128) this.subscriptionsToRestore.delete(grant.topic);
  }

  private failWaitingSubscribes(message: string): void {
    const waiting = this.waitingSubscribes;
    this.waitingSubscribes = [];
    for (const { callback } of waiting) later(() => callback?.(new Error(message)));
  }

  private cancelTimers(): void {
    if (this.attemptTimer !== undefined) clearTimeout(this.attemptTimer);
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.attemptTimer = undefined;
    this.reconnectTimer = undefined;
  }

  private readonly sink: ClientSink = {
    message: (packet) => {
      if (this.state === 'connected') this.emit('message', packet.topic, packet.payload, packet);
    },
    lost: () => this.onLost(),
  };
}
