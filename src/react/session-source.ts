import type { SessionState } from "../state/session-state";

/**
 * What the React hooks need from a store: its current state, and a way to
 * hear of changes. `SessionStore` fits it; so does any object with the same
 * two methods, such as a fake in a component test.
 *
 * @example
 * ```ts
 * const source: SessionSource = new SessionStore({ client, workbook });
 * ```
 */
export interface SessionSource {
  /** The current state: the same object until something changes. */
  getState(): SessionState;
  /** Calls `listener` on every change until the returned function is called. */
  subscribe(listener: (state: SessionState) => void): () => void;
}
