import { SessionStore } from "graph-workbook-session";
import { createTestEnvironment } from "graph-workbook-session/testing";
import type { Observable } from "rxjs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WORKBOOK } from "../support/harness";
import { useReliabilityLedger } from "./ledger";
import { advanceUntil, startWire, stillAlive } from "./model-wire";

const ledger = useReliabilityLedger("soak-cycles");

const CYCLES = 10_000;
/** Long enough for the HTTP client's own connection timers to run out. */
const DRAIN_MS = 20_000;

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
  });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("ten thousand open and dispose cycles", () => {
  it("leave no timer, listener, subscription, session or store behind", async () => {
    const wire = await startWire();
    const environment = createTestEnvironment();
    const timersBefore = vi.getTimerCount();
    const sampled: WeakRef<object>[] = [];
    let subscriptions = 0;
    let completed = 0;
    let opened = 0;
    const left = new Set<string>();

    const cycle = async (index: number) => {
      const store = new SessionStore({ client: wire.client, workbook: WORKBOOK, environment });
      const sources: Observable<unknown>[] = [store.state$, store.status$, store.events$];
      for (const source of sources) {
        subscriptions += 1;
        source.subscribe({ complete: () => (completed += 1) });
      }
      await store.open();
      opened += 1;
      await store.dispose();
      if (index % 500 === 0) sampled.push(new WeakRef(store));
    };

    const batch = 50;
    for (let start = 0; start < CYCLES; start += batch) {
      const cycles = Array.from({ length: batch }, (_, offset) => cycle(start + offset));
      await Promise.all(cycles);
      // Every store of the batch has been disposed; a session still live now was left behind
      // (counted now, before time passes and the emulator idles it out).
      for (const session of wire.emulator.sessions()) left.add(session.id);
    }
    // The HTTP client's own connection timers run out once its sockets idle out.
    const drained = () => completed === subscriptions && vi.getTimerCount() === timersBefore;
    await advanceUntil(wire, drained, DRAIN_MS);

    const timers = vi.getTimerCount() - timersBefore;
    const listeners = environment.listenerCount;
    const openSubscriptions = subscriptions - completed;
    for (const session of wire.emulator.sessions()) left.add(session.id);
    const liveSessions = left.size;
    const closes = wire.arrivals.filter((request) => request.route === "closeSession").length;
    wire.emulator.clearRequests();
    const storesAlive = await stillAlive(sampled);

    ledger.scenario();
    ledger.leaks(timers + listeners + openSubscriptions + liveSessions + storesAlive);
    await wire.close();

    expect({ opened, closes }).toEqual({ opened: CYCLES, closes: CYCLES });
    expect({ timers, listeners, openSubscriptions, liveSessions, storesAlive }).toEqual({
      timers: 0,
      listeners: 0,
      openSubscriptions: 0,
      liveSessions: 0,
      storesAlive: 0,
    });
  }, 180_000);
});
