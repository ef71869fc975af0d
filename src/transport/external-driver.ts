/**
 * The external driver: the app passes a client and owns its lifecycle (connect options,
 * reconnects, end). The driver only listens and reports; `retry` asks the client to reconnect,
 * and closing detaches without ending the app's client.
 */
import type { ConnectionDriver, DriverSink } from './connection-driver.js';
import { randomId } from './ids.js';
import { clientIdOf, destroySocket, isCredentialRefusal, reconnectKeepingInflight, reconnectPeriodOf, type MqttClientLike } from './mqtt-client.js';

const now = () => Date.now();

/** Follows an app-owned client and reports its ups and downs; never ends it. */
export class ExternalDriver implements ConnectionDriver {
  readonly clientId: string;
  readonly userId = undefined;
  private started = false;
  private closed = false;

  constructor(
    readonly client: MqttClientLike,
    private readonly sink: DriverSink,
  ) {
    this.clientId = clientIdOf(client) ?? `csk_${randomId(16)}`;
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    const client = this.client;
    client.on('connect', this.onConnect);
    client.on('close', this.onClose);
    client.on('error', this.onError);
    client.on('offline', this.onOffline);
    client.on('reconnect', this.onReconnect);
    // Listeners of the connection are added right after it is created: tell them on a microtask.
    if (client.connected) queueMicrotask(() => this.client.connected && this.onConnect());
  }

  retry(): void {
    if (!this.closed) reconnectKeepingInflight(this.client);
  }

  drop(): void {
    destroySocket(this.client);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const client = this.client;
    client.off('connect', this.onConnect);
    client.off('close', this.onClose);
    client.off('error', this.onError);
    client.off('offline', this.onOffline);
    client.off('reconnect', this.onReconnect);
  }

  private readonly onConnect = (): void => {
    if (!this.closed && this.sink.snapshot().status !== 'connected') this.sink.dispatch({ type: 'connected', at: now() });
  };

  private readonly onClose = (): void => {
    if (this.closed) return;
    if (this.sink.snapshot().status === 'connected') this.sink.dispatch({ type: 'lost', reason: 'connection closed' });
    // An app-owned client retries on its own period: show when, if it tells us.
    const period = reconnectPeriodOf(this.client);
    if (period > 0) this.sink.dispatch({ type: 'retry-scheduled', at: now() + period });
  };

  private readonly onOffline = (): void => {
    if (!this.closed && this.sink.snapshot().status === 'connected') this.sink.dispatch({ type: 'lost', reason: 'offline' });
  };

  /** The app's client started an attempt: count it, like the managed driver's attempts. */
  private readonly onReconnect = (): void => {
    if (!this.closed) this.sink.dispatch({ type: 'attempt' });
  };

  private readonly onError = (error: Error & { code?: unknown }): void => {
    if (this.closed) return;
    if (isCredentialRefusal(error)) this.sink.dispatch({ type: 'failed', error: { kind: 'auth', message: 'The MQTT broker refused the credentials.' } });
    else this.sink.dispatch({ type: 'error-seen', error: { kind: 'unreachable', message: error.message || 'The MQTT broker could not be reached.' } });
  };
}
