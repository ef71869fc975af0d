/**
 * The broker URLs of a managed connection, in failover order. The connection starts on the first
 * URL and moves to the next one whenever a connection closes or an attempt fails, wrapping
 * around, so a client on a node that died reconnects to another node of the cluster.
 */
import { ChatKitError } from './errors.js';

/** The failover order of a managed connection's broker URLs, and where it is now. */
export class BrokerUrls {
  private index = 0;
  readonly urls: readonly string[];

  constructor(urls: readonly string[]) {
    if (urls.length === 0) throw new ChatKitError('invalid-options', 'A managed connection needs at least one broker URL (`wssUrl` or `urls`).');
    for (const url of urls) {
      // The browser transport speaks MQTT over WebSocket; MQTT.js switches nodes by rewriting the
      // WebSocket URL at each connect, which needs every URL to be one.
      if (!/^wss?:\/\//i.test(url)) throw new ChatKitError('invalid-options', `Broker URLs must be ws:// or wss:// URLs (got ${JSON.stringify(url).slice(0, 120)}).`);
    }
    this.urls = urls;
  }

  /** The URL the next connect uses. */
  get current(): string {
    return this.urls[this.index];
  }

  /** Moves to the next URL, wrapping around; with one URL it stays. True when it moved. */
  advance(): boolean {
    this.index = (this.index + 1) % this.urls.length;
    return this.urls.length > 1;
  }
}

/** The URLs of the options, `wssUrl` first, without duplicates. */
export function brokerUrlsOf(options: { wssUrl?: string; urls?: readonly string[] }): string[] {
  return [...new Set([...(options.wssUrl ? [options.wssUrl] : []), ...(options.urls ?? [])])];
}
