/**
 * Where the transport keeps what must survive a reload: the offline outbox and each chat's
 * history cache. The Web Storage shape, so `localStorage` fits as it is; in memory where there is
 * none (server rendering, Node tests), which keeps the protocol the same without persistence.
 */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** A storage that forgets everything with the page. */
export function createMemoryStorage(): KeyValueStorage {
  const values = new Map<string, string>();
  return {
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => void values.set(key, value),
    removeItem: (key) => void values.delete(key),
  };
}

/** `localStorage` when the page has a usable one, else memory. */
export function defaultStorage(): KeyValueStorage {
  try {
    const storage = (globalThis as { localStorage?: KeyValueStorage }).localStorage;
    if (storage) {
      // Safari private mode and blocked cookies throw on access; probe once.
      storage.getItem('csk:probe');
      return storage;
    }
  } catch {
    // fall through
  }
  return createMemoryStorage();
}

/** Reads a JSON value; anything unreadable (foreign, corrupted, old) counts as absent. */
export function readJson<T>(storage: KeyValueStorage, key: string, isValid: (value: unknown) => value is T): T | null {
  try {
    const text = storage.getItem(key);
    if (text === null) return null;
    const value: unknown = JSON.parse(text);
    return isValid(value) ? value : null;
  } catch {
    return null;
  }
}

/** Writes a JSON value; a full quota loses only the cache, never the live state. */
export function writeJson(storage: KeyValueStorage, key: string, value: unknown): boolean {
  try {
    storage.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}
