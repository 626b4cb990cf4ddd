import { type BrowserWindowLike, browserEnvironment } from "./browser-environment";
import type { SessionEnvironment } from "./session-environment";
import { staticEnvironment } from "./static-environment";

/**
 * The environment a store uses when given none: the browser page when there is
 * one, otherwise `staticEnvironment`. Looks at `globalThis` on each call, never
 * at import.
 */
export function defaultEnvironment(): SessionEnvironment {
  return isBrowserPage() ? browserEnvironment(globalThis) : staticEnvironment;
}

/* A worker has `addEventListener` but no document; it gets the static environment. */
export function isBrowserPage(): boolean {
  const scope = globalThis as Partial<BrowserWindowLike>;
  const hasDocument = typeof scope.document === "object" && scope.document !== null;
  return hasDocument && typeof scope.addEventListener === "function";
}
