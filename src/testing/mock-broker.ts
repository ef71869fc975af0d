/**
 * An in-memory MQTT broker for tests and stories: topic wildcards, retained messages, QoS 0/1
 * acknowledgements, shared subscriptions, latency and fault injection. Browser-safe: no Node
 * imports, payloads are `Uint8Array`.
 *
 * Model: a client's packets reach the broker at once (subscriptions take effect and publishes are
 * routed when the call is made); everything the broker sends to a client (messages,
 * acknowledgements) travels through that client's in-order downlink, which adds `latencyMs`,
 * honours `stall()` and is discarded when the connection dies. Sessions are clean: a client that
 * is not connected has no subscriptions at the broker, so messages published meanwhile are lost.
 */
import type { QoS, SubscriptionGrant } from '../transport/mqtt-client.js';
import {
  MockMqttClient,
  type BrokerPort,
  type BrokerSession,
  type ClientSink,
  type ConnectResult,
  type MockClientOptions,
  type MockConnectOptions,
  type MockPublishPacket,
  type SubscribeRequest,
} from './mock-client.js';

export type { MockConnectOptions, MockPublishPacket } from './mock-client.js';
export { MockMqttClient } from './mock-client.js';

/** Options of {@link createMockBroker}. */
export interface MockBrokerOptions {
  /** Delay, in ms, of everything the broker sends to a client. Default 0 (a microtask). */
  latencyMs?: number;
  /**
   * Whether `$share/{group}/{filter}` subscriptions deliver (round-robin within the group).
   * Default true. When false the broker grants them and delivers nothing, as Aedes does.
   */
  supportsSharedSubscriptions?: boolean;
  /**
   * Accepts or refuses a connection. A refused client emits `error` ("Connection refused: Not
   * authorized", `code` 5), then `close`. Default: every connection is accepted.
   */
  authenticate?: (credentials: { clientId: string; username?: string; password?: string }) => boolean;
}

/** Options of {@link MockBroker.inject}. */
export interface MockInjectOptions {
  retain?: boolean;
  qos?: QoS;
}

/** Decides whether one message to one client is lost; see {@link MockBroker.dropMessages}. */
export type MockDropPredicate = (topic: string, payload: Uint8Array, toClientId: string) => boolean;

/** One subscription held by the broker, as {@link MockBroker.subscriptions} reports it. */
export interface MockSubscriptionInfo {
  clientId: string;
  /** The filter as subscribed, including any `$share/{group}/` prefix. */
  topic: string;
  qos: QoS;
  /** The share group of a `$share/...` subscription. */
  group?: string;
}

/** A retained message, as {@link MockBroker.retained} reports it. */
export interface MockRetainedMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
}

/** Message counters of a broker. */
export interface MockBrokerStats {
  /** Publishes the broker accepted, from clients and from `inject`. */
  published: number;
  /** Messages handed to a client's `message` listeners. */
  delivered: number;
  /**
   * Messages that were due to a client and never reached it: matched by `dropMessages`, queued when
   * the connection died, or sent to an unsupported shared subscription.
   */
  dropped: number;
}

// ---------------------------------------------------------------------------------------------
// Topic names and filters

const SHARE_PREFIX = '$share/';

/** True when `topic` can be published to: not empty, no wildcard, no NUL. */
export function isValidTopicName(topic: string): boolean {
  return topic.length > 0 && !/[+#\u0000]/.test(topic);
}

/** True when `filter` is a valid subscription filter (`+` and `#` each alone in a level, `#` last). */
export function isValidTopicFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((level, index) => {
    if (level.includes('#')) return level === '#' && index === levels.length - 1;
    return !level.includes('+') || level === '+';
  });
}

/**
 * True when the topic name `topic` matches the filter `filter` under MQTT rules: `+` matches one
 * level, `#` the rest (including the parent level itself), and a topic starting with `$` is not
 * matched by a filter starting with a wildcard.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return true;
    if (i >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}

/** Splits `$share/{group}/{filter}`; undefined when `filter` is not a valid shared filter. */
function parseSharedFilter(filter: string): { group: string; filter: string } | undefined {
  const rest = filter.slice(SHARE_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const group = rest.slice(0, slash);
  const inner = rest.slice(slash + 1);
  if (/[+#]/.test(group) || !isValidTopicFilter(inner)) return undefined;
  return { group, filter: inner };
}

// ---------------------------------------------------------------------------------------------
// Broker-side connection

interface Subscription {
  /** As subscribed, the key of the connection's subscription map. */
  topic: string;
  /** The filter that is matched against topic names (without `$share/{group}/`). */
  filter: string;
  qos: QoS;
  group?: string;
}

type Outbound = { dueAt: number } & (
  | { kind: 'message'; packet: MockPublishPacket }
  | { kind: 'reply'; run: () => void; fail: (error: Error) => void }
);

/**
 * One live client connection at the broker: its subscriptions and its downlink, a queue that
 * hands messages and replies to the client in order, each no earlier than its due time and not
 * while the client is stalled.
 */
class Connection {
  readonly subscriptions = new Map<string, Subscription>();
  open = true;
  private readonly queue: Outbound[] = [];
  private lastDueAt = 0;
  private flushScheduled = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly clientId: string,
    private readonly sink: ClientSink,
    private readonly broker: MockBroker,
    private readonly onDelivered: () => void,
  ) {}

  sendMessage(packet: MockPublishPacket): void {
    this.push({ kind: 'message', packet, dueAt: this.nextDueAt() });
  }

  /** Queues an answer to one of the client's requests (PUBACK, SUBACK, UNSUBACK). */
  sendReply(run: () => void, fail: (error: Error) => void): void {
    this.push({ kind: 'reply', run, fail, dueAt: this.nextDueAt() });
  }

  /** Closes the downlink: queued messages are lost, waiting replies fail. Returns how many messages were lost. */
  shutDown(): number {
    this.open = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    let lost = 0;
    for (const item of this.queue.splice(0)) {
      if (item.kind === 'message') lost++;
      else queueMicrotask(() => item.fail(new Error('Connection closed')));
    }
    return lost;
  }

  /** Tells the client its connection died. */
  notifyLost(): void {
    this.sink.lost();
  }

  /** Re-plans the next flush, e.g. after the stall of this client changed. */
  reschedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.flushScheduled = false;
    this.schedule();
  }

  /** Due times never go backwards, so a latency change cannot reorder the downlink. */
  private nextDueAt(): number {
    this.lastDueAt = Math.max(Date.now() + this.broker.latencyMs, this.lastDueAt);
    return this.lastDueAt;
  }

  private push(item: Outbound): void {
    if (!this.open) return;
    this.queue.push(item);
    this.schedule();
  }

  private readyAt(item: Outbound): number {
    return Math.max(item.dueAt, this.broker.stalledUntil(this.clientId));
  }

  private schedule(): void {
    if (this.flushScheduled || !this.open || this.queue.length === 0) return;
    this.flushScheduled = true;
    const wait = this.readyAt(this.queue[0]) - Date.now();
    if (wait <= 0) queueMicrotask(() => this.flush());
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.flushScheduled = false;
    // Timers may fire a millisecond early by the wall clock: allow for it.
    while (this.open && this.queue.length > 0 && this.readyAt(this.queue[0]) <= Date.now() + 1) {
      const item = this.queue.shift()!;
      if (item.kind === 'reply') {
        item.run();
      } else {
        this.onDelivered();
        this.sink.message(item.packet);
      }
    }
    this.schedule();
  }
}

/** Members of one shared subscription (one group and filter), served round-robin. */
interface ShareGroup {
  group: string;
  filter: string;
  members: Connection[];
  next: number;
}

// ---------------------------------------------------------------------------------------------
// Broker

/**
 * The in-memory broker. Create it with {@link createMockBroker}, get clients with
 * {@link MockBroker.connect}, and break things with the fault-injection methods.
 */
export class MockBroker {
  /** Current downlink latency in ms; see {@link MockBroker.setLatency}. */
  latencyMs: number;
  readonly supportsSharedSubscriptions: boolean;

  private readonly connections = new Map<string, Connection>();
  private readonly retainedMessages = new Map<string, MockRetainedMessage>();
  private readonly shareGroups = new Map<string, ShareGroup>();
  private readonly dropRules = new Set<MockDropPredicate>();
  private readonly swallowRules = new Set<MockDropPredicate>();
  private readonly stalls = new Map<string, number>();
  private readonly allClients = new Set<MockMqttClient>();
  private readonly authenticate: MockBrokerOptions['authenticate'];
  private readonly counters: MockBrokerStats = { published: 0, delivered: 0, dropped: 0 };
  private offline = false;
  private closed = false;
  private clientCount = 0;

  constructor(options: MockBrokerOptions = {}) {
    this.latencyMs = Math.max(0, options.latencyMs ?? 0);
    this.supportsSharedSubscriptions = options.supportsSharedSubscriptions ?? true;
    this.authenticate = options.authenticate;
  }

  /**
   * Creates a client and starts connecting it. The client emits `connect` on a microtask (or after
   * `connectDelayMs`); until then publishes fail and subscribes wait.
   */
  connect(options: MockConnectOptions = {}): MockMqttClient {
    const clientId = options.clientId ?? `mockclient_${++this.clientCount}`;
    const client = new MockMqttClient(this.port, { ...options, clientId });
    this.allClients.add(client);
    return client;
  }

  // -- fault injection ------------------------------------------------------------------------

  /**
   * Kills the connection of `clientId` as a dead socket would: the client emits `close` then
   * `offline` before this returns, and messages queued to it are lost. It comes back on
   * `reconnect()` or after its `reconnectPeriod`. Returns false when no such client is connected.
   */
  dropClient(clientId: string): boolean {
    const connection = this.connections.get(clientId);
    if (!connection) return false;
    this.disconnect(connection);
    connection.notifyLost();
    return true;
  }

  /**
   * Loses every message the broker would send to a client while `predicate(topic, payload,
   * clientId)` is true, silently (the connection stays up). The predicate is asked when the broker
   * routes a message (live or retained); messages already queued are not affected. Returns a
   * function that removes the rule.
   */
  dropMessages(predicate: MockDropPredicate): () => void {
    this.dropRules.add(predicate);
    return () => {
      this.dropRules.delete(predicate);
    };
  }

  /**
   * Takes in every publish a client sends while `predicate(topic, payload, fromClientId)` is true
   * and does nothing with it: neither routed nor acknowledged, and the connection stays up. RabbitMQ
   * does this to a QoS 1 publish routed to a queue whose node dies before confirming it. Returns a
   * function that removes the rule.
   */
  swallowPublishes(predicate: MockDropPredicate): () => void {
    this.swallowRules.add(predicate);
    return () => {
      this.swallowRules.delete(predicate);
    };
  }

  /**
   * Holds everything the broker sends to `clientId` for `ms` from now, then delivers it in order.
   * The client stays connected; its own publishes still reach the broker.
   */
  stall(clientId: string, ms: number): void {
    this.stalls.set(clientId, Date.now() + Math.max(0, ms));
    this.connections.get(clientId)?.reschedule();
  }

  /** Changes the downlink latency of messages sent from now on. Order is kept. */
  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /**
   * `true`: the broker goes down: every client is dropped (as by {@link dropClient}) and new
   * connections are refused (the client emits `close`). `false`: it accepts connections again.
   */
  setOffline(offline: boolean): void {
    this.offline = offline;
    if (offline) for (const clientId of [...this.connections.keys()]) this.dropClient(clientId);
  }

  /** Publishes as a sender that is not one of the broker's clients. Throws on an invalid topic. */
  inject(topic: string, payload: string | Uint8Array, options: MockInjectOptions = {}): void {
    if (!isValidTopicName(topic)) throw new Error(`Invalid topic name: ${JSON.stringify(topic)}`);
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload.slice();
    this.route(topic, bytes, options.qos ?? 0, options.retain ?? false);
  }

  // -- introspection --------------------------------------------------------------------------

  /** Ids of the connected clients. */
  clients(): string[] {
    return [...this.connections.keys()];
  }

  /** Subscriptions held by the broker, of one client or of all. */
  subscriptions(clientId?: string): MockSubscriptionInfo[] {
    const connections = clientId === undefined ? [...this.connections.values()] : [this.connections.get(clientId)].filter((c) => c !== undefined);
    return connections.flatMap((connection) =>
      [...connection.subscriptions.values()].map(({ topic, qos, group }) => ({
        clientId: connection.clientId,
        topic,
        qos,
        ...(group === undefined ? {} : { group }),
      })),
    );
  }

  /** The retained message of `topic`, if any. */
  retained(topic: string): MockRetainedMessage | undefined {
    const message = this.retainedMessages.get(topic);
    return message && { ...message, payload: message.payload.slice() };
  }

  /** A snapshot of the message counters. */
  get stats(): MockBrokerStats {
    return { ...this.counters };
  }

  /** When the stall of `clientId` ends (ms since epoch); 0 when it is not stalled. */
  stalledUntil(clientId: string): number {
    return this.stalls.get(clientId) ?? 0;
  }

  /**
   * Shuts the broker down for good and ends every client it created (they emit `close` and
   * `end`), so no timer outlives it. To test a broker outage, use {@link setOffline}.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const connection of [...this.connections.values()]) this.disconnect(connection);
    await Promise.all([...this.allClients].map((client) => client.endAsync(true)));
  }

  // -- internals ------------------------------------------------------------------------------

  private readonly port: BrokerPort = {
    open: (options, sink) => this.open(options, sink),
  };

  private open(options: MockClientOptions & { password?: string }, sink: ClientSink): ConnectResult {
    if (this.offline || this.closed) return { ok: false };
    const { clientId, username, password } = options;
    if (this.authenticate && !this.authenticate({ clientId, username, password })) {
      return { ok: false, error: Object.assign(new Error('Connection refused: Not authorized'), { code: 5 }) };
    }
    // Session takeover: a second connection with the same id ends the first.
    this.dropClient(clientId);
    const connection = new Connection(clientId, sink, this, () => this.counters.delivered++);
    this.connections.set(clientId, connection);
    return { ok: true, session: this.sessionOf(connection) };
  }

  private sessionOf(connection: Connection): BrokerSession {
    const alive = () => connection.open;
    return {
      publish: (topic, payload, qos, retain, done) => {
        if (!alive()) return queueMicrotask(() => done(new Error('Connection closed')));
        if (!isValidTopicName(topic)) return queueMicrotask(() => done(new Error(`Invalid topic ${JSON.stringify(topic)}`)));
        for (const swallows of this.swallowRules) if (swallows(topic, payload, connection.clientId)) return;
        this.route(topic, payload, qos, retain);
        // QoS 0 completes once written; QoS 1 and 2 when the broker's acknowledgement arrives.
        if (qos === 0) queueMicrotask(() => done());
        else connection.sendReply(() => done(), done);
      },
      subscribe: (requests, done) => {
        if (!alive()) return queueMicrotask(() => done(new Error('Connection closed')));
        const grants = requests.map((request) => this.addSubscription(connection, request));
        connection.sendReply(() => done(null, grants), (error) => done(error));
        // Retained messages follow the SUBACK, as on a real broker.
        requests.forEach((request, i) => {
          const subscription = connection.subscriptions.get(request.topic);
          if (grants[i].qos !== 128 && subscription && subscription.group === undefined) this.sendRetained(connection, subscription);
        });
      },
      unsubscribe: (topics, done) => {
        if (!alive()) return queueMicrotask(() => done(new Error('Connection closed')));
        for (const topic of topics) this.removeSubscription(connection, topic);
        connection.sendReply(() => done(), done);
      },
      close: () => {
        if (alive()) this.disconnect(connection);
      },
    };
  }

  /** Removes a connection from the broker: its subscriptions go, its downlink shuts. */
  private disconnect(connection: Connection): void {
    if (this.connections.get(connection.clientId) === connection) this.connections.delete(connection.clientId);
    for (const topic of [...connection.subscriptions.keys()]) this.removeSubscription(connection, topic);
    this.counters.dropped += connection.shutDown();
  }

  private addSubscription(connection: Connection, request: SubscribeRequest): SubscriptionGrant {
    const refused = { topic: request.topic, qos: 128 };
    const qos = Math.min(Math.max(request.qos, 0), 2) as QoS;
    let subscription: Subscription;
    if (request.topic.startsWith(SHARE_PREFIX)) {
      const shared = parseSharedFilter(request.topic);
      if (!shared) return refused;
      subscription = { topic: request.topic, filter: shared.filter, qos, group: shared.group };
    } else {
      if (!isValidTopicFilter(request.topic)) return refused;
      subscription = { topic: request.topic, filter: request.topic, qos };
    }
    connection.subscriptions.set(request.topic, subscription);
    if (subscription.group !== undefined) this.joinShareGroup(connection, subscription.group, subscription.filter);
    return { topic: request.topic, qos };
  }

  private removeSubscription(connection: Connection, topic: string): void {
    const subscription = connection.subscriptions.get(topic);
    if (!subscription) return;
    connection.subscriptions.delete(topic);
    if (subscription.group !== undefined) this.leaveShareGroup(connection, subscription.group, subscription.filter);
  }

  private joinShareGroup(connection: Connection, group: string, filter: string): void {
    const key = `${group}\u0000${filter}`;
    let shareGroup = this.shareGroups.get(key);
    if (!shareGroup) this.shareGroups.set(key, (shareGroup = { group, filter, members: [], next: 0 }));
    if (!shareGroup.members.includes(connection)) shareGroup.members.push(connection);
  }

  private leaveShareGroup(connection: Connection, group: string, filter: string): void {
    const key = `${group}\u0000${filter}`;
    const shareGroup = this.shareGroups.get(key);
    if (!shareGroup) return;
    shareGroup.members = shareGroup.members.filter((member) => member !== connection);
    if (shareGroup.members.length === 0) this.shareGroups.delete(key);
  }

  /** Accepts one publish: stores or clears the retained copy and sends it to every subscriber. */
  private route(topic: string, payload: Uint8Array, qos: QoS, retain: boolean): void {
    this.counters.published++;
    if (retain) {
      if (payload.length === 0) this.retainedMessages.delete(topic);
      else this.retainedMessages.set(topic, { topic, payload: payload.slice(), qos });
    }
    // A client with several matching subscriptions gets one copy, at the highest of their QoS.
    for (const connection of this.connections.values()) {
      let best = -1;
      for (const subscription of connection.subscriptions.values()) {
        if (subscription.group === undefined && topicMatches(subscription.filter, topic)) best = Math.max(best, subscription.qos);
      }
      if (best >= 0) this.send(connection, topic, payload, Math.min(qos, best) as QoS, false);
    }
    // Each share group that matches gets one copy, for one member in turn.
    for (const shareGroup of this.shareGroups.values()) {
      if (!topicMatches(shareGroup.filter, topic)) continue;
      if (!this.supportsSharedSubscriptions) {
        this.counters.dropped++;
        continue;
      }
      const member = shareGroup.members[shareGroup.next++ % shareGroup.members.length];
      const subscription = [...member.subscriptions.values()].find((s) => s.group === shareGroup.group && s.filter === shareGroup.filter);
      this.send(member, topic, payload, Math.min(qos, subscription?.qos ?? 0) as QoS, false);
    }
  }

  private sendRetained(connection: Connection, subscription: Subscription): void {
    for (const message of this.retainedMessages.values()) {
      if (topicMatches(subscription.filter, message.topic)) {
        this.send(connection, message.topic, message.payload, Math.min(message.qos, subscription.qos) as QoS, true);
      }
    }
  }

  /** Hands one message to a connection's downlink, unless a drop rule loses it. */
  private send(connection: Connection, topic: string, payload: Uint8Array, qos: QoS, retain: boolean): void {
    for (const rule of this.dropRules) {
      if (rule(topic, payload, connection.clientId)) {
        this.counters.dropped++;
        return;
      }
    }
    connection.sendMessage({ cmd: 'publish', topic, payload: payload.slice(), qos, retain, dup: false });
  }
}

/** Creates an in-memory MQTT broker; see {@link MockBroker}. */
export function createMockBroker(options: MockBrokerOptions = {}): MockBroker {
  return new MockBroker(options);
}
