import { useCallback, useSyncExternalStore } from 'react';
import type { ReadableStore } from '../transport/store.js';

/**
 * Reads a framework-free store. The store replaces its snapshot only on change, so the value is
 * referentially stable between changes and components bail out of renders for free.
 */
export function useStore<T>(store: ReadableStore<T>): T {
  // Bound here so stores written as classes with prototype methods work as well as arrow fields.
  const subscribe = useCallback((listener: () => void) => store.subscribe(listener), [store]);
  const getSnapshot = useCallback(() => store.getSnapshot(), [store]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
