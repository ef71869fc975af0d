/**
 * The one place a server-side MQTT client's messages are dispatched and its subscriptions kept.
 * Every server part (the worker's request and query intake, the per-turn control topics, worker
 * presence) registers a route here instead of listening to `message` and resubscribing on
 * `connect` by itself. One resubscribe policy: after every reconnect, each filter still held is
 * subscribed again, once, in one SUBSCRIBE (clean sessions forget them at the broker).
 */
import { backoffDelay, type BackoffOptions } from '../transport/backoff.js';
import { subscribeAsync, unsubscribeAsync, type MqttClientLike, type QoS, type SubscriptionGrant } from '../transport/mqtt-client.js';

/**
 * Backoff between SUBSCRIBE attempts that failed: a broker cluster that is still forming refuses
 * or drops them for a while (measured on RabbitMQ after a whole-cluster restart).
 */
export const RESUBSCRIBE_BACKOFF: BackoffOptions = { initialDelay: 250, maxDelay: 5_000 };

/** A refused grant (SUBACK return code 0x80). */
const REFUSED = 128;

/** What a route does with a message whose topic it recognised. */
export type RouteHandler = (topic: string, payload: Uint8Array, packet: { retain?: boolean } | undefined) => void;

/** A registered route: subscribed once `ready` resolves; `release()` drops it (and the filter when no route holds it). */
export interface Route {
  readonly ready: Promise<SubscriptionGrant[]>;
  release(): Promise<void>;
}

/** Options of {@link MessageDispatcher.route}. */
export interface RouteOptions {
  /**
   * The filters this route needs subscribed. Filters are reference counted across routes: the
   * broker sees one SUBSCRIBE when the first route needs a filter and one UNSUBSCRIBE when the last
   * lets it go.
   */
  filters: readonly string[];
  /** True for topics this route takes. Routes match by parsing, so no wildcard matcher is repeated here. */
  accepts: (topic: string) => boolean;
  handler: RouteHandler;
  qos?: QoS;
}

interface RouteEntry {
  accepts: (topic: string) => boolean;
  handler: RouteHandler;
}

/** Routes one client's messages to the server parts that registered for them. One per client. */
export class MessageDispatcher {
  private static readonly dispatchers = new WeakMap<MqttClientLike, MessageDispatcher>();

  /** The dispatcher of `client`, created on first use and shared by every server part using it. */
  static for(client: MqttClientLike): MessageDispatcher {
    let dispatcher = MessageDispatcher.dispatchers.get(client);
    if (!dispatcher) {
      dispatcher = new MessageDispatcher(client);
      MessageDispatcher.dispatchers.set(client, dispatcher);
    }
    return dispatcher;
  }

  private readonly routes = new Set<RouteEntry>();
  /** Exact-topic routes (per-chat control topics): a map lookup instead of a scan per message. */
  private readonly exact = new Map<string, Set<RouteHandler>>();
  private readonly filterRefs = new Map<string, { count: number; qos: QoS }>();
  private readonly reconnectListeners = new Set<() => void>();
  /** Counts connections, so a retry loop of an earlier connection stops when a new one starts. */
  private connection = 0;
  /** Messages no route took. */
  unrouted = 0;
  /** SUBSCRIBE attempts that failed or were refused and were tried again. */
  subscribeRetries = 0;

  private constructor(private readonly client: MqttClientLike) {
    client.on('message', this.onMessage);
    client.on('connect', this.onConnect);
  }

  private readonly onMessage = (topic: string, payload: Uint8Array, packet?: unknown): void => {
    const meta = packet as { retain?: boolean } | undefined;
    let taken = false;
    const exact = this.exact.get(topic);
    if (exact) {
      taken = true;
      for (const handler of [...exact]) handler(topic, payload, meta);
    }
    for (const route of this.routes) {
      if (!route.accepts(topic)) continue;
      taken = true;
      route.handler(topic, payload, meta);
    }
    if (!taken) this.unrouted++;
  };

  private readonly onConnect = (): void => {
    this.connection++;
    // Also on a first connect: routes registered while offline subscribed nothing yet.
    const byQos = new Map<QoS, string[]>();
    for (const [filter, { qos }] of this.filterRefs) byQos.set(qos, [...(byQos.get(qos) ?? []), filter]);
    // A filter held before the connection dropped was granted once: a refusal now is the broker
    // not being ready (a cluster still forming), so refused filters are tried again too.
    for (const [qos, filters] of byQos) void this.subscribeUntilDone(filters, qos, true);
    for (const listener of [...this.reconnectListeners]) listener();
  };

  /**
   * Subscribes `filters` on this connection, trying again with bounded backoff after a failed
   * SUBSCRIBE (and, with `retryRefused`, after refused grants) until it succeeds, the filters are
   * let go, or the connection ends (the next connect subscribes every held filter again).
   */
  private async subscribeUntilDone(filters: readonly string[], qos: QoS, retryRefused: boolean): Promise<SubscriptionGrant[]> {
    const connection = this.connection;
    let pending = [...filters];
    const grants: SubscriptionGrant[] = [];
    for (let attempt = 1; ; attempt++) {
      pending = pending.filter((filter) => this.filterRefs.has(filter));
      if (pending.length === 0 || !this.client.connected || connection !== this.connection) return grants;
      try {
        const granted = await subscribeAsync(this.client, pending, qos);
        const refused = retryRefused ? pending.filter((_, i) => granted[i]?.qos === REFUSED) : [];
        grants.push(...granted.filter((grant) => !refused.includes(grant.topic)));
        if (refused.length === 0) return grants;
        pending = refused;
      } catch {
        // The SUBSCRIBE failed (the connection dropped or the broker rejected it): try again below.
      }
      this.subscribeRetries++;
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, RESUBSCRIBE_BACKOFF)));
    }
  }

  /** Registers a route and subscribes the filters it needs. */
  route(options: RouteOptions): Route {
    const entry: RouteEntry = { accepts: options.accepts, handler: options.handler };
    this.routes.add(entry);
    return onceReleased(this.hold(options.filters, options.qos ?? 1), async () => {
      this.routes.delete(entry);
      await this.letGo(options.filters);
    });
  }

  /** Registers a handler for exactly `topic` (subscribed as a filter of its own). */
  routeExact(topic: string, handler: RouteHandler, qos: QoS = 1): Route {
    let handlers = this.exact.get(topic);
    if (!handlers) this.exact.set(topic, (handlers = new Set()));
    handlers.add(handler);
    return onceReleased(this.hold([topic], qos), async () => {
      const current = this.exact.get(topic);
      current?.delete(handler);
      if (current?.size === 0) this.exact.delete(topic);
      await this.letGo([topic]);
    });
  }

  /** Called after every reconnect, once the held filters were subscribed again (presence heartbeats). */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /** Filters currently held, for tests and stats. */
  get filters(): string[] {
    return [...this.filterRefs.keys()];
  }

  private hold(filters: readonly string[], qos: QoS): Promise<SubscriptionGrant[]> {
    const fresh: string[] = [];
    for (const filter of filters) {
      const ref = this.filterRefs.get(filter);
      if (ref) ref.count++;
      else {
        this.filterRefs.set(filter, { count: 1, qos });
        fresh.push(filter);
      }
    }
    if (fresh.length === 0) return Promise.resolve([]);
    // A client that is not connected subscribes on its next connect (the resubscribe above).
    if (!this.client.connected) return Promise.resolve([]);
    // A refusal of a first SUBSCRIBE is an answer for the caller (a broker without shared
    // subscriptions refuses `$share/...`); a failed one is tried again.
    return this.subscribeUntilDone(fresh, qos, false);
  }

  private async letGo(filters: readonly string[]): Promise<void> {
    const gone: string[] = [];
    for (const filter of filters) {
      const ref = this.filterRefs.get(filter);
      if (!ref) continue;
      if (--ref.count === 0) {
        this.filterRefs.delete(filter);
        gone.push(filter);
      }
    }
    if (gone.length > 0 && this.client.connected) await unsubscribeAsync(this.client, gone);
  }
}

/** A route whose release runs its clean-up once, however often it is called. */
function onceReleased(ready: Route["ready"], cleanUp: () => Promise<void>): Route {
  let released = false;
  return {
    ready,
    release: async () => {
      if (released) return;
      released = true;
      await cleanUp();
    },
  };
}
