/** A change in the page around the store that may matter to its session. */
export type EnvironmentChange = "visible" | "hidden" | "online" | "offline" | "pagehide";

/**
 * What a store needs to know about the page it runs in. In a browser the store
 * uses `browserEnvironment()`; under Node and in server-side rendering it uses
 * `staticEnvironment` (always visible and online, never changes). Tests pass
 * their own, for instance `createTestEnvironment()` from
 * `graph-workbook-session/testing`.
 */
export interface SessionEnvironment {
  /** Whether the page is shown. Hidden tabs may run timers only once a minute. */
  isVisible(): boolean;

  /** Whether the network is believed to be reachable. */
  isOnline(): boolean;

  /**
   * Calls `listener` on each change until the returned function is called.
   * `"pagehide"` means the page is being left (closed, reloaded, navigated away).
   */
  watch(listener: (change: EnvironmentChange) => void): () => void;
}

/**
 * Where a store keeps its session between page loads, so a reloaded page can
 * resume it. `sessionStorage` and `localStorage` fit; any object with these
 * three methods does. A method that throws (quota, privacy mode) is ignored.
 */
export interface SessionStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}
