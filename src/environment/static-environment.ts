import type { SessionEnvironment } from "./session-environment";

/**
 * An environment that is always visible and online and never changes: the one
 * to use under Node, in workers and in server-side rendering.
 */
export const staticEnvironment: SessionEnvironment = Object.freeze({
  isVisible: () => true,
  isOnline: () => true,
  watch: () => stopWatchingNothing,
});

function stopWatchingNothing(): void {}
