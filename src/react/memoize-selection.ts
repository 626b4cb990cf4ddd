import type { SessionState } from "../state/session-state";

/** A value once returned to React, kept so a later equal value can give way to it. */
export interface Selection<T> {
  readonly value: T;
}

/**
 * Reads the selected value of the current state, running `selector` only when
 * the state object changes. A selected value `isEqual` to the previous one,
 * or else to the one last committed, is replaced by it: a selector that builds
 * a new object each time then still gives React the same reference.
 */
export function memoizeSelection<T>(
  readState: () => SessionState,
  selector: (state: SessionState) => T,
  isEqual: (a: T, b: T) => boolean,
  committed: () => Selection<T> | null,
): () => T {
  let last: { state: SessionState; value: T } | null = null;

  return () => {
    const state = readState();
    if (last !== null && last.state === state) return last.value;

    const fresh = selector(state);
    const previous = last ?? committed();
    const value = previous !== null && isEqual(previous.value, fresh) ? previous.value : fresh;
    last = { state, value };
    return value;
  };
}
