/**
 * The structural MQTT client surface the kit needs, and the one home of MQTT.js specifics.
 *
 * MQTT.js 5 clients satisfy {@link MqttClientLike} as they are (a type test keeps it so); so does
 * the in-memory client of `@cloudsignal/ai-chat-kit/testing` or any wrapper with the same
 * callback-style publish / subscribe / unsubscribe / on / off. Everything the kit does with
 * MQTT.js beyond that surface (connect options, reconnecting with in-flight messages, killing the
 * socket) lives at the end of this file, so no other file reaches into a client's internals.
 */
import mqtt from 'mqtt';

/** MQTT delivery level: at most once (0), at least once (1), exactly once (2). */
export type QoS = 0 | 1 | 2;

/** Options of one publish; `properties` is only sent on MQTT 5 connections. */
export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  properties?: { messageExpiryInterval?: number; [key: string]: unknown };
}

/** One entry of a SUBACK: `qos` is 128 when the broker refused the topic. */
export interface SubscriptionGrant {
  topic: string;
  qos: number;
}

/** Listener signatures of the events the kit listens to, named as MQTT.js names them. */
export interface MqttClientEvents {
  message: (topic: string, payload: Uint8Array, packet?: unknown) => void;
  connect: (connack?: unknown) => void;
  reconnect: () => void;
  close: () => void;
  offline: () => void;
  end: () => void;
  error: (error: Error) => void;
}

/**
 * The MQTT client surface the kit uses: MQTT.js 5 clients, the in-memory client of
 * `@cloudsignal/ai-chat-kit/testing`, or any wrapper with the same callback-style methods.
 */
export interface MqttClientLike {
  readonly connected: boolean;
  /** MQTT.js exposes its connect options here; the kit reads `clientId` and `protocolVersion`. */
  readonly options?: { clientId?: string; protocolVersion?: number };
  publish(topic: string, payload: string | Uint8Array, options: PublishOptions, callback?: (error?: Error) => void): unknown;
  subscribe(
    topic: string | string[],
    options: { qos: QoS },
    callback?: (error: Error | null, granted?: SubscriptionGrant[]) => void,
  ): unknown;
  unsubscribe(topic: string | string[], callback?: (error?: Error) => void): unknown;
  // One overload per event rather than one generic signature: MQTT.js' generic `on` ranges over
  // more events than these, and TypeScript only accepts it against per-event signatures (F4).
  on(event: 'message', listener: MqttClientEvents['message']): unknown;
  on(event: 'connect', listener: MqttClientEvents['connect']): unknown;
  on(event: 'reconnect', listener: MqttClientEvents['reconnect']): unknown;
  on(event: 'close', listener: MqttClientEvents['close']): unknown;
  on(event: 'offline', listener: MqttClientEvents['offline']): unknown;
  on(event: 'end', listener: MqttClientEvents['end']): unknown;
  on(event: 'error', listener: MqttClientEvents['error']): unknown;
  off(event: 'message', listener: MqttClientEvents['message']): unknown;
  off(event: 'connect', listener: MqttClientEvents['connect']): unknown;
  off(event: 'reconnect', listener: MqttClientEvents['reconnect']): unknown;
  off(event: 'close', listener: MqttClientEvents['close']): unknown;
  off(event: 'offline', listener: MqttClientEvents['offline']): unknown;
  off(event: 'end', listener: MqttClientEvents['end']): unknown;
  off(event: 'error', listener: MqttClientEvents['error']): unknown;
}

/** Publishes and resolves once the broker took it (QoS 1) or it was written (QoS 0). */
export function publishAsync(client: MqttClientLike, topic: string, payload: string | Uint8Array, options: PublishOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    client.publish(topic, payload, options, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * A QoS 1 publish that can be withdrawn while unacknowledged: `withdraw()` takes it out of the
 * client's in-flight store (MQTT.js re-sends in-flight messages on every reconnect) and rejects
 * `done`. Clients without an in-flight store (the mock) cannot withdraw; `done` then stays as is.
 */
export function publishWithdrawable(client: MqttClientLike, topic: string, payload: string | Uint8Array, options: PublishOptions = {}): { done: Promise<void>; withdraw(): void } {
  const live = client as { outgoing?: Record<string, { cb?: unknown }>; removeOutgoingMessage?: (messageId: number) => unknown };
  let callback!: (error?: Error) => void;
  // MQTT.js wraps the callback when it re-sends after a reconnect: the message id, taken while
  // the entry still holds ours, is what finds it then.
  const find = () => Object.entries(live.outgoing ?? {}).find(([, entry]) => entry.cb === callback)?.[0];
  const done = new Promise<void>((resolve, reject) => {
    callback = (error) => (error ? reject(error) : resolve());
    client.publish(topic, payload, options, callback);
  });
  let messageId = find();
  const withdraw = () => {
    messageId ??= find();
    if (messageId !== undefined) live.removeOutgoingMessage?.(Number(messageId));
  };
  return { done, withdraw };
}

/**
 * Subscribes and resolves with the grants. Unlike MQTT.js' `subscribeAsync`, a refused topic
 * (granted QoS 128) does not reject: callers decide what a refusal means.
 */
export function subscribeAsync(client: MqttClientLike, topics: string | string[], qos: QoS = 1): Promise<SubscriptionGrant[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(topics, { qos }, (error, granted) => {
      if (error && !granted) reject(error);
      else resolve(granted ?? []);
    });
  });
}

export function unsubscribeAsync(client: MqttClientLike, topics: string | string[]): Promise<void> {
  return new Promise((resolve) => {
    // An unsubscribe that fails because the connection dropped leaves nothing to clean up.
    client.unsubscribe(topics, () => resolve());
  });
}

/** The client id of a connected client, or undefined when the client does not expose one. */
export function clientIdOf(client: MqttClientLike): string | undefined {
  return client.options?.clientId;
}

// -- MQTT.js specifics ------------------------------------------------------------------------
// The helpers below are structural: on a client that lacks an internal they fall back to its
// public surface, so the mock client and app wrappers work with them too.

/** What a client may expose beyond {@link MqttClientLike}; MQTT.js has all of it. */
interface ClientInternals {
  options?: { username?: string; password?: string | Uint8Array; clientId?: string; reconnectPeriod?: number };
  reconnect?: (options?: { incomingStore?: unknown; outgoingStore?: unknown }) => unknown;
  incomingStore?: unknown;
  outgoingStore?: unknown;
  stream?: { destroy?: () => void };
  end?: (force?: boolean, options?: object, callback?: () => void) => unknown;
  disconnecting?: boolean;
}

const internals = (client: object): ClientInternals => client as ClientInternals;

/** A client the kit can reconnect itself (MQTT.js, the mock client). */
export interface ReconnectableClient {
  reconnect(options?: { incomingStore?: unknown; outgoingStore?: unknown }): unknown;
  readonly disconnecting?: boolean;
  readonly incomingStore?: unknown;
  readonly outgoingStore?: unknown;
}

/**
 * Reconnects keeping QoS 1 messages in flight. MQTT.js' bare `reconnect()` swaps in empty message
 * stores, silently dropping an in-flight publish (a request, an abort, a status, a `complete`);
 * handing it the current stores keeps them for resend on the new connection.
 */
export function reconnectKeepingInflight(client: ReconnectableClient | MqttClientLike): void {
  const live = internals(client);
  if (live.incomingStore !== undefined || live.outgoingStore !== undefined) live.reconnect?.({ incomingStore: live.incomingStore, outgoingStore: live.outgoingStore });
  else live.reconnect?.();
}

/** The credentials and client id the next (re)connect presents; the live session keeps its own. */
export interface ConnectIdentity {
  username?: string;
  password?: string;
  clientId?: string;
}

/** Sets what the client presents on its next CONNECT (MQTT.js reads `options` at every connect). */
export function setConnectIdentity(client: MqttClientLike, identity: ConnectIdentity): void {
  const options = internals(client).options;
  if (!options) return;
  if (identity.username !== undefined) options.username = identity.username;
  if (identity.password !== undefined) options.password = identity.password;
  if (identity.clientId !== undefined) options.clientId = identity.clientId;
}

/** Kills the socket as a network failure would (no DISCONNECT is sent): demos and fault tests. */
export function destroySocket(client: MqttClientLike): void {
  const live = internals(client);
  if (live.stream?.destroy) live.stream.destroy();
  else live.end?.(true);
}

/** Ends the client for good: no reconnect follows. `force` skips waiting for in-flight messages. */
export function endClient(client: MqttClientLike, force = true): Promise<void> {
  return new Promise((resolve) => {
    const end = internals(client).end;
    if (!end) return resolve();
    end.call(client, force, {}, () => resolve());
  });
}

/** The automatic reconnect period of an app-owned client in ms, 0 when it does not reconnect itself. */
export function reconnectPeriodOf(client: MqttClientLike): number {
  return internals(client).options?.reconnectPeriod ?? 0;
}

/** CONNACK 4/5 (MQTT 3.1.1) and 134/135 (MQTT 5): the broker refused the credentials. */
export function isCredentialRefusal(error: Error & { code?: unknown }): boolean {
  return error.code === 4 || error.code === 5 || error.code === 134 || error.code === 135;
}

/** Adds a listener whatever the event, for wrappers that forward events they do not interpret. */
export function addClientListener(client: MqttClientLike, event: keyof MqttClientEvents, listener: (...args: never[]) => void): void {
  (client.on as (event: string, listener: (...args: never[]) => void) => unknown).call(client, event, listener);
}

/** Removes a listener added with {@link addClientListener}. */
export function removeClientListener(client: MqttClientLike, event: keyof MqttClientEvents, listener: (...args: never[]) => void): void {
  (client.off as (event: string, listener: (...args: never[]) => void) => unknown).call(client, event, listener);
}

/** What the managed connection asks of a new client. */
export interface OpenClientOptions extends ConnectIdentity {
  clientId: string;
  protocolVersion: 4 | 5;
  /** Asked at every (re)connect: the broker URL to use now (failover moves it). */
  url(): string;
}

/** Opens a client that does not reconnect on its own; the kit's managed connection drives it. */
export type OpenClient = (options: OpenClientOptions) => MqttClientLike;

/**
 * The default {@link OpenClient}: an MQTT.js client over WebSocket. MQTT.js builds the WebSocket
 * URL at every connect and lets `transformWsUrl` replace it, which is how a reconnect reaches
 * another broker while keeping the same client, its listeners and its in-flight messages.
 */
export const openMqttJsClient: OpenClient = (options) =>
  mqtt.connect(options.url(), {
    clientId: options.clientId,
    username: options.username,
    password: options.password,
    protocolVersion: options.protocolVersion,
    reconnectPeriod: 0, // reconnects are the kit's: backoff with jitter, fresh credentials, failover
    connectTimeout: 10_000,
    resubscribe: false, // the transport resubscribes what it still needs
    clean: true,
    keepalive: 30,
    transformWsUrl: () => options.url(),
  });
