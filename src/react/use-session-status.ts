import type { SessionState, SessionStatus } from "../state/session-state";
import type { SessionSource } from "./session-source";
import { useSessionState } from "./use-session-state";

/**
 * The store's status alone (`idle`, `creating`, `active`, `failed`),
 * re-rendering the component only when the status changes.
 *
 * @example
 * ```tsx
 * function OpenButton({ store }: { store: SessionStore }) {
 *   const status = useSessionStatus(store);
 *   return (
 *     <button disabled={status === "creating"} onClick={() => store.open()}>
 *       Open
 *     </button>
 *   );
 * }
 * ```
 */
export function useSessionStatus(source: SessionSource | null): SessionStatus {
  return useSessionState(source, statusOf);
}

function statusOf(state: SessionState): SessionStatus {
  return state.status;
}
