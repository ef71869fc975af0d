/**
 * Reconnects a server-side MQTT.js client with exponential backoff and jitter. MQTT.js alone
 * retries at a fixed period, so every worker of a restarted broker would return in lock-step.
 */
import { backoffDelay, type BackoffOptions } from '../transport/backoff.js';
import { reconnectKeepingInflight, type ReconnectableClient as KeptClient } from '../transport/mqtt-client.js';

interface ReconnectableClient extends KeptClient {
  on(event: 'close' | 'connect', listener: () => void): unknown;
}

/**
 * Keeps `client` connected until it is ended; returns a function that stops the loop.
 * `beforeReconnect` runs just before each attempt (to change what the next CONNECT presents).
 */
export function keepReconnecting(client: ReconnectableClient, backoff: BackoffOptions = { initialDelay: 250, maxDelay: 10_000 }, beforeReconnect?: () => void): () => void {
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
      if (stopped || client.disconnecting) return;
      beforeReconnect?.();
      reconnectKeepingInflight(client);
    }, backoffDelay(attempt, backoff));
  });
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
