import type { SessionState, SessionStore } from "graph-workbook-session";
import { from, lastValueFrom, take, toArray } from "rxjs";
import { describe, expect, it, vi } from "vitest";
import {
  driveUntilSettled,
  recordStates,
  settleIo,
  statuses,
  useHarness,
  useVirtualTime,
} from "./support/harness";

const h = useHarness();

/** Reads a store's current value the way Svelte's `get` does: subscribe, then unsubscribe. */
function svelteGet<T>(store: { subscribe(run: (value: T) => void): () => void }): T {
  let value: T | undefined;
  let seen = false;
  const unsubscribe = store.subscribe((next) => {
    value = next;
    seen = true;
  });
  unsubscribe();
  if (!seen) throw new Error("the store did not call its subscriber at once");
  return value as T;
}

/** Opens a session after one failed createSession, so `creating` changes without its status. */
async function openAfterOneRetry(store: SessionStore) {
  h.emulator.fault("createSession", { status: 503 });
  return (await driveUntilSettled(store.open(), 50)).value!;
}

describe("select", () => {
  it("emits a projection only when it changes", async () => {
    useVirtualTime();
    const store = h.store();
    const states = recordStates(store);
    const seen: string[] = [];
    store.select((state) => state.status).subscribe((status) => seen.push(status));

    await openAfterOneRetry(store);
    await store.close();

    // creating changes several times (attempt, last error, next attempt) without its status.
    expect(statuses(states).filter((status) => status === "creating").length).toBeGreaterThan(1);
    expect(seen).toEqual(["idle", "creating", "active", "idle"]);
  });

  it("compares with the equality given", async () => {
    const store = h.store();
    const seen: { active: boolean }[] = [];
    store
      .select(
        (state) => ({ active: state.status === "active" }),
        (previous, next) => previous.active === next.active,
      )
      .subscribe((value) => seen.push(value));

    await store.open();
    await store.close();

    expect(seen).toEqual([{ active: false }, { active: true }, { active: false }]);
  });

  it("shares one projection among subscribers and replays the latest to a late one", async () => {
    const store = h.store();
    const projector = vi.fn((state: SessionState) => state.status);
    const status$ = store.select(projector);
    const first: string[] = [];
    const second: string[] = [];

    status$.subscribe((status) => first.push(status));
    status$.subscribe((status) => second.push(status));
    await store.open();
    const late: string[] = [];
    status$.subscribe((status) => late.push(status));

    expect(first).toEqual(["idle", "creating", "active"]);
    expect(second).toEqual(["idle", "creating", "active"]);
    expect(late).toEqual(["active"]);
    // One call per state, not one per subscriber and state.
    expect(projector).toHaveBeenCalledTimes(3);
  });

  it("lets go of the store when its last subscriber leaves, and starts afresh after", async () => {
    const store = h.store();
    const projector = vi.fn((state: SessionState) => state.status);
    const status$ = store.select(projector);

    const a = status$.subscribe();
    const b = status$.subscribe();
    a.unsubscribe();
    await store.open();
    expect(projector).toHaveBeenCalledTimes(3);

    b.unsubscribe();
    await store.close();
    expect(projector).toHaveBeenCalledTimes(3);

    const again: string[] = [];
    status$.subscribe((status) => again.push(status));
    expect(again).toEqual(["idle"]);
    expect(projector).toHaveBeenCalledTimes(4);
  });
});

describe("status$ and sessionId$", () => {
  it("follow a session from open to close", async () => {
    const store = h.store();
    const status: string[] = [];
    const ids: (string | null)[] = [];
    store.status$.subscribe((value) => status.push(value));
    store.sessionId$.subscribe((value) => ids.push(value));

    const session = await store.open();
    await store.close();

    expect(status).toEqual(["idle", "creating", "active", "idle"]);
    expect(ids).toEqual([null, session.id, null]);
    expect(h.emulator.requestsTo("closeSession")[0]?.sessionId).toBe(session.id);
  });

  it("report each new session when Graph makes the store replace it", async () => {
    const store = h.store();
    const ids: (string | null)[] = [];
    store.sessionId$.subscribe((value) => ids.push(value));

    const first = await store.open();
    h.emulator.expireSession(first.id);
    await store.request((session) => session.api("/worksheets").get());
    const second = store.getState();

    expect(second.status).toBe("active");
    const secondId = second.status === "active" ? second.session.id : "";
    expect(secondId).not.toBe(first.id);
    expect(ids).toEqual([null, first.id, null, secondId]);
  });

  it("complete when the store is disposed", async () => {
    const store = h.store();
    const status: string[] = [];
    const complete = vi.fn();
    store.status$.subscribe({ next: (value) => status.push(value), complete });

    await store.open();
    await store.dispose();

    expect(status).toEqual(["idle", "creating", "active", "idle"]);
    expect(complete).toHaveBeenCalledTimes(1);
  });
});

describe("subscribe", () => {
  it("calls the listener at once with the current state, then on every change", async () => {
    const store = h.store();
    const listener = vi.fn();

    const unsubscribe = store.subscribe(listener);

    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenLastCalledWith(store.getState());
    await store.open();
    expect(listener.mock.calls.map(([state]) => state.status)).toEqual([
      "idle",
      "creating",
      "active",
    ]);
    unsubscribe();
  });

  it("stops calling the listener once unsubscribed, and leaves other listeners alone", async () => {
    const store = h.store();
    const stopped = vi.fn();
    const kept = vi.fn();

    const unsubscribe = store.subscribe(stopped);
    store.subscribe(kept);
    unsubscribe();
    unsubscribe();
    await store.open();

    expect(stopped).toHaveBeenCalledTimes(1);
    expect(kept).toHaveBeenCalledTimes(3);
  });

  // Bug: after dispose() the state subject has completed, and a completed
  // BehaviorSubject gives a new subscriber only `complete`, so the listener is never
  // called. Svelte's contract (and subscribe's own doc) wants the current state at once.
  it("still calls a listener at once after the store was disposed", async () => {
    const store = h.store();
    await store.open();
    await store.dispose();
    const listener = vi.fn();

    store.subscribe(listener)();

    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenLastCalledWith(store.getState());
  });

  it("keeps Svelte's store contract: a first call at once, a function to unsubscribe", async () => {
    const store = h.store();

    const unsubscribe = store.subscribe(() => undefined);

    expect(typeof unsubscribe).toBe("function");
    expect(svelteGet(store)).toBe(store.getState());
    const session = await store.open();
    expect(svelteGet(store)).toMatchObject({ status: "active", session: { id: session.id } });
    unsubscribe();
  });
});

describe("Observable interop", () => {
  it("lets rxjs from(store) read the states", async () => {
    const store = h.store();

    const states$ = from(store);
    const collected = lastValueFrom(states$.pipe(take(3), toArray()));
    await store.open();

    expect(statuses(await collected)).toEqual(["idle", "creating", "active"]);
  });

  it("completes from(store) when the store is disposed", async () => {
    const store = h.store();
    const seen: string[] = [];
    const complete = vi.fn();
    from(store).subscribe({
      next: (state) => seen.push(state.status),
      complete,
    });

    await store.open();
    await store.dispose();
    await settleIo();

    expect(seen).toEqual(["idle", "creating", "active", "idle"]);
    expect(complete).toHaveBeenCalledTimes(1);
  });

  it("also answers to Symbol.observable when the page defines it", () => {
    const symbols = Symbol as unknown as { observable?: symbol };
    const before = Object.getOwnPropertyDescriptor(Symbol, "observable");
    Object.defineProperty(Symbol, "observable", {
      value: Symbol("observable"),
      configurable: true,
    });
    try {
      const store = h.store();
      const interop = (store as unknown as Record<symbol, () => unknown>)[symbols.observable!];

      expect(typeof interop).toBe("function");
      expect(interop?.call(store)).toBe(store.state$);
    } finally {
      if (before) Object.defineProperty(Symbol, "observable", before);
      else delete symbols.observable;
    }
  });
});
