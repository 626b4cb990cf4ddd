import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from "react";
import type { SessionState } from "../state/session-state";
import { memoizeSelection, type Selection } from "./memoize-selection";
import type { SessionSource } from "./session-source";

/**
 * The store's current state, re-rendering the component on every change.
 * Renders on the server too, with the state the store has there. With `null`
 * for the store (one not acquired yet) the state is `idle`.
 *
 * @example
 * ```tsx
 * function SessionBadge({ store }: { store: SessionStore }) {
 *   const state = useSessionState(store);
 *   return <span>{state.status === "failed" ? state.error.message : state.status}</span>;
 * }
 * ```
 */
export function useSessionState(source: SessionSource | null): SessionState;
/**
 * A part of the store's state, re-rendering the component only when that part
 * changes. `isEqual` (default `Object.is`) compares each selected value with
 * the previous one; when they are equal the previous value is returned, so a
 * selector may build a new object each time without causing extra renders.
 *
 * @example
 * ```tsx
 * const sessionId = useSessionState(store, (state) =>
 *   state.status === "active" ? state.session.id : null,
 * );
 * const progress = useSessionState(
 *   store,
 *   (state) => ({ status: state.status, attempt: "attempt" in state ? state.attempt : 0 }),
 *   (a, b) => a.status === b.status && a.attempt === b.attempt,
 * );
 * ```
 */
export function useSessionState<T>(
  source: SessionSource | null,
  selector: (state: SessionState) => T,
  isEqual?: (a: T, b: T) => boolean,
): T;
export function useSessionState<T>(
  source: SessionSource | null,
  selector: (state: SessionState) => T = wholeState as (state: SessionState) => T,
  isEqual: (a: T, b: T) => boolean = Object.is,
): T {
  const subscribe = useCallback(
    (onChange: () => void) => (source ? source.subscribe(() => onChange()) : ignoreChanges),
    [source],
  );
  const committed = useRef<Selection<T> | null>(null);

  // Rebuilt when an argument changes, for instance an inline selector on each
  // render; the committed value still keeps an equal selection from changing.
  const getSelection = useMemo(
    () =>
      memoizeSelection(
        () => (source ? source.getState() : noStore),
        selector,
        isEqual,
        () => committed.current,
      ),
    [source, selector, isEqual],
  );

  const value = useSyncExternalStore(subscribe, getSelection, getSelection);
  useEffect(() => {
    committed.current = { value };
  }, [value]);
  return value;
}

/* Without a store (not yet acquired, say) the state is idle and never changes. */
const noStore: SessionState = Object.freeze({ status: "idle" });

function ignoreChanges(): void {}

function wholeState(state: SessionState): SessionState {
  return state;
}
