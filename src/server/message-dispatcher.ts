/**
 * The one place a server-side MQTT client's messages are dispatched and its subscriptions kept.
 * Every server part (the worker's request and query intake, the per-turn control topics, worker
 * presence) registers a route here instead of listening to `message` and resubscribing on
 * `connect` by itself. One resubscribe policy: after every reconnect, each filter still held is
 * subscribed again, once, in one SUBSCRIBE (clean sessions forget them at the broker).
 */
import { subscribeAsync, unsubscribeAsync, type MqttClientLike, type QoS, type SubscriptionGrant } from '../transport/mqtt-client.js';

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
  /** Messages no route took. */
  unrouted = 0;

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
    // Also on a first connect: routes registered while offline subscribed nothing yet.
    const byQos = new Map<QoS, string[]>();
    for (const [filter, { qos }] of this.filterRefs) byQos.set(qos, [...(byQos.get(qos) ?? []), filter]);
    for (const [qos, filters] of byQos) void subscribeAsync(this.client, filters, qos).catch(() => undefined);
    for (const listener of [...this.reconnectListeners]) listener();
  };

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
    return subscribeAsync(this.client, fresh, qos).catch(() => []);
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
