/**
 * The one interface behind which a connection is driven. Two drivers implement it: the managed
 * driver (the kit opens the client, fetches credentials, reconnects with backoff, fails over) and
 * the external driver (the app owns a connected client and its reconnects). Drivers never write
 * connection state: they report events through a {@link DriverSink}, and the `Connection` that owns
 * them applies each event with the state machine's reducer.
 */
import type { ConnectionEvent, ConnectionSnapshot } from './connection-state.js';
import type { MqttClientLike } from './mqtt-client.js';

/** How a driver reports to its connection. */
export interface DriverSink {
  /** Applies `event` to the connection state: the only way a driver changes it. */
  dispatch(event: ConnectionEvent): void;
  /** The current state, read to decide (retry or not, was it up). */
  snapshot(): ConnectionSnapshot;
}

/** A way to keep one MQTT client connected. */
export interface ConnectionDriver {
  /** The client, once there is one (the managed driver creates it on its first attempt). */
  readonly client: MqttClientLike | null;
  /** The MQTT client id this connection presents. */
  readonly clientId: string;
  /** The user id the credentials named, if they named one. */
  readonly userId: string | undefined;
  /** Begins connecting; idempotent. Nothing opens a socket before this. */
  start(): void;
  /** Reconnects now instead of at the next scheduled attempt; starts a driver not yet started. */
  retry(): void;
  /** Destroys the socket as a network failure would (demos, fault tests); reconnects follow. */
  drop(): void;
  /** Stops for good: timers cleared, listeners removed, the client ended when it is ours. */
  close(): void;
}
