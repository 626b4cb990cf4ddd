import type { SessionStorageLike } from "./session-environment";

/**
 * Wraps `storage` so that none of its methods throws: a read that fails gives
 * null, a write or removal that fails does nothing. Browsers throw from these
 * methods when the quota is full or storage is blocked (privacy modes,
 * sandboxed frames), and a lost saved session is better than a failed store.
 */
export function safeStorage(storage: SessionStorageLike): SessionStorageLike {
  return {
    getItem: (key) => attempt(() => asStoredText(storage.getItem(key)), null),
    setItem: (key, value) => attempt(() => storage.setItem(key, value), undefined),
    removeItem: (key) => attempt(() => storage.removeItem(key), undefined),
  };
}

/**
 * A storage kept in memory, lost when the page or process ends. Fits tests and
 * server-side rendering, where there is no `sessionStorage`.
 */
export function memoryStorage(): SessionStorageLike {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => {
      items.set(key, String(value));
    },
    removeItem: (key) => {
      items.delete(key);
    },
  };
}

function attempt<T>(action: () => T, fallback: T): T {
  try {
    return action();
  } catch {
    return fallback;
  }
}

/* Hand-written storages sometimes answer undefined for a missing key. */
function asStoredText(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}
