import { useEffect, useState } from "react";
import type { SessionLease } from "../registry/session-lease";
import type { SessionOverrides } from "../registry/session-settings";
import type { SessionStore } from "../store/session-store";

/** What `useWorkbookStore` needs of a registry: `SessionRegistry` fits. */
export interface StoreLender {
  acquire(workbook: string, overrides?: SessionOverrides): SessionLease;
}

/**
 * The shared store of one workbook, held while the component is mounted. The
 * lease is taken after the first render, so the hook returns `null` until then,
 * and on the server. Unmounting releases it; the registry's grace period keeps
 * the session through a quick remount (and React's development double mount).
 * The overrides are read when the workbook changes, not on every render.
 *
 * @example
 * ```tsx
 * function Sheets({ registry }: { registry: SessionRegistry }) {
 *   const store = useWorkbookStore(registry, "/me/drive/items/01ABC");
 *   const status = useSessionStatus(store); // "idle" until the store is there
 *   return <p>{status}</p>;
 * }
 * ```
 */
export function useWorkbookStore(
  registry: StoreLender,
  workbook: string,
  overrides?: SessionOverrides,
): SessionStore | null {
  const [store, setStore] = useState<SessionStore | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: overrides apply only when a store is made
  useEffect(() => {
    const lease = registry.acquire(workbook, overrides);
    setStore(lease.store);
    return () => {
      setStore(null);
      lease.release();
    };
  }, [registry, workbook]);

  return store;
}
