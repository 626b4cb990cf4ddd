/**
 * React bindings for a workbook session store: hooks that read its state
 * through `useSyncExternalStore`, on the client and on the server.
 *
 * @packageDocumentation
 * @module graph-workbook-session/react
 */
export type { SessionSource } from "./session-source";
export { useSessionState } from "./use-session-state";
export { useSessionStatus } from "./use-session-status";
export type { StoreLender } from "./use-workbook-store";
export { useWorkbookStore } from "./use-workbook-store";
