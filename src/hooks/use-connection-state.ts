import { useMemo } from 'react';
import type { UIMessage } from 'ai';
import type { ConnectionSnapshot } from '../transport/connection-state.js';
import type { ChatKitTransport } from './types.js';
import { useStore } from './use-store.js';

/** The connection axis: where the socket is, plus the one action a user can take about it. */
export interface ConnectionState extends ConnectionSnapshot {
  /** True only while the socket is up. */
  isConnected: boolean;
  /** Reconnect now instead of waiting for the next scheduled attempt. */
  retry: () => void;
}

/**
 * The transport's connection state (status, attempt, next retry, last error) with `retry()`.
 * The returned object changes only when the connection does.
 */
export function useConnectionState<UI extends UIMessage>(transport: ChatKitTransport<UI>): ConnectionState {
  const snapshot = useStore(transport.connection);
  return useMemo(
    () => ({ ...snapshot, isConnected: snapshot.status === 'connected', retry: () => transport.retry() }),
    [snapshot, transport],
  );
}
