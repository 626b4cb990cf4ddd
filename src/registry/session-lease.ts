import type { SessionStore } from "../store/session-store";

/**
 * One user's hold on a workbook's shared store. The store stays open while
 * any lease on it is held.
 */
export interface SessionLease {
  /**
   * The workbook's store, shared with every other lease on the workbook. Let
   * go of it with `release()`; disposing it would end the session for all.
   */
  readonly store: SessionStore;

  /**
   * Gives the store back. When no lease on the workbook is left, the store is
   * disposed after the registry's grace period. Only the first call counts.
   */
  release(): void;
}

/** A lease on `store` that calls `onRelease` once, on its first release. */
export function createLease(store: SessionStore, onRelease: () => void): SessionLease {
  let released = false;
  return Object.freeze({
    store,
    release() {
      if (released) return;
      released = true;
      onRelease();
    },
  });
}
