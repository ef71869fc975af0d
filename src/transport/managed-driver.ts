/**
 * The managed driver: the kit owns the MQTT client. It fetches fresh credentials before every
 * connect, reconnects with exponential backoff and jitter (MQTT.js retries at a fixed period, so
 * every browser of a dropped broker would come back in lock-step), moves to the next broker URL
 * when a connection closes, and follows the browser's online/offline events.
 */
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { BrokerUrls, brokerUrlsOf } from './broker-urls.js';
import type { ConnectionDriver, DriverSink } from './connection-driver.js';
import { fetchCredentials, type NormalizedCredentials } from './credentials.js';
import { AuthError } from './errors.js';
import { randomId } from './ids.js';
import { canBindClientId, newBrowserClientId } from './client-ids.js';
import {
  destroySocket,
  endClient,
  isCredentialRefusal,
  openMqttJsClient,
  reconnectKeepingInflight,
  setConnectIdentity,
  type MqttClientLike,
  type OpenClient,
} from './mqtt-client.js';

/** Options of a managed connection. Defaults live in {@link MANAGED_CONNECTION_DEFAULTS}. */
export interface ManagedConnectionOptions {
  /** Broker WebSocket URL. With `urls` it is tried first. */
  wssUrl?: string;
  /** Several WebSocket URLs of one broker cluster, in failover order (after `wssUrl`). */
  urls?: readonly string[];
  /** POST endpoint returning credentials; called before every connect. */
  authEndpoint?: string;
  /** Static credentials when there is no auth endpoint (dev brokers). */
  username?: string;
  password?: string;
  /** MQTT client id. Default a random `csk_…` id, or the one the auth endpoint returns. */
  clientId?: string;
  /** Extra headers for the auth endpoint. */
  headers?: Record<string, string>;
  /** Reconnect delays. Default 500 ms doubling up to 30 s, with jitter. */
  backoff?: BackoffOptions;
  /** MQTT protocol version, 4 (3.1.1) or 5. Default 4: every broker speaks it. */
  protocolVersion?: 4 | 5;
  /** Refresh credentials this many ms before they expire. Default 60 000. */
  refreshMargin?: number;
  /**
   * Share one connection with the other transports of this page that have the same URLs,
   * credentials source, client id and user id. Default true. See `connection-pool.ts`.
   */
  share?: boolean;
  /** Opens the MQTT client. Default: MQTT.js over WebSocket. Tests pass the mock broker's. */
  openClient?: OpenClient;
  /** `fetch` for the auth endpoint. */
  fetch?: typeof fetch;
}

/** The defaults of {@link ManagedConnectionOptions}, in one place. */
export const MANAGED_CONNECTION_DEFAULTS = {
  protocolVersion: 4 as 4 | 5,
  refreshMargin: 60_000,
  share: true,
};

const now = () => Date.now();

/** A new client id: bound to the user when it is known (the issuers keep a bound id), else free-form. */
function freshClientId(userId: string | undefined): string {
  return userId !== undefined && canBindClientId(userId) ? newBrowserClientId(userId) : `csk_${randomId(16)}`;
}

/** Keeps a kit-owned client connected: credentials per connect, backoff with jitter, failover. */
export class ManagedDriver implements ConnectionDriver {
  client: MqttClientLike | null = null;
  clientId: string;
  userId: string | undefined;
  private readonly urls: BrokerUrls;
  private credentials: NormalizedCredentials | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private started = false;
  private closed = false;
  /** An attempt is fetching credentials or waiting for CONNACK: a second one would race it. */
  private attempting = false;

  constructor(
    private readonly options: ManagedConnectionOptions,
    private readonly sink: DriverSink,
  ) {
    this.urls = new BrokerUrls(brokerUrlsOf(options));
    this.clientId = options.clientId ?? `csk_${randomId(16)}`;
  }

  /** The broker URL the next connect goes to (failover moves it). */
  get url(): string {
    return this.urls.current;
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    if (typeof window !== 'undefined' && typeof window.addEventListener === 'function') {
      window.addEventListener('online', this.onBrowserOnline);
      window.addEventListener('offline', this.onBrowserOffline);
    }
    void this.attempt();
  }

  retry(): void {
    if (this.closed) return;
    if (!this.started) return this.start();
    if (this.isUp()) return;
    this.cancelRetry();
    void this.attempt();
  }

  drop(): void {
    if (this.client) destroySocket(this.client);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelRetry();
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
      void endClient(client, true);
    }
  }

  private isUp(): boolean {
    return this.sink.snapshot().status === 'connected' && !!this.client?.connected;
  }

  private async attempt(): Promise<void> {
    if (this.closed || this.attempting) return;
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      this.sink.dispatch({ type: 'browser-offline' });
      return;
    }
    this.attempting = true;
    this.sink.dispatch({ type: 'attempt' });
    const { authEndpoint, headers, fetch: doFetch } = this.options;
    if (authEndpoint) {
      try {
        // Fresh credentials on every connect: a stored password may have expired while we were away.
        this.adoptCredentials(await fetchCredentials(authEndpoint, { headers, fetch: doFetch, clientId: this.clientId }));
      } catch (error) {
        this.attempting = false;
        if (this.closed) return;
        this.fail(error instanceof AuthError ? { kind: 'auth', message: error.message } : { kind: 'unreachable', message: 'The auth endpoint could not be reached.' });
        return;
      }
      if (this.closed) return;
    }
    const identity = {
      username: this.credentials?.username ?? this.options.username,
      password: this.credentials?.password ?? this.options.password,
      clientId: this.clientId,
    };
    if (this.client) {
      // Same client: listeners and in-flight messages stay; credentials and URL are read anew.
      setConnectIdentity(this.client, identity);
      reconnectKeepingInflight(this.client);
      return;
    }
    const open = this.options.openClient ?? openMqttJsClient;
    const client = open({ ...identity, protocolVersion: this.options.protocolVersion ?? MANAGED_CONNECTION_DEFAULTS.protocolVersion, url: () => this.urls.current });
    this.client = client;
    client.on('connect', this.onConnect);
    client.on('close', this.onClose);
    client.on('error', this.onError);
  }

  private adoptCredentials(credentials: NormalizedCredentials): void {
    this.credentials = credentials;
    if (credentials.userId && !this.userId) this.userId = credentials.userId;
    if (credentials.clientId) this.clientId = credentials.clientId;
  }

  private fail(error: { kind: 'auth' | 'unreachable'; message: string }): void {
    this.sink.dispatch({ type: 'failed', error });
    if (error.kind !== 'auth') this.scheduleRetry();
  }

  private cancelRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    const state = this.sink.snapshot();
    if (state.status === 'error' || state.status === 'offline') return;
    const delay = backoffDelay(state.attempt + 1, this.options.backoff);
    this.sink.dispatch({ type: 'retry-scheduled', at: now() + delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.attempt();
    }, delay);
  }

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    const endpoint = this.options.authEndpoint;
    const expiresAt = this.credentials?.expiresAt;
    if (!endpoint || !expiresAt) return;
    const margin = this.options.refreshMargin ?? MANAGED_CONNECTION_DEFAULTS.refreshMargin;
    const delay = Math.max(1_000, expiresAt - margin - now());
    const { headers, fetch: doFetch } = this.options;
    this.refreshTimer = setTimeout(async () => {
      try {
        // The live session keeps its old password; the fresh one is used when the broker ends
        // the session at expiry, so the reconnect right after is immediate and accepted.
        this.adoptCredentials(await fetchCredentials(endpoint, { headers, fetch: doFetch, clientId: this.clientId }));
        if (this.closed) return;
        if (this.client) setConnectIdentity(this.client, { username: this.credentials!.username, password: this.credentials!.password });
        this.scheduleRefresh();
      } catch (error) {
        if (error instanceof AuthError && !this.closed) this.sink.dispatch({ type: 'failed', error: { kind: 'auth', message: error.message } });
      }
    }, delay);
  }

  private readonly onConnect = (): void => {
    // MQTT.js emits `connect` only once it re-sent its in-flight messages, which can be after the
    // broker already closed that connection (it refused one of them): stale, the retry is under way.
    if (this.client && !this.client.connected) return;
    this.attempting = false;
    this.cancelRetry();
    this.sink.dispatch({ type: 'connected', at: now() });
    this.scheduleRefresh();
  };

  private readonly onClose = (): void => {
    this.attempting = false;
    if (this.closed) return;
    const wasConnected = this.sink.snapshot().status === 'connected';
    if (wasConnected) this.sink.dispatch({ type: 'lost', reason: 'connection closed' });
    // The node we were on (or tried) is gone or refusing: the next attempt goes to the next one,
    // under a fresh client id. A cluster may still hold the old id's session on the dead node:
    // RabbitMQ accepts the CONNECT but closes the connection at its first SUBSCRIBE until it
    // forgets that session (docs/clusters.md). An id the app chose is its to keep.
    if (this.urls.advance() && this.options.clientId === undefined) this.clientId = freshClientId(this.userId);
    const snapshot = this.sink.snapshot();
    // A close right after we presented credentials that the broker refused was an auth failure;
    // a browser that went offline reconnects on its `online` event.
    if (snapshot.status === 'error' || snapshot.status === 'offline') return;
    if (!wasConnected && snapshot.lastError === null) this.sink.dispatch({ type: 'failed', error: { kind: 'unreachable', message: 'The MQTT broker could not be reached.' } });
    this.scheduleRetry();
  };

  private readonly onError = (error: Error & { code?: unknown }): void => {
    if (isCredentialRefusal(error)) {
      this.cancelRetry();
      this.sink.dispatch({ type: 'failed', error: { kind: 'auth', message: 'The MQTT broker refused the credentials.' } });
    } else {
      this.sink.dispatch({ type: 'error-seen', error: { kind: 'unreachable', message: error.message || 'The MQTT broker could not be reached.' } });
    }
  };

  private readonly onBrowserOffline = (): void => {
    this.cancelRetry();
    // State first: the close the drop causes then finds the connection already offline.
    this.sink.dispatch({ type: 'browser-offline' });
    this.drop();
  };

  private readonly onBrowserOnline = (): void => {
    if (this.closed || this.isUp()) return;
    this.cancelRetry();
    void this.attempt();
  };
}
