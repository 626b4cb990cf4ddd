import { useEffect, useState } from "react";
import type { SessionLease } from "../registry/session-lease";
import type { SessionOverrides } from "../registry/session-settings";
import type { SessionStore } from "../store/session-store";

/** What `useWorkbookStore` needs of a registry: `SessionRegistry` fits. */
export interface StoreLender {
  acquire(workbook: string, overrides?: SessionOverrides): SessionLease;
  /** Whether the registry was disposed; then nothing is held, and no error shown. */
  readonly disposed?: boolean;
}

interface Held {
  readonly registry: StoreLender;
  readonly workbook: string;
  readonly store: SessionStore;
}

/**
 * The shared store of one workbook, held while the component is mounted. The
 * lease is taken after the first render, so the hook returns `null` until then,
 * and on the server; when `workbook` changes it returns `null` until the new
 * workbook's store is held, never the old one. Unmounting releases the lease;
 * the registry's grace period keeps the session through a quick remount (and
 * React's development double mount). A store someone disposed is replaced by
 * the registry's new one. The overrides are read when the workbook changes, not
 * on every render.
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
  const [held, setHeld] = useState<Held | null>(null);
  const [replacements, setReplacements] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: overrides apply only when a store is made; replacements re-acquires
  useEffect(() => {
    if (registry.disposed) return undefined;
    const lease = registry.acquire(workbook, overrides);
    setHeld({ registry, workbook, store: lease.store });
    const whenDisposed = lease.store.state$.subscribe({
      complete: () => setReplacements((count) => count + 1),
    });

    return () => {
      whenDisposed.unsubscribe();
      setHeld(null);
      lease.release();
    };
  }, [registry, workbook, replacements]);

  const current = held?.registry === registry && held.workbook === workbook;
  return current ? held.store : null;
}
