/**
 * The embedded broker's budgets: what one connection or one user may cost the broker before it
 * is refused, dropped or trimmed. Each one keeps a single principal's abuse its own problem
 * (docs/security.md, "Budgets"). Packet sizes per principal are in `BrokerAuthOptions`
 * (`browserMaxPacketSize`, `serviceMaxPacketSize`), because only authentication knows who is who.
 */

/** Budgets of {@link startEmbeddedBroker}; every field has the default in {@link DEFAULT_BROKER_LIMITS}. */
export interface BrokerLimits {
  /**
   * Bytes a connection may send before it has authenticated: the CONNECT packet, credentials
   * included. A larger (or larger announced) CONNECT closes the socket before anything is
   * buffered. Default 16 KiB (a chat token is ~1.5 KiB).
   */
  maxBytesBeforeConnect: number;
  /**
   * Largest packet, in bytes, when the broker runs without `auth` (with `auth` the per-principal
   * `browserMaxPacketSize` / `serviceMaxPacketSize` apply). Checked on the announced length, so an
   * oversized packet closes the socket before it is buffered. Default 8 MiB.
   */
  maxPacketSize: number;
  /**
   * Bytes the broker may hold for one browser (or unauthenticated) connection that does not read
   * fast enough. Past it the connection is dropped instead of making every publisher wait for it.
   * A single packet into an empty buffer always passes. Default 1 MiB.
   */
  maxOutboundBytes: number;
  /** The same for service accounts (workers receive every user's requests). Default 64 MiB. */
  serviceMaxOutboundBytes: number;
  /** Subscriptions one browser client may hold; more get SUBACK 0x80. Default 512. */
  maxSubscriptionsPerClient: number;
  /** Retained messages kept under one user's topics; the oldest is dropped past it. Default 2 048. */
  maxRetainedPerUser: number;
  /** Bytes of retained payloads kept under one user's topics; the oldest go past it. Default 32 MiB. */
  maxRetainedBytesPerUser: number;
  /**
   * Bytes per second one user (all of the user's browser connections together) may send once the
   * burst is spent. Past it the broker reads that user's sockets more slowly: nothing is dropped,
   * the sender just waits. Service accounts are not limited. Default 1 MiB/s.
   */
  maxInboundBytesPerSecond: number;
  /** Bytes one user may send at once before {@link maxInboundBytesPerSecond} applies (one request at the default browser packet size). Default 256 KiB. */
  inboundBurstBytes: number;
}

/** The defaults, in one place. */
export const DEFAULT_BROKER_LIMITS: Readonly<BrokerLimits> = Object.freeze({
  maxBytesBeforeConnect: 16 * 1024,
  maxPacketSize: 8 * 1024 * 1024,
  maxOutboundBytes: 1024 * 1024,
  serviceMaxOutboundBytes: 64 * 1024 * 1024,
  maxSubscriptionsPerClient: 512,
  maxRetainedPerUser: 2048,
  maxRetainedBytesPerUser: 32 * 1024 * 1024,
  maxInboundBytesPerSecond: 1024 * 1024,
  inboundBurstBytes: 256 * 1024,
});

/** Fills in defaults and checks that every budget is a positive integer. */
export function resolveBrokerLimits(overrides: Partial<BrokerLimits> = {}): BrokerLimits {
  const limits = { ...DEFAULT_BROKER_LIMITS, ...Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)) } as BrokerLimits;
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`startEmbeddedBroker: limits.${name} must be a positive integer (got ${String(value)}).`);
  }
  return limits;
}
