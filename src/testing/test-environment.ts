import type { EnvironmentChange, SessionEnvironment } from "../environment/session-environment";
import { readBoolean } from "../options/read-option";
import { readRecord, refuseUnknownKeys } from "./read-setting";

/** The state a {@link createTestEnvironment} environment starts in. */
export interface TestEnvironmentOptions {
  /** Whether the page starts shown. Default true. */
  readonly visible?: boolean;
  /** Whether the network starts reachable. Default true. */
  readonly online?: boolean;
}

/**
 * A `SessionEnvironment` that a test drives by hand. Each method updates the
 * state first and then tells the watchers, so a watcher reading `isVisible()`
 * or `isOnline()` sees the new value. A method that changes nothing (`hide()`
 * on a hidden page) tells nobody.
 */
export interface TestEnvironment extends SessionEnvironment {
  /** Hides the page and emits `"hidden"`. */
  hide(): void;
  /** Shows the page and emits `"visible"`. */
  show(): void;
  /** Takes the network away and emits `"offline"`. */
  goOffline(): void;
  /** Brings the network back and emits `"online"`. */
  goOnline(): void;
  /** Emits `"pagehide"`, as a browser does when the page is closed or left. */
  leavePage(): void;
  /** How many watchers are still listening; a store that stopped cleanly leaves 0. */
  readonly listenerCount: number;
}

type Listener = (change: EnvironmentChange) => void;

/**
 * An environment for tests: starts visible and online unless told otherwise,
 * and changes only when the test calls its methods.
 *
 * @example
 * ```ts
 * const environment = createTestEnvironment({ visible: false });
 * const changes: string[] = [];
 * const stop = environment.watch((change) => changes.push(change));
 * environment.show(); // changes: ["visible"]
 * stop(); // environment.listenerCount: 0
 * ```
 */
export function createTestEnvironment(initial: TestEnvironmentOptions = {}): TestEnvironment {
  const options = checkOptions(initial);
  let visible = options.visible ?? true;
  let online = options.online ?? true;
  const watchers = createWatchers();

  const setVisible = (next: boolean) => {
    if (visible === next) return;

    visible = next;
    watchers.emit(next ? "visible" : "hidden");
  };
  const setOnline = (next: boolean) => {
    if (online === next) return;

    online = next;
    watchers.emit(next ? "online" : "offline");
  };

  return {
    isVisible: () => visible,
    isOnline: () => online,
    watch: watchers.add,
    hide: () => setVisible(false),
    show: () => setVisible(true),
    goOffline: () => setOnline(false),
    goOnline: () => setOnline(true),
    leavePage: () => watchers.emit("pagehide"),
    get listenerCount() {
      return watchers.count();
    },
  };
}

/** Refuses a misspelt key, which would leave the environment starting in another state. */
function checkOptions(initial: unknown): TestEnvironmentOptions {
  const record = readRecord(initial, "createTestEnvironment's options") ?? {};
  const visible = readBoolean(record.visible, "createTestEnvironment's visible");
  const online = readBoolean(record.online, "createTestEnvironment's online");
  refuseUnknownKeys(record, ["visible", "online"], "createTestEnvironment", "option");
  return {
    ...(visible === undefined ? {} : { visible }),
    ...(online === undefined ? {} : { online }),
  };
}

function createWatchers() {
  const active = new Set<Listener>();

  /* Each watch gets its own entry, so watching twice with one function needs two stops. */
  const add = (listener: Listener): (() => void) => {
    const entry: Listener = (change) => listener(change);
    active.add(entry);
    return () => {
      active.delete(entry);
    };
  };

  /*
   * As in a browser's dispatch, a watcher stopped by an earlier one during the
   * same change is not called, and one added during it hears only later changes.
   */
  const emit = (change: EnvironmentChange): void => {
    for (const entry of [...active]) {
      if (active.has(entry)) entry(change);
    }
  };

  return { add, emit, count: () => active.size };
}
