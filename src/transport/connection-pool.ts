/**
 * Shared managed connections. Transports of one page with the same broker URLs, credentials
 * source (auth endpoint and its headers, or static username), client id, protocol and user id
 * share one connection, so an app that creates its transport on every render (the AI SDK docs'
 * `useChat({ transport: new … })`) still opens one socket and makes one credentials call per
 * connect. The connection is reference counted by started leases and ends with the last one.
 *
 * The first transport's options win for what is not part of the key (backoff, refresh margin,
 * `openClient`). A custom `fetch` is part of the key by identity: it may carry another session.
 */
import type { Connection } from './connection.js';
import type { ManagedConnectionOptions } from './managed-driver.js';
import { MANAGED_CONNECTION_DEFAULTS } from './managed-driver.js';
import { brokerUrlsOf } from './broker-urls.js';
import type { LeasedClient } from './leased-client.js';

/** One connection and what its leases hold on it. */
export interface PoolEntry {
  /** Null for a connection that is not shared (external clients, `share: false`). */
  readonly key: string | null;
  readonly connection: Connection;
  /** Started, unclosed leases. */
  holders: number;
  /** For each subscribed topic, the lease views that want it: unsubscribed when none does. */
  readonly subscribers: Map<string, Set<LeasedClient>>;
  /** UNSUBSCRIBEs still in flight, by topic: a later SUBSCRIBE of the topic waits for them. */
  readonly unsubscribing: Map<string, Promise<void>>;
}

const fetchIds = new WeakMap<object, number>();
let nextFetchId = 1;

/** A stable number per `fetch` function, so two transports with different ones never share a socket. */
function fetchIdentity(fetchFn: unknown): number | null {
  if (typeof fetchFn !== 'function') return null;
  let id = fetchIds.get(fetchFn);
  if (id === undefined) {
    id = nextFetchId++;
    fetchIds.set(fetchFn, id);
  }
  return id;
}

/** The identity of a managed connection: same key, same socket. Headers are part of it (they carry the session). */
export function connectionKey(options: ManagedConnectionOptions, userId: string | undefined): string {
  const headers = Object.entries(options.headers ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([
    brokerUrlsOf(options),
    options.authEndpoint ?? null,
    headers,
    options.username ?? null,
    options.password ?? null,
    options.clientId ?? null,
    options.protocolVersion ?? MANAGED_CONNECTION_DEFAULTS.protocolVersion,
    userId ?? null,
    fetchIdentity(options.fetch),
  ]);
}

/** Shared connections by identity, counted by the leases that started on them. */
export class ConnectionPool {
  private readonly entries = new Map<string, PoolEntry>();

  /** Live shared connections (for tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }

  /** The shared entry of these options, created (not started) when there is none. */
  entryFor(options: ManagedConnectionOptions, userId: string | undefined, create: () => Connection): PoolEntry {
    if (options.share === false) return this.privateEntry(create());
    const key = connectionKey(options, userId);
    let entry = this.entries.get(key);
    if (!entry || entry.connection.closed) {
      entry = { key, connection: create(), holders: 0, subscribers: new Map(), unsubscribing: new Map() };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** An entry only one lease will use. */
  privateEntry(connection: Connection): PoolEntry {
    return { key: null, connection, holders: 0, subscribers: new Map(), unsubscribing: new Map() };
  }

  hold(entry: PoolEntry): void {
    entry.holders++;
  }

  /** Drops one hold; the last one closes the connection and forgets it. */
  release(entry: PoolEntry): void {
    entry.holders = Math.max(0, entry.holders - 1);
    if (entry.holders > 0) return;
    entry.connection.close();
    if (entry.key !== null && this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
  }
}

/** The page's pool. */
export const connectionPool = new ConnectionPool();
