/**
 * A transport's connection: `Connection` owns one driver and the one connection state store,
 * and `ConnectionManager` is a transport's lease on a connection.
 *
 * `Connection.apply` is the only writer of connection state: drivers report events, the reducer
 * of `connection-state.ts` decides the next snapshot, and listeners learn about ups and downs
 * from the transitions. Managed connections are shared between the transports of a page with
 * the same URLs and credentials (`connection-pool.ts`) and open no socket until a lease starts:
 * the first send, resume, retry, or subscription to the connection state.
 */
import type { ConnectionDriver, DriverSink } from './connection-driver.js';
import { INITIAL_CONNECTION, nextConnectionState, type ConnectionEvent, type ConnectionSnapshot } from './connection-state.js';
import { connectionPool, type PoolEntry } from './connection-pool.js';
import { AuthError } from './errors.js';
import { ExternalDriver } from './external-driver.js';
import { LeasedClient } from './leased-client.js';
import { ManagedDriver, type ManagedConnectionOptions } from './managed-driver.js';
import type { MqttClientLike } from './mqtt-client.js';
import { Store, type ReadableStore } from './store.js';

export { MANAGED_CONNECTION_DEFAULTS, type ManagedConnectionOptions } from './managed-driver.js';

/** The connection options a transport passes through its `connection` option. */
export type ConnectionTuning = Pick<ManagedConnectionOptions, 'backoff' | 'protocolVersion' | 'refreshMargin' | 'clientId' | 'share' | 'openClient'>;

/** Told when the connection comes up and when a connection that was up goes down. */
export interface ConnectionListener {
  onConnected(client: MqttClientLike, firstTime: boolean): void;
  onLost(reason: string): void;
}

/** One driven MQTT connection and its state. */
export class Connection {
  private readonly store = new Store<ConnectionSnapshot>(INITIAL_CONNECTION);
  readonly state: ReadableStore<ConnectionSnapshot> = this.store;
  readonly driver: ConnectionDriver;
  private readonly listeners = new Set<ConnectionListener>();
  private closedValue = false;

  constructor(createDriver: (sink: DriverSink) => ConnectionDriver) {
    this.driver = createDriver({ dispatch: (event) => this.apply(event), snapshot: () => this.store.getSnapshot() });
  }

  get closed(): boolean {
    return this.closedValue;
  }

  /** Up, as the state says and as the client says (a socket can die before its `close` event). */
  get connected(): boolean {
    return this.store.getSnapshot().status === 'connected' && !!this.driver.client?.connected;
  }

  addListener(listener: ConnectionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (!this.closedValue) this.driver.start();
  }

  close(): void {
    if (this.closedValue) return;
    this.closedValue = true;
    this.driver.close();
    this.apply({ type: 'closed' });
    this.listeners.clear();
  }

  /** The only write of connection state. */
  private apply(event: ConnectionEvent): void {
    const before = this.store.getSnapshot();
    const after = nextConnectionState(before, event);
    this.store.update(after);
    const client = this.driver.client;
    if (before.status !== 'connected' && after.status === 'connected' && client) {
      for (const listener of [...this.listeners]) listener.onConnected(client, before.connectedAt === null);
    } else if (before.status === 'connected' && (event.type === 'lost' || event.type === 'browser-offline')) {
      const reason = event.type === 'lost' ? (event.reason ?? 'connection closed') : 'offline';
      for (const listener of [...this.listeners]) listener.onLost(reason);
    }
  }
}

/** How a transport connects: an app-owned client, or a managed connection from options. */
export type ConnectionMode = { kind: 'external'; client: MqttClientLike } | ({ kind: 'managed' } & ManagedConnectionOptions);

/**
 * A transport's lease on a connection. Cheap to create: nothing connects until the lease starts
 * (first `waitUntilConnected`, `retry`, or subscription to `state`). Closing the lease releases
 * its subscriptions and listeners; the connection itself ends with its last lease.
 */
export class ConnectionManager {
  /** The connection state; subscribing starts the connection (whoever shows it wants it up). */
  readonly state: ReadableStore<ConnectionSnapshot>;
  private entry: PoolEntry;
  private view: LeasedClient | null = null;
  private readonly listeners = new Set<ConnectionListener>();
  private unlisten: (() => void) | null = null;
  private started = false;
  private closed = false;
  private everConnected = false;
  private closedSnapshot: ConnectionSnapshot | null = null;

  constructor(
    private readonly mode: ConnectionMode,
    private readonly userIdOption: string | undefined,
  ) {
    this.entry = this.resolveEntry();
    this.state = {
      getSnapshot: () => this.closedSnapshot ?? this.entry.connection.state.getSnapshot(),
      subscribe: (listener) => {
        this.start();
        return this.entry.connection.state.subscribe(listener);
      },
    };
  }

  /** The user id topics are built from: the option, else what the auth endpoint said. */
  get userId(): string | undefined {
    return this.userIdOption ?? this.entry.connection.driver.userId;
  }

  get clientId(): string | undefined {
    return this.entry.connection.driver.clientId;
  }

  /** This lease's view of the client, once the lease started and the client exists. */
  get current(): MqttClientLike | null {
    return this.view && this.entry.connection.driver.client ? this.view : null;
  }

  get connected(): boolean {
    return this.started && !this.closed && this.entry.connection.connected;
  }

  addListener(listener: ConnectionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the lease (and the connection, if it is the first); idempotent. */
  start(): void {
    if (this.started || this.closed) return;
    if (this.entry.connection.closed) this.entry = this.resolveEntry();
    this.started = true;
    const entry = this.entry;
    connectionPool.hold(entry);
    const view = new LeasedClient(entry);
    this.view = view;
    this.unlisten = entry.connection.addListener({
      onConnected: () => this.notifyConnected(),
      onLost: (reason) => {
        for (const listener of [...this.listeners]) listener.onLost(reason);
      },
    });
    entry.connection.start();
    // Joining a connection that is already up: this lease has not heard of it yet.
    if (entry.connection.connected) this.notifyConnected();
  }

  /** Resolves once connected, or rejects with a network `TypeError` after `timeoutMs`. */
  waitUntilConnected(timeoutMs: number, signal?: AbortSignal): Promise<MqttClientLike> {
    this.start();
    const ready = () => (this.connected ? this.current : null);
    const now = ready();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const state = this.entry.connection.state;
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
      };
      const check = () => {
        const client = ready();
        const snapshot = state.getSnapshot();
        if (client) {
          done();
          resolve(client);
        } else if (this.closed || snapshot.status === 'error') {
          done();
          const error = snapshot.lastError;
          reject(error?.kind === 'auth' ? new AuthError(error.message) : new TypeError('MQTT network connection is not available.'));
        }
      };
      const onAbort = () => {
        done();
        reject(new DOMException('Aborted', 'AbortError'));
      };
      const timer = setTimeout(() => {
        done();
        reject(new TypeError(`MQTT network connection not established within ${timeoutMs} ms.`));
      }, timeoutMs);
      const unsubscribe = state.subscribe(check);
      signal?.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }

  /** Reconnect now: the banner's Retry button. Also leaves the `error` state. */
  retry(): void {
    if (this.closed) return;
    if (!this.started) return this.start();
    this.entry.connection.driver.retry();
  }

  /** Destroys the socket as a network failure would: for demos and fault tests. */
  dropConnection(): void {
    if (this.started && !this.closed) this.entry.connection.driver.drop();
  }

  /** Ends this lease; the connection ends with its last lease. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closedSnapshot = nextConnectionState(this.entry.connection.state.getSnapshot(), { type: 'closed' });
    this.listeners.clear();
    if (!this.started) return;
    this.unlisten?.();
    this.view?.detach();
    connectionPool.release(this.entry);
  }

  private notifyConnected(): void {
    const client = this.current;
    if (!client || this.closed) return;
    const firstTime = !this.everConnected;
    this.everConnected = true;
    for (const listener of [...this.listeners]) listener.onConnected(client, firstTime);
  }

  private resolveEntry(): PoolEntry {
    const mode = this.mode;
    if (mode.kind === 'external') return connectionPool.privateEntry(new Connection((sink) => new ExternalDriver(mode.client, sink)));
    const { kind: _kind, ...options } = mode;
    return connectionPool.entryFor(options, this.userIdOption, () => new Connection((sink) => new ManagedDriver(options, sink)));
  }
}
