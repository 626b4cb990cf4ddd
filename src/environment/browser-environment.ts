import type { EnvironmentChange, SessionEnvironment } from "./session-environment";

/**
 * The parts of a browser window that `browserEnvironment()` reads. A real
 * `window` fits, and so does a fake one made of `EventTarget`s.
 */
export interface BrowserWindowLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;

  /** Its `visibilitychange` events are watched. Missing means always visible. */
  readonly document?:
    | {
        readonly visibilityState: string;
        addEventListener(type: string, listener: () => void): void;
        removeEventListener(type: string, listener: () => void): void;
      }
    | undefined;

  /** Missing, or without `onLine`, means always online. */
  readonly navigator?: { readonly onLine?: boolean | undefined } | undefined;
}

type BrowserDocumentLike = NonNullable<BrowserWindowLike["document"]>;

type EventSourceLike = Pick<BrowserWindowLike, "addEventListener" | "removeEventListener">;

/** One listener added by `watch()`, kept so that it can be removed again. */
type Binding = readonly [source: EventSourceLike, type: string, handler: () => void];

/** Window events whose names are also the change they report. */
const WINDOW_CHANGES = ["online", "offline", "pagehide"] as const;

/**
 * The environment of a browser page: visibility from `document.visibilityState`,
 * connectivity from `navigator.onLine`, and changes from the `visibilitychange`,
 * `online`, `offline` and `pagehide` events.
 *
 * `window` defaults to `globalThis`, read when this function is called, so
 * importing the module touches no browser global.
 */
export function browserEnvironment(window: BrowserWindowLike = globalThis): SessionEnvironment {
  return {
    isVisible: () => isDocumentVisible(window.document),
    isOnline: () => window.navigator?.onLine !== false,
    watch: (listener) => watchWindow(window, listener),
  };
}

/*
 * Only "hidden" counts as hidden: jsdom reports "prerender" unless told to
 * pretend to be visual, and treating that as hidden would idle its tests.
 */
function isDocumentVisible(document: BrowserDocumentLike | undefined): boolean {
  return document?.visibilityState !== "hidden";
}

function watchWindow(
  window: BrowserWindowLike,
  listener: (change: EnvironmentChange) => void,
): () => void {
  const bindings = bindingsFor(window, listener);
  for (const [source, type, handler] of bindings) source.addEventListener(type, handler);

  let watching = true;
  return () => {
    if (!watching) return;

    watching = false;
    for (const [source, type, handler] of bindings) source.removeEventListener(type, handler);
  };
}

/*
 * Each source is checked before use: under Node, the default `globalThis` has
 * no `addEventListener`, whatever the DOM typings say, and then no change is
 * ever reported instead of `watch()` throwing.
 */
function bindingsFor(
  window: BrowserWindowLike,
  listener: (change: EnvironmentChange) => void,
): Binding[] {
  const bindings: Binding[] = [];
  if (canListen(window)) {
    for (const change of WINDOW_CHANGES) bindings.push([window, change, () => listener(change)]);
  }

  const document = window.document;
  if (canListen(document)) {
    const onVisibilityChange = () => listener(isDocumentVisible(document) ? "visible" : "hidden");
    bindings.push([document, "visibilitychange", onVisibilityChange]);
  }
  return bindings;
}

function canListen(source: Partial<EventSourceLike> | undefined): source is EventSourceLike {
  return typeof source?.addEventListener === "function";
}
