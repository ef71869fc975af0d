/**
 * Reconnects a server-side MQTT.js client with exponential backoff and jitter. MQTT.js alone
 * retries at a fixed period, so every worker of a restarted broker would return in lock-step.
 */
import { backoffDelay, type BackoffOptions } from '../transport/backoff.js';

interface ReconnectableClient {
  on(event: 'close' | 'connect', listener: () => void): unknown;
  reconnect(options?: { incomingStore?: unknown; outgoingStore?: unknown }): unknown;
  readonly disconnecting?: boolean;
  readonly incomingStore?: unknown;
  readonly outgoingStore?: unknown;
}

/**
 * MQTT.js' public `reconnect()` swaps in empty message stores, silently dropping QoS 1 publishes
 * still in flight (a status, a `complete`); handing it the current stores keeps them for resend.
 */
export function reconnectKeepingInflight(client: ReconnectableClient): void {
  client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
}

/** Keeps `client` connected until it is ended; returns a function that stops the loop. */
export function keepReconnecting(client: ReconnectableClient, backoff: BackoffOptions = { initialDelay: 250, maxDelay: 10_000 }): () => void {
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  client.on('connect', () => {
    attempt = 0;
  });
  client.on('close', () => {
    if (stopped || client.disconnecting || timer) return;
    attempt++;
    timer = setTimeout(() => {
      timer = undefined;
      if (!stopped && !client.disconnecting) reconnectKeepingInflight(client);
    }, backoffDelay(attempt, backoff));
  });
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
