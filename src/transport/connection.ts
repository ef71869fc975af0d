/**
 * Owns the MQTT connection of a transport and drives the connection state machine.
 *
 * Two modes: `external` (the app passes a connected client and owns its reconnects) and
 * `managed` (we connect with MQTT.js, fetch credentials before every connect, and reconnect
 * with exponential backoff and jitter, because MQTT.js retries at a fixed period and every
 * browser of a dropped broker would come back in lock-step).
 */
import mqtt from 'mqtt';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { INITIAL_CONNECTION, nextConnectionState, type ConnectionError, type ConnectionEvent, type ConnectionSnapshot } from './connection-state.js';
import { fetchCredentials, type NormalizedCredentials } from './credentials.js';
import { AuthError } from './errors.js';
import { randomId } from './ids.js';
import { clientIdOf, type MqttClientLike } from './mqtt-client.js';
import { Store, type ReadableStore } from './store.js';

export interface ManagedConnectionOptions {
  wssUrl: string;
  authEndpoint?: string;
  /** Static credentials when there is no auth endpoint (dev brokers). */
  username?: string;
  password?: string;
  clientId?: string;
  headers?: Record<string, string>;
  backoff?: BackoffOptions;
  /** MQTT protocol version, 4 (3.1.1) or 5. Default 4: every broker speaks it. */
  protocolVersion?: 4 | 5;
  /** Refresh credentials this many ms before they expire. Default 60 000. */
  refreshMargin?: number;
  fetch?: typeof fetch;
}

interface Listener {
  onConnected(client: MqttClientLike, firstTime: boolean): void;
  onLost(reason: string): void;
}

const now = () => Date.now();

export class ConnectionManager {
  private readonly store = new Store<ConnectionSnapshot>(INITIAL_CONNECTION);
  readonly state: ReadableStore<ConnectionSnapshot> = this.store;
  private client: MqttClientLike | null = null;
  private credentials: NormalizedCredentials | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private everConnected = false;
  private readonly waiters = new Set<() => void>();
  private readonly listeners = new Set<Listener>();
  private userIdValue: string | undefined;
  private clientIdValue: string | undefined;
  private attemptInFlight = false;

  constructor(
    private readonly mode: { kind: 'external'; client: MqttClientLike } | ({ kind: 'managed' } & ManagedConnectionOptions),
    userId: string | undefined,
  ) {
    this.userIdValue = userId;
    if (mode.kind === 'external') this.adoptExternal(mode.client);
    else {
      this.clientIdValue = mode.clientId ?? `csk_${randomId(16)}`;
      void this.attempt();
    }
    if (typeof window !== 'undefined' && typeof window.addEventListener === 'function') {
      window.addEventListener('online', this.onBrowserOnline);
      window.addEventListener('offline', this.onBrowserOffline);
    }
  }

  /** The user id topics are built from: the option, else what the auth endpoint said. */
  get userId(): string | undefined {
    return this.userIdValue;
  }

  get clientId(): string | undefined {
    return this.clientIdValue;
  }

  get current(): MqttClientLike | null {
    return this.client;
  }

  get connected(): boolean {
    return this.store.getSnapshot().status === 'connected' && !!this.client?.connected;
  }

  addListener(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once connected, or rejects with a network `TypeError` after `timeoutMs`. */
  waitUntilConnected(timeoutMs: number, signal?: AbortSignal): Promise<MqttClientLike> {
    if (this.connected && this.client) return Promise.resolve(this.client);
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener('abort', onAbort);
      };
      const check = () => {
        if (this.connected && this.client) {
          done();
          resolve(this.client);
        } else if (this.closed || this.store.getSnapshot().status === 'error') {
          done();
          const error = this.store.getSnapshot().lastError;
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
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(check);
      check();
    });
  }

  /** Reconnect now: the banner's Retry button. Also leaves the `error` state. */
  retry(): void {
    if (this.closed) return;
    if (this.mode.kind === 'external') {
      (this.client as { reconnect?: () => void } | null)?.reconnect?.();
      return;
    }
    if (this.connected) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    void this.attempt();
  }

  /** Destroys the socket as a network failure would: for demos and fault tests. */
  dropConnection(): void {
    const stream = (this.client as { stream?: { destroy?: () => void } } | null)?.stream;
    if (stream?.destroy) stream.destroy();
    else (this.client as { end?: (force: boolean) => void } | null)?.end?.(true);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.refreshTimer);
    if (typeof window !== 'undefined' && typeof window.removeEventListener === 'function') {
      window.removeEventListener('online', this.onBrowserOnline);
      window.removeEventListener('offline', this.onBrowserOffline);
    }
    const client = this.client;
    if (client) {
      client.off('connect', this.onConnect);
      client.off('close', this.onClose);
      client.off('error', this.onError);
      client.off('offline', this.onOffline);
      client.off('reconnect', this.onExternalReconnect);
      // Only clients we created are ours to end.
      if (this.mode.kind === 'managed') (client as { end?: (force: boolean) => void }).end?.(true);
    }
    this.dispatch({ type: 'closed' });
  }

  private dispatch(event: ConnectionEvent): void {
    this.store.update(nextConnectionState(this.store.getSnapshot(), event));
    for (const waiter of [...this.waiters]) waiter();
  }

  private adoptExternal(client: MqttClientLike): void {
    this.client = client;
    this.clientIdValue = clientIdOf(client) ?? `csk_${randomId(16)}`;
    client.on('connect', this.onConnect);
    client.on('close', this.onClose);
    client.on('error', this.onError);
    client.on('offline', this.onOffline);
    client.on('reconnect', this.onExternalReconnect);
    if (client.connected) queueMicrotask(() => this.onConnect());
  }

  private async attempt(): Promise<void> {
    if (this.closed || this.mode.kind !== 'managed' || this.attemptInFlight) return;
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      this.dispatch({ type: 'browser-offline' });
      return;
    }
    const options = this.mode;
    this.attemptInFlight = true;
    this.dispatch({ type: 'attempt' });
    try {
      // Fresh credentials on every connect: a stored password may have expired while we were away.
      if (options.authEndpoint) {
        this.credentials = await fetchCredentials(options.authEndpoint, { headers: options.headers, fetch: options.fetch, clientId: this.clientIdValue });
        if (this.credentials.userId && !this.userIdValue) this.userIdValue = this.credentials.userId;
        if (this.credentials.clientId) this.clientIdValue = this.credentials.clientId;
      }
    } catch (error) {
      this.attemptInFlight = false;
      this.fail(error instanceof AuthError ? { kind: 'auth', message: error.message } : { kind: 'unreachable', message: 'The auth endpoint could not be reached.' });
      return;
    }
    if (this.closed) return;
    const username = this.credentials?.username ?? options.username;
    const password = this.credentials?.password ?? options.password;
    if (this.client) {
      // Reuse the client so listeners and subscriptions stay attached; only the credentials change.
      const live = this.client as unknown as { options: Record<string, unknown>; reconnect: (stores: object) => void; incomingStore?: unknown; outgoingStore?: unknown };
      live.options.username = username;
      live.options.password = password;
      live.options.clientId = this.clientIdValue;
      // MQTT.js' bare reconnect() empties its stores: an in-flight `request` or `abort` would be lost.
      live.reconnect({ incomingStore: live.incomingStore, outgoingStore: live.outgoingStore });
    } else {
      const client = mqtt.connect(options.wssUrl, {
        clientId: this.clientIdValue,
        username,
        password,
        protocolVersion: options.protocolVersion ?? 4,
        reconnectPeriod: 0, // reconnects are ours: backoff with jitter
        connectTimeout: 10_000,
        resubscribe: false, // the transport resubscribes what it still needs
        clean: true,
        keepalive: 30,
      }) as unknown as MqttClientLike;
      this.client = client;
      client.on('connect', this.onConnect);
      client.on('close', this.onClose);
      client.on('error', this.onError);
      client.on('offline', this.onOffline);
    }
  }

  private fail(error: ConnectionError): void {
    this.dispatch({ type: 'failed', error });
    if (error.kind !== 'auth') this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.mode.kind !== 'managed' || this.retryTimer) return;
    const state = this.store.getSnapshot();
    if (state.status === 'error' || state.status === 'offline') return;
    const delay = backoffDelay(state.attempt + 1, this.mode.backoff);
    this.dispatch({ type: 'retry-scheduled', at: now() + delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.attempt();
    }, delay);
  }

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    if (this.mode.kind !== 'managed' || !this.mode.authEndpoint || !this.credentials?.expiresAt) return;
    const margin = this.mode.refreshMargin ?? 60_000;
    const expiresAt = this.credentials.expiresAt;
    const delay = Math.max(1_000, expiresAt - margin - now());
    const endpoint = this.mode.authEndpoint;
    const { headers, fetch: doFetch } = this.mode;
    this.refreshTimer = setTimeout(async () => {
      try {
        // The live session keeps its old password; the fresh one is used when the broker ends
        // the session at expiry, so the reconnect right after is immediate and accepted.
        this.credentials = await fetchCredentials(endpoint, { headers, fetch: doFetch, clientId: this.clientIdValue });
        const live = this.client as unknown as { options?: Record<string, unknown> } | null;
        if (live?.options) {
          live.options.username = this.credentials.username;
          live.options.password = this.credentials.password;
        }
        this.scheduleRefresh();
      } catch (error) {
        if (error instanceof AuthError) this.dispatch({ type: 'failed', error: { kind: 'auth', message: error.message } });
      }
    }, delay);
  }

  private readonly onConnect = (): void => {
    this.attemptInFlight = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const firstTime = !this.everConnected;
    this.everConnected = true;
    this.dispatch({ type: 'connected', at: now() });
    this.scheduleRefresh();
    if (this.client) for (const listener of [...this.listeners]) listener.onConnected(this.client, firstTime);
  };

  private readonly onClose = (): void => {
    this.attemptInFlight = false;
    if (this.closed) return;
    const wasConnected = this.store.getSnapshot().status === 'connected';
    if (wasConnected) {
      this.dispatch({ type: 'lost' });
      for (const listener of [...this.listeners]) listener.onLost('connection closed');
    }
    if (this.mode.kind === 'managed') {
      const snapshot = this.store.getSnapshot();
      // A close right after we presented credentials that the broker refused was an auth failure.
      if (snapshot.status !== 'error') {
        if (!wasConnected && snapshot.lastError === null) this.dispatch({ type: 'failed', error: { kind: 'unreachable', message: 'The MQTT broker could not be reached.' } });
        this.scheduleRetry();
      }
    } else {
      // An app-owned client retries on its own period: show when, if it tells us.
      const period = (this.client as { options?: { reconnectPeriod?: number } } | null)?.options?.reconnectPeriod;
      if (period && period > 0) this.dispatch({ type: 'retry-scheduled', at: now() + period });
    }
  };

  /** An app-owned client started an attempt: count it, like our own attempts. */
  private readonly onExternalReconnect = (): void => {
    if (!this.closed) this.dispatch({ type: 'attempt' });
  };

  private readonly onError = (error: Error & { code?: number }): void => {
    // CONNACK 4/5 (3.1.1) and 134/135 (MQTT 5): bad credentials or not authorized.
    if (error.code === 4 || error.code === 5 || error.code === 134 || error.code === 135) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.dispatch({ type: 'failed', error: { kind: 'auth', message: 'The MQTT broker refused the credentials.' } });
    } else if (this.store.getSnapshot().status !== 'connected') {
      this.store.update({ lastError: { kind: 'unreachable', message: error.message || 'The MQTT broker could not be reached.' } });
    }
  };

  private readonly onOffline = (): void => {
    if (this.mode.kind === 'external' && this.store.getSnapshot().status === 'connected') {
      this.dispatch({ type: 'lost' });
      for (const listener of [...this.listeners]) listener.onLost('offline');
    }
  };

  private readonly onBrowserOffline = (): void => {
    if (this.mode.kind !== 'managed') return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.dropConnection();
    this.dispatch({ type: 'browser-offline' });
  };

  private readonly onBrowserOnline = (): void => {
    if (this.mode.kind !== 'managed' || this.connected) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    void this.attempt();
  };
}
