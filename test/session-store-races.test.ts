import type {
  SessionContext,
  SessionState,
  SessionStore,
  WorkbookSession,
} from "graph-workbook-session";
import { createTestEnvironment } from "graph-workbook-session/testing";
import { beforeEach, describe, expect, it } from "vitest";
import {
  driveUntilSettled,
  emulatorLog,
  eventsOf,
  inspectableStorage,
  listSheets,
  openSession,
  passTime,
  recordEvents,
  recordStates,
  settleIo,
  statuses,
  throttleOneCall,
  until,
  useHarness,
  useVirtualTime,
} from "./support/harness";

const h = useHarness();

beforeEach(useVirtualTime);

const append = (value: string) => (session: SessionContext) =>
  session.api("/tables('Table1')/rows/add").post({ values: [[value]] });

const { creations } = emulatorLog(h);

describe("a subscriber that closes or disposes the store while a creation starts", () => {
  /** A store that waits out a Retry-After, so its first attempt shows in the state. */
  async function storeInCooldown() {
    const store = h.store();
    await openSession(store);
    const { call } = await throttleOneCall(h, store, 5);
    await store.close();
    await call;
    return { store, before: creations().length };
  }

  it("close(): no createSession is sent afterwards and the store stays idle", async () => {
    const { store, before } = await storeInCooldown();
    store.subscribe((state: SessionState) => {
      if (state.status === "creating" && state.nextAttemptAt !== null) void store.close();
    });

    const opened = store.open().catch((error: unknown) => error);
    await passTime(10_000, 1_000);

    expect(await opened).toMatchObject({ kind: "aborted" });
    expect(creations()).toHaveLength(before);
    expect(store.getState().status).toBe("idle");
  });

  it("dispose(): nothing is sent after it and no session is left open", async () => {
    const { store, before } = await storeInCooldown();
    const liveBefore = h.emulator.sessions().length;
    store.subscribe((state: SessionState) => {
      if (state.status === "creating" && state.nextAttemptAt !== null) void store.dispose();
    });

    const opened = store.open().catch((error: unknown) => error);
    await passTime(10_000, 1_000);
    await opened;

    expect(creations()).toHaveLength(before);
    expect(h.emulator.sessions()).toHaveLength(liveBefore);
  });
});

describe("calls queued behind a creation that fails for good", () => {
  it("share its failure instead of each starting a creation", async () => {
    h.emulator.fault("createSession", { status: 503, times: Number.POSITIVE_INFINITY });
    const store = h.store({ retry: { retries: 5, baseDelay: 10, maxDelay: 10 } });
    const states = recordStates(store);

    const calls = Array.from({ length: 5 }, () =>
      store.request(listSheets).catch((error: unknown) => error),
    );
    await driveUntilSettled(Promise.all(calls), 50);

    expect(creations()).toHaveLength(6);
    const changes = statuses(states).filter((status, i, all) => status !== all[i - 1]);
    expect(changes).toEqual(["idle", "creating", "failed"]);
    for (const call of calls) expect(await call).toMatchObject({ kind: "transient", status: 503 });
  });

  it("a call made after the failure opens the store again", async () => {
    h.emulator.fault("createSession", { status: 503, times: 6 });
    const store = h.store({ retry: { retries: 5, baseDelay: 10, maxDelay: 10 } });
    await driveUntilSettled(
      store.open().catch(() => undefined),
      50,
    );

    const outcome = await driveUntilSettled(store.request(listSheets), 50);

    expect(outcome.error).toBeUndefined();
    expect(creations()).toHaveLength(7);
  });
});

describe("a subscriber that opens the store while a session is being replaced", () => {
  it("does not take up the replaced session again; the call is replayed in a new one", async () => {
    const store = h.store({ storage: inspectableStorage() });
    const first = await openSession(store);
    const seen: string[] = [];
    store.subscribe((state) => {
      if (state.status === "active") seen.push(state.session.id === first.id ? "old" : "new");
      if (state.status === "creating") void store.open().catch(() => undefined);
    });
    h.emulator.fault("worksheets", { status: 503, innerCode: null });

    const outcome = await driveUntilSettled(store.request(listSheets), 50);

    expect(outcome.error).toBeUndefined();
    expect(seen).toEqual(["old", "new"]);
    expect(h.emulator.requestsTo("refreshSession")).toHaveLength(0);
  });
});

describe("what the store remembers after giving up on a session", () => {
  /** Lets the session expire, and closes the store while its recreation is on the wire. */
  async function abandonRecreation(store: SessionStore): Promise<WorkbookSession> {
    const first = await openSession(store);
    h.emulator.expireSession(first.id);
    h.emulator.fault("createSession", { hang: true });

    const call = store.request(listSheets).catch((error: unknown) => error);
    await until(() => creations().length === 2, "the recreation is on the wire");
    await store.close();
    await call;
    return first;
  }

  it("close() during a recreation forgets the dropped session, so reopening does not check it", async () => {
    const storage = inspectableStorage();
    const store = h.store({ storage });
    const first = await abandonRecreation(store);

    expect([...storage.items.values()].join()).not.toContain(first.id);
    await passTime(40_000, 1_000);
    await openSession(store);
    expect(h.emulator.requestsTo("refreshSession")).toHaveLength(0);
  });

  it("a fresh open() after an abandoned recreation reports no recreation", async () => {
    const store = h.store();
    const events = recordEvents(store);
    await abandonRecreation(store);

    await passTime(40_000, 1_000);
    await openSession(store);

    expect(eventsOf(events, "recreated")).toEqual([]);
  });
});

describe("a non-persistent session lost without recreation", () => {
  it("a write made before Graph ended the session does not run in a new scratch session", async () => {
    const store = h.store({ persistChanges: false });
    await openSession(store);
    await driveUntilSettled(store.request(append("first")), 50);
    h.emulator.fault("worksheets", {
      status: 500,
      code: "internalServerError",
      innerCode: "internalServerErrorUncategorized",
    });

    const lost = store.request(listSheets).catch((error: unknown) => error);
    const dependent = store.request(append("depends on first")).catch((error: unknown) => error);
    await driveUntilSettled(Promise.all([lost, dependent]), 50);

    expect(await dependent).toMatchObject({ kind: "session-lost" });
    expect(h.emulator.requestsTo("addRow")).toHaveLength(1);
  });

  it("a write made on a reloaded page whose remembered scratch session is dead does not run", async () => {
    const storage = inspectableStorage();
    const pageOne = createTestEnvironment();
    const first = await openSession(
      h.store({ storage, persistChanges: false, environment: pageOne }),
    );
    pageOne.leavePage();
    h.emulator.expireSession(first.id);

    const pageTwo = h.store({ storage, persistChanges: false });
    const outcome = await driveUntilSettled(pageTwo.request(append("depends on earlier rows")), 50);

    expect(pageTwo.getState()).toMatchObject({ status: "active", changesLost: true });
    expect(outcome.error).toMatchObject({ kind: "session-lost" });
    expect(h.emulator.requestsTo("addRow")).toHaveLength(0);
  });
});

describe("a Retry-After on an answer the caller no longer waits for", () => {
  it("a late createSession refusal holds the next creation", async () => {
    const store = h.store();
    h.emulator.fault("createSession", { status: 429, retryAfter: 30, delayMs: 1_000 });

    const first = store.open().catch((error: unknown) => error);
    await until(() => creations().length === 1, "the POST is on the wire");
    await store.close();
    await first;
    await passTime(2_000, 500);
    const reopenedAt = Date.now();
    void store.open().catch(() => undefined);
    await settleIo();
    await passTime(40_000, 1_000);

    const second = creations()[1];
    expect(second).toBeDefined();
    expect((second?.time ?? 0) - reopenedAt).toBeGreaterThanOrEqual(27_000);
  });

  it("a closeSession refusal holds the next creation", async () => {
    const store = h.store();
    await openSession(store);
    h.emulator.fault("closeSession", { status: 429, retryAfter: 60 });

    await driveUntilSettled(store.close(), 50);
    void store.open().catch(() => undefined);
    await settleIo();

    expect(creations()).toHaveLength(1);
  });
});

describe("the open timeout while createSession is on the wire", () => {
  it("closes the session the late answer brings", async () => {
    const store = h.store({ openTimeout: 1_000 });
    h.emulator.fault("createSession", { delayMs: 3_000 });

    const outcome = await driveUntilSettled(store.open(), 250);
    await passTime(5_000, 500);

    expect(outcome.error).toMatchObject({ code: "openTimeout" });
    expect(h.emulator.sessions()).toHaveLength(0);
  });
});

describe("an events$ subscriber that closes the store when a session expires", () => {
  it("after a 503, the replaced session is closed once", async () => {
    const store = h.store();
    const first = await openSession(store);
    store.events$.subscribe((event) => {
      if (event.type === "expired") void store.close();
    });
    h.emulator.fault("worksheets", { status: 503, innerCode: null });

    await driveUntilSettled(
      store.request(listSheets).catch((error: unknown) => error),
      50,
    );
    await settleIo();

    const closes = h.emulator.requestsTo("closeSession");
    expect(closes.filter((close) => close.sessionId === first.id)).toHaveLength(1);
  });

  it("after a session-ending error closed on expired, the events follow the states: failed, then idle", async () => {
    const store = h.store();
    await openSession(store);
    const events = recordEvents(store);
    const states = recordStates(store);
    store.events$.subscribe((event) => {
      if (event.type === "expired") void store.close();
    });
    h.emulator.fault("worksheets", {
      status: 404,
      code: "itemNotFound",
      innerCode: "invalidSessionNotFound",
    });

    await driveUntilSettled(
      store.request(listSheets).catch((error: unknown) => error),
      50,
    );

    expect(store.getState().status).toBe("idle");
    // state$ subscribers saw failed before the close took effect; events$ says the same.
    expect(statuses(states)).toEqual(["active", "failed", "idle"]);
    expect(events.map((event) => event.type)).toEqual(["expired", "failed"]);
  });
});

describe("closing and refreshing across sessions", () => {
  it("close() then dispose() without waiting still reports the close before disposed", async () => {
    const store = h.store();
    const events = recordEvents(store);
    const session = await openSession(store);
    h.emulator.fault("closeSession", { delayMs: 2_000 });

    void store.close();
    void store.dispose();
    await passTime(5_000, 500);

    expect(eventsOf(events, "closed").map((event) => event.sessionId)).toEqual([session.id]);
    expect(events.at(-1)?.type).toBe("disposed");
  });

  it("refresh() after a recreation refreshes the new session, not the old one's request", async () => {
    const store = h.store({ keepAlive: false });
    const first = await openSession(store);
    h.emulator.fault("refreshSession", { delayMs: 5_000 });
    const oldRefresh = store.refresh();
    oldRefresh.catch(() => undefined);
    await until(() => h.emulator.requestsTo("refreshSession").length === 1, "refresh sent");
    h.emulator.fault("worksheets", { status: 503, innerCode: null });
    await driveUntilSettled(store.request(listSheets), 50);

    const newRefresh = store.refresh();
    await driveUntilSettled(
      newRefresh.catch(() => undefined),
      500,
    );

    expect(newRefresh).not.toBe(oldRefresh);
    const refreshed = h.emulator.requestsTo("refreshSession").map((r) => r.sessionId);
    expect(refreshed.some((id) => id !== first.id)).toBe(true);
  });
});

describe("a call cancelled while request() is still starting it", () => {
  it("never runs when a state$ subscriber aborts it on seeing creating", async () => {
    const store = h.store();
    const controller = new AbortController();
    store.state$.subscribe((state) => {
      if (state.status === "creating") controller.abort();
    });
    let ran = false;

    const outcome = store.request(
      (session) => {
        ran = true;
        return listSheets(session);
      },
      { signal: controller.signal },
    );

    await expect(outcome).rejects.toMatchObject({ kind: "aborted", operation: "request" });
    await until(() => store.getState().status === "active", "the session opened");
    await settleIo();
    expect(ran).toBe(false);
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(0);
  });
});
