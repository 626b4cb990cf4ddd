import {
  type BrowserWindowLike,
  browserEnvironment,
  type EnvironmentChange,
  memoryStorage,
  type SessionStorageLike,
  staticEnvironment,
} from "graph-workbook-session";
import { createTestEnvironment } from "graph-workbook-session/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultEnvironment } from "../src/environment/default-environment";
import { safeStorage } from "../src/environment/safe-storage";
// Internal code is compared with the internal static environment, also when the
// public name points at the built bundle.
import { staticEnvironment as sourceStaticEnvironment } from "../src/environment/static-environment";

interface FakePage {
  visibilityState?: string;
  onLine?: boolean;
}

function fakeWindow(page: FakePage = {}) {
  const document = Object.assign(new EventTarget(), {
    visibilityState: page.visibilityState ?? "visible",
  });
  const navigator = { onLine: page.onLine ?? true };
  return Object.assign(new EventTarget(), { document, navigator });
}

type FakeWindow = ReturnType<typeof fakeWindow>;

function setVisibility(window: FakeWindow, visibilityState: string): void {
  window.document.visibilityState = visibilityState;
  window.document.dispatchEvent(new Event("visibilitychange"));
}

function setOnline(window: FakeWindow, onLine: boolean): void {
  window.navigator.onLine = onLine;
  window.dispatchEvent(new Event(onLine ? "online" : "offline"));
}

function record(environment: { watch(listener: (change: EnvironmentChange) => void): () => void }) {
  const changes: EnvironmentChange[] = [];
  const stop = environment.watch((change) => changes.push(change));
  return { changes, stop };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("browserEnvironment", () => {
  it("reads visibility and connectivity at each call", () => {
    const window = fakeWindow({ visibilityState: "hidden", onLine: false });
    const environment = browserEnvironment(window);

    expect(environment.isVisible()).toBe(false);
    expect(environment.isOnline()).toBe(false);

    window.document.visibilityState = "visible";
    window.navigator.onLine = true;

    expect(environment.isVisible()).toBe(true);
    expect(environment.isOnline()).toBe(true);
  });

  it("counts only a hidden document as hidden", () => {
    const window = fakeWindow({ visibilityState: "prerender" });

    expect(browserEnvironment(window).isVisible()).toBe(true);
  });

  it("takes a missing document as visible and a missing navigator as online", () => {
    const bare: BrowserWindowLike = new EventTarget();
    const withoutOnLine: BrowserWindowLike = Object.assign(new EventTarget(), { navigator: {} });

    expect(browserEnvironment(bare).isVisible()).toBe(true);
    expect(browserEnvironment(bare).isOnline()).toBe(true);
    expect(browserEnvironment(withoutOnLine).isOnline()).toBe(true);
  });

  it("reports visibility changes from the document", () => {
    const window = fakeWindow();
    const { changes } = record(browserEnvironment(window));

    setVisibility(window, "hidden");
    setVisibility(window, "visible");

    expect(changes).toEqual(["hidden", "visible"]);
  });

  it("reports connectivity and leaving the page from the window", () => {
    const window = fakeWindow();
    const { changes } = record(browserEnvironment(window));

    setOnline(window, false);
    setOnline(window, true);
    window.dispatchEvent(new Event("pagehide"));

    expect(changes).toEqual(["offline", "online", "pagehide"]);
  });

  it("ignores the same events on the wrong target", () => {
    const window = fakeWindow();
    const { changes } = record(browserEnvironment(window));

    window.dispatchEvent(new Event("visibilitychange"));
    window.document.dispatchEvent(new Event("offline"));
    window.document.dispatchEvent(new Event("pagehide"));

    expect(changes).toEqual([]);
  });

  it("watches without a document", () => {
    const window: BrowserWindowLike & EventTarget = new EventTarget();
    const { changes, stop } = record(browserEnvironment(window));

    window.dispatchEvent(new Event("offline"));
    stop();
    window.dispatchEvent(new Event("online"));

    expect(changes).toEqual(["offline"]);
  });

  it("removes every listener it added when unwatched, once", () => {
    const window = fakeWindow();
    const addToWindow = vi.spyOn(window, "addEventListener");
    const removeFromWindow = vi.spyOn(window, "removeEventListener");
    const addToDocument = vi.spyOn(window.document, "addEventListener");
    const removeFromDocument = vi.spyOn(window.document, "removeEventListener");
    const { changes, stop } = record(browserEnvironment(window));

    stop();
    stop();
    setVisibility(window, "hidden");
    setOnline(window, false);
    window.dispatchEvent(new Event("pagehide"));

    expect(changes).toEqual([]);
    expect(addToWindow.mock.calls.map(([type]) => type).sort()).toEqual([
      "offline",
      "online",
      "pagehide",
    ]);
    expect(addToDocument.mock.calls.map(([type]) => type)).toEqual(["visibilitychange"]);
    expect(removeFromWindow.mock.calls).toEqual(addToWindow.mock.calls);
    expect(removeFromDocument.mock.calls).toEqual(addToDocument.mock.calls);
  });

  it("keeps each watcher until its own stop is called", () => {
    const window = fakeWindow();
    const environment = browserEnvironment(window);
    const first = record(environment);
    const second = record(environment);

    first.stop();
    setOnline(window, false);

    expect(first.changes).toEqual([]);
    expect(second.changes).toEqual(["offline"]);
  });

  it("uses globalThis when given no window, read when called", () => {
    const window = fakeWindow({ visibilityState: "hidden" });
    vi.stubGlobal("document", window.document);

    const environment = browserEnvironment();
    const { changes } = record(environment);
    setVisibility(window, "visible");

    expect(changes).toEqual(["visible"]);
    expect(environment.isVisible()).toBe(true);
  });

  it("works, reporting nothing, on a globalThis without events", () => {
    const environment = browserEnvironment();
    const { changes, stop } = record(environment);
    stop();

    expect(environment.isVisible()).toBe(true);
    expect(environment.isOnline()).toBe(true);
    expect(changes).toEqual([]);
  });
});

describe("importing the package", () => {
  const browserGlobals = ["window", "document", "navigator", "addEventListener", "sessionStorage"];

  function trapGlobals(read: string[]): () => void {
    const saved = browserGlobals.map((name) => {
      const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
      Object.defineProperty(globalThis, name, {
        configurable: true,
        get: () => {
          read.push(name);
          return undefined;
        },
      });
      return [name, descriptor] as const;
    });
    return () => {
      for (const [name, descriptor] of saved) {
        if (descriptor) Object.defineProperty(globalThis, name, descriptor);
        else delete (globalThis as Record<string, unknown>)[name];
      }
    };
  }

  it("reads no browser global until an environment is used", async () => {
    const read: string[] = [];
    const restore = trapGlobals(read);
    try {
      vi.resetModules();
      const fresh = await import("graph-workbook-session");
      const readAtImport = [...read];
      fresh.browserEnvironment().isVisible();

      expect(fresh.browserEnvironment).not.toBe(browserEnvironment);
      expect(readAtImport).toEqual([]);
      expect(read).toContain("document");
    } finally {
      restore();
    }
  });
});

describe("defaultEnvironment", () => {
  it("is the static environment under Node", () => {
    expect(defaultEnvironment()).toBe(sourceStaticEnvironment);
  });

  it("is the static environment in a worker, which has events but no document", () => {
    vi.stubGlobal("addEventListener", () => {});

    expect(defaultEnvironment()).toBe(sourceStaticEnvironment);
  });

  it("follows the page when globalThis looks like a browser window", () => {
    const window = fakeWindow({ visibilityState: "hidden", onLine: false });
    vi.stubGlobal("document", window.document);
    vi.stubGlobal("navigator", window.navigator);
    vi.stubGlobal("addEventListener", window.addEventListener.bind(window));
    vi.stubGlobal("removeEventListener", window.removeEventListener.bind(window));

    const environment = defaultEnvironment();
    const { changes } = record(environment);
    window.dispatchEvent(new Event("pagehide"));

    expect(environment).not.toBe(sourceStaticEnvironment);
    expect(environment.isVisible()).toBe(false);
    expect(environment.isOnline()).toBe(false);
    expect(changes).toEqual(["pagehide"]);
  });
});

describe("staticEnvironment", () => {
  it("is always visible and online, and its watch can be stopped", () => {
    const listener = vi.fn();
    const stop = staticEnvironment.watch(listener);

    stop();
    stop();

    expect(staticEnvironment.isVisible()).toBe(true);
    expect(staticEnvironment.isOnline()).toBe(true);
    expect(listener).not.toHaveBeenCalled();
  });

  it("cannot be changed by a caller", () => {
    expect(Object.isFrozen(staticEnvironment)).toBe(true);
  });
});

describe("safeStorage", () => {
  const failing: SessionStorageLike = {
    getItem: () => {
      throw new DOMException("The operation is insecure.", "SecurityError");
    },
    setItem: () => {
      throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
    },
    removeItem: () => {
      throw new DOMException("The operation is insecure.", "SecurityError");
    },
  };

  it("turns a failed read into null and failed writes into nothing", () => {
    const storage = safeStorage(failing);

    expect(storage.getItem("session")).toBeNull();
    expect(() => storage.setItem("session", "abc")).not.toThrow();
    expect(() => storage.removeItem("session")).not.toThrow();
  });

  it("passes calls through to a working storage", () => {
    const inner = memoryStorage();
    const storage = safeStorage(inner);

    storage.setItem("session", "abc");
    expect(inner.getItem("session")).toBe("abc");
    expect(storage.getItem("session")).toBe("abc");

    storage.removeItem("session");
    expect(inner.getItem("session")).toBeNull();
  });

  it("reads anything but a string as missing", () => {
    const sloppy = { ...memoryStorage(), getItem: () => undefined as unknown as string | null };

    expect(safeStorage(sloppy).getItem("session")).toBeNull();
  });
});

describe("memoryStorage", () => {
  it("keeps, replaces and forgets items", () => {
    const storage = memoryStorage();

    expect(storage.getItem("session")).toBeNull();
    storage.setItem("session", "one");
    storage.setItem("session", "two");
    expect(storage.getItem("session")).toBe("two");

    storage.removeItem("session");
    storage.removeItem("session");
    expect(storage.getItem("session")).toBeNull();
  });

  it("gives each call its own items", () => {
    const first = memoryStorage();
    const second = memoryStorage();

    first.setItem("session", "abc");

    expect(second.getItem("session")).toBeNull();
  });
});

describe("createTestEnvironment", () => {
  it("starts visible and online unless told otherwise", () => {
    const plain = createTestEnvironment();
    const hiddenOffline = createTestEnvironment({ visible: false, online: false });

    expect([plain.isVisible(), plain.isOnline()]).toEqual([true, true]);
    expect([hiddenOffline.isVisible(), hiddenOffline.isOnline()]).toEqual([false, false]);
  });

  it("updates the state before telling each watcher", () => {
    const environment = createTestEnvironment();
    const seen: string[] = [];
    environment.watch((change) => {
      seen.push(`${change} visible=${environment.isVisible()} online=${environment.isOnline()}`);
    });

    environment.hide();
    environment.goOffline();
    environment.show();
    environment.goOnline();
    environment.leavePage();

    expect(seen).toEqual([
      "hidden visible=false online=true",
      "offline visible=false online=false",
      "visible visible=true online=false",
      "online visible=true online=true",
      "pagehide visible=true online=true",
    ]);
  });

  it("emits nothing for a call that changes nothing", () => {
    const environment = createTestEnvironment({ visible: false, online: false });
    const { changes } = record(environment);

    environment.hide();
    environment.goOffline();
    environment.show();
    environment.show();

    expect(changes).toEqual(["visible"]);
  });

  it("counts active watchers, and each stop counts once", () => {
    const environment = createTestEnvironment();
    const listener = vi.fn();
    const stopFirst = environment.watch(listener);
    const stopSecond = environment.watch(listener);

    expect(environment.listenerCount).toBe(2);

    stopFirst();
    stopFirst();
    expect(environment.listenerCount).toBe(1);

    environment.leavePage();
    expect(listener).toHaveBeenCalledTimes(1);

    stopSecond();
    expect(environment.listenerCount).toBe(0);
  });

  it("skips a watcher stopped by an earlier one during the same change", () => {
    const environment = createTestEnvironment();
    const later = vi.fn();
    let stopLater = () => {};
    environment.watch(() => stopLater());
    stopLater = environment.watch(later);

    environment.hide();

    expect(later).not.toHaveBeenCalled();
    expect(environment.listenerCount).toBe(1);
  });
});
