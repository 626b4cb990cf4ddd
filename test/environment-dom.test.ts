// @vitest-environment happy-dom
import {
  browserEnvironment,
  type EnvironmentChange,
  type SessionEnvironment,
  staticEnvironment,
} from "graph-workbook-session";
import { afterEach, describe, expect, it } from "vitest";
import { defaultEnvironment } from "../src/environment/default-environment";
import { safeStorage } from "../src/environment/safe-storage";

function record(environment: SessionEnvironment) {
  const changes: EnvironmentChange[] = [];
  const stop = environment.watch((change) => changes.push(change));
  return { changes, stop };
}

function setVisibility(visibilityState: DocumentVisibilityState): void {
  Object.defineProperty(document, "visibilityState", {
    configurable: true,
    value: visibilityState,
  });
  document.dispatchEvent(new Event("visibilitychange"));
}

afterEach(() => {
  Reflect.deleteProperty(document, "visibilityState");
  Reflect.deleteProperty(navigator, "onLine");
  sessionStorage.clear();
});

describe("in a browser page", () => {
  it("uses the page by default", () => {
    const environment = defaultEnvironment();

    expect(environment).not.toBe(staticEnvironment);
    expect(environment.isVisible()).toBe(true);
    expect(environment.isOnline()).toBe(true);
  });

  it("reads the page's visibility and connectivity", () => {
    const environment = browserEnvironment();
    setVisibility("hidden");
    Object.defineProperty(navigator, "onLine", { configurable: true, value: false });

    expect(environment.isVisible()).toBe(false);
    expect(environment.isOnline()).toBe(false);
  });

  it("reports the page's events until unwatched", () => {
    const { changes, stop } = record(browserEnvironment());

    setVisibility("hidden");
    window.dispatchEvent(new Event("offline"));
    window.dispatchEvent(new Event("online"));
    setVisibility("visible");
    window.dispatchEvent(new Event("pagehide"));
    stop();
    setVisibility("hidden");
    window.dispatchEvent(new Event("offline"));

    expect(changes).toEqual(["hidden", "offline", "online", "visible", "pagehide"]);
  });

  it("keeps items in the page's sessionStorage through safeStorage", () => {
    const storage = safeStorage(sessionStorage);

    storage.setItem("session", "abc");

    expect(sessionStorage.getItem("session")).toBe("abc");
    expect(storage.getItem("session")).toBe("abc");
  });
});
