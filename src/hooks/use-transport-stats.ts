import type { UIMessage } from 'ai';
import { emptyStats, type TransportStats } from '../transport/stats.js';
import { Store } from '../transport/store.js';
import type { ChatKitTransport } from './types.js';
import { useStore } from './use-store.js';

const NONE = new Store<TransportStats>(emptyStats());

/** What the transport received, dropped (by reason) and recovered; for diagnostics panels. */
export function useTransportStats<UI extends UIMessage>(transport: ChatKitTransport<UI>): TransportStats {
  return useStore(transport.stats ?? NONE);
}
