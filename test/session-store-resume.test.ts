import {
  memoryStorage,
  type SessionEvent,
  type SessionStorageLike,
  type SessionStoreOptions,
} from "graph-workbook-session";
import { createTestEnvironment } from "graph-workbook-session/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  driveUntilSettled,
  emulatorLog,
  eventsOf,
  inspectableStorage,
  listSheets,
  MINUTE,
  openSession,
  passTime,
  recordEvents,
  recordStates,
  settleIo,
  statuses,
  until,
  useHarness,
  useVirtualTime,
} from "./support/harness";

const h = useHarness();

beforeEach(useVirtualTime);

const { creations, refreshes, liveIds, closes } = emulatorLog(h);

/** A page that opened a session with `overrides` (storage among them); `leave()` reloads it. */
async function earlierPage(overrides: Partial<SessionStoreOptions>) {
  const environment = createTestEnvironment();
  const store = h.store({ environment, ...overrides });
  const session = await openSession(store);
  return { store, session, leave: () => environment.leavePage() };
}

/** A page that opened a session and was reloaded at once, handing it over. */
async function reloadedPage(overrides: Partial<SessionStoreOptions>) {
  const page = await earlierPage(overrides);
  page.leave();
  return page.session;
}

/**
 * A second page that takes up the handed-over session while Graph throttles its
 * check (Retry-After: 5), and is left before the check is done.
 */
async function leftWhileChecking(storage: ReturnType<typeof memoryStorage>) {
  h.emulator.fault("refreshSession", { status: 429, retryAfter: 5 });
  const page = createTestEnvironment();
  const store = h.store({ storage, environment: page });
  const opened = store.open().catch((error: unknown) => error);
  await until(() => refreshes().length === 1, "the second page checked the session");
  await settleIo();
  page.leavePage();
  return { store, opened };
}

/** Whether the store set out to resume a remembered session, or to create one. */
function openReason(events: readonly SessionEvent[]) {
  return eventsOf(events, "create-requested")[0]?.reason;
}

describe("resuming a remembered session", () => {
  it("takes up the session of an earlier page with one refresh and no createSession", async () => {
    const storage = memoryStorage();
    const earlier = await reloadedPage({ storage });
    await passTime(2 * MINUTE);

    const store = h.store({ storage });
    const events = recordEvents(store);
    const states = recordStates(store);
    const session = await openSession(store);

    expect(session).toEqual(earlier);
    expect(creations()).toHaveLength(1);
    expect(refreshes()).toEqual([
      expect.objectContaining({ sessionId: earlier.id, answeredWith: 204 }),
    ]);
    expect(statuses(states)).toEqual(["idle", "creating", "active"]);
    expect(openReason(events)).toBe("resume");
    expect(eventsOf(events, "created")).toEqual([
      expect.objectContaining({ sessionId: earlier.id, resumed: true }),
    ]);
  });

  it("creates a new session cleanly when the remembered one expired on the server", async () => {
    const storage = inspectableStorage();
    const earlier = await reloadedPage({ storage });
    h.emulator.expireSession(earlier.id);

    const store = h.store({ storage });
    const events = recordEvents(store);
    const states = recordStates(store);
    const session = await openSession(store);

    expect(session.id).not.toBe(earlier.id);
    expect(creations()).toHaveLength(2);
    expect(statuses(states)).not.toContain("failed");
    expect(statuses(states).at(-1)).toBe("active");
    expect(states).toContainEqual(
      expect.objectContaining({
        status: "creating",
        lastError: expect.objectContaining({ operation: "refreshSession", status: 404 }),
      }),
    );
    expect(eventsOf(events, "attempt-failed")).toEqual([
      expect.objectContaining({ operation: "refreshSession" }),
    ]);
    expect(eventsOf(events, "created")).toEqual([
      expect.objectContaining({ sessionId: session.id, resumed: false }),
    ]);
    expect([...storage.items.values()].join()).toContain(session.id);
  });

  it("reports the remembered session as expired and its replacement as recreated", async () => {
    const storage = memoryStorage();
    const earlier = await reloadedPage({ storage });
    h.emulator.expireSession(earlier.id);

    const store = h.store({ storage });
    const events = recordEvents(store);
    const session = await openSession(store);

    expect(eventsOf(events, "expired")).toEqual([
      expect.objectContaining({ sessionId: earlier.id, changesLost: false }),
    ]);
    expect(eventsOf(events, "recreated")).toEqual([
      expect.objectContaining({ sessionId: session.id, previousSessionId: earlier.id }),
    ]);
  });

  it("waits out a throttled check of the remembered session instead of replacing it", async () => {
    const storage = memoryStorage();
    const earlier = await reloadedPage({ storage });
    h.emulator.fault("refreshSession", { status: 429, retryAfter: 2 });

    const store = h.store({ storage });
    const session = await openSession(store);

    expect(session.id).toBe(earlier.id);
    expect(creations()).toHaveLength(1);
    const [throttled, accepted] = refreshes();
    expect(throttled?.answeredWith).toBe(429);
    expect(accepted?.answeredWith).toBe(204);
    expect((accepted?.time ?? 0) - (throttled?.time ?? 0)).toBeGreaterThanOrEqual(2_000);
  });

  it("keeps the remembered session resumable while keep-alive refreshes it", async () => {
    const storage = memoryStorage();
    const page = await earlierPage({ storage });
    const earlier = page.session;
    await passTime(9 * MINUTE);
    page.leave();

    const store = h.store({ storage });
    const events = recordEvents(store);
    const session = await openSession(store);

    expect(refreshes().length).toBeGreaterThanOrEqual(2);
    expect(session.id).toBe(earlier.id);
    expect(openReason(events)).toBe("resume");
    expect(creations()).toHaveLength(1);
  });

  it("counts the last call as the last use of the remembered session", async () => {
    const storage = memoryStorage();
    const page = await earlierPage({ storage, keepAlive: false });
    const earlier = page.session;
    await passTime(4 * MINUTE);
    await driveUntilSettled(page.store.request(listSheets), 50);
    await passTime(2 * MINUTE);
    page.leave();

    const session = await reloadedPage({ storage });

    expect(session.id).toBe(earlier.id);
    expect(creations()).toHaveLength(1);
  });

  it("does not even refresh a session idle for longer than expiresAfter", async () => {
    const storage = memoryStorage();
    await reloadedPage({ storage, keepAlive: false });
    await passTime(5 * MINUTE + 10_000);

    const store = h.store({ storage });
    const events = recordEvents(store);
    await openSession(store);

    expect(refreshes()).toHaveLength(0);
    expect(creations()).toHaveLength(2);
    expect(openReason(events)).toBe("open");
    expect(eventsOf(events, "created")[0]).toMatchObject({ resumed: false });
  });

  it("judges idleness by the new store's own expiresAfter", async () => {
    const storage = memoryStorage();
    await reloadedPage({ storage });
    await passTime(2 * MINUTE);

    const store = h.store({ storage, keepAlive: { expiresAfter: MINUTE, margin: 10_000 } });
    await openSession(store);

    expect(refreshes()).toHaveLength(0);
    expect(creations()).toHaveLength(2);
  });

  it.each([
    ["another workbook", { workbook: "/me/drive/items/01OTHERWORKBOOK" }],
    ["persistChanges false", { persistChanges: false }],
  ])("does not resume a session remembered for a store with %s", async (_, overrides) => {
    const storage = memoryStorage();
    await reloadedPage({ storage });

    const store = h.store({ storage, ...overrides });
    const events = recordEvents(store);
    await openSession(store);

    expect(refreshes()).toHaveLength(0);
    expect(creations()).toHaveLength(2);
    expect(openReason(events)).toBe("open");
  });

  it("forgets the session once it is closed", async () => {
    const storage = inspectableStorage();
    const earlierStore = h.store({ storage });
    await openSession(earlierStore);
    await earlierStore.close();
    expect(storage.items.size).toBe(0);

    await reloadedPage({ storage });

    expect(refreshes()).toHaveLength(0);
    expect(creations()).toHaveLength(2);
  });

  it("marks changes lost when a remembered non-persistent session cannot be resumed", async () => {
    const storage = memoryStorage();
    const earlier = await reloadedPage({ storage, persistChanges: false });
    h.emulator.expireSession(earlier.id);

    const store = h.store({ storage, persistChanges: false });
    await openSession(store);

    expect(store.getState()).toMatchObject({ status: "active", changesLost: true });
  });

  // A 502/503 does not say the remembered session is gone: left open, it would
  // hold one of the workbook's few sessions until it expired.
  it.each([502, 503])(
    "closes the remembered session it gave up on after a %i, as when replacing one",
    async (status) => {
      const storage = memoryStorage();
      const earlier = await reloadedPage({ storage });
      h.emulator.fault("refreshSession", { status, innerCode: null });

      const store = h.store({ storage });
      const events = recordEvents(store);
      const session = await openSession(store);
      await until(() => eventsOf(events, "closed").length === 1, "the old session is closed", 500);

      expect(eventsOf(events, "closed")[0]).toMatchObject({
        sessionId: earlier.id,
        reason: "replaced",
      });
      expect(liveIds()).not.toContain(earlier.id);
      expect(liveIds()).toContain(session.id);
    },
  );
});

describe("who may take up a remembered session", () => {
  it("not a second store while the first still holds it: each has a session of its own", async () => {
    const storage = memoryStorage();
    const first = await earlierPage({ storage });

    const second = await openSession(h.store({ storage }));

    expect(second.id).not.toBe(first.session.id);
    expect(refreshes()).toHaveLength(0);
    expect(creations()).toHaveLength(2);
  });

  it("not a duplicated tab, whose storage is a copy taken while the first tab runs", async () => {
    const storage = inspectableStorage();
    const first = await earlierPage({ storage });
    const copy = inspectableStorage();
    for (const [key, value] of storage.items) copy.setItem(key, value);

    const duplicate = await openSession(h.store({ storage: copy }));
    await first.store.close();

    expect(duplicate.id).not.toBe(first.session.id);
    expect(liveIds()).toEqual([duplicate.id]);
  });

  it("not once the left page came back from the back-forward cache and took it back", async () => {
    const storage = memoryStorage();
    const environment = createTestEnvironment();
    const first = await openSession(h.store({ storage, environment }));
    environment.hide();
    environment.leavePage();
    environment.show();

    const second = await openSession(h.store({ storage }));

    expect(second.id).not.toBe(first.id);
    expect(refreshes()).toHaveLength(0);
  });
});

describe("a handed-over session is taken up once", () => {
  it("by one of two stores opening on the next page; the other creates its own", async () => {
    const storage = memoryStorage();
    const earlier = await reloadedPage({ storage });

    const [a, b] = await Promise.all([
      openSession(h.store({ storage })),
      openSession(h.store({ storage })),
    ]);

    expect([a.id, b.id].filter((id) => id === earlier.id)).toHaveLength(1);
    expect(creations()).toHaveLength(2);
  });

  it("a page back from the cache lets go of a session another page took up, without closing it", async () => {
    const storage = memoryStorage();
    const pageA = createTestEnvironment();
    const a = h.store({ storage, environment: pageA });
    const session = await openSession(a);
    pageA.hide();
    pageA.leavePage();
    const b = h.store({ storage });
    expect((await openSession(b)).id).toBe(session.id);

    pageA.show();
    await driveUntilSettled(a.close(), 50);
    const call = await driveUntilSettled(b.request(listSheets), 50);

    expect(a.getState().status).toBe("idle");
    expect(call.error).toBeUndefined();
    expect(b.getState()).toMatchObject({ status: "active", session: { id: session.id } });
    expect(h.emulator.requestsTo("closeSession")).toHaveLength(0);
  });

  it("the page that handed it over, disposed later, does not close it under the new page", async () => {
    const storage = inspectableStorage();
    const page = await earlierPage({ storage });
    page.leave();
    const next = h.store({ storage });
    expect((await openSession(next)).id).toBe(page.session.id);

    await driveUntilSettled(page.store.dispose(), 50);
    const call = await driveUntilSettled(next.request(listSheets), 50);

    expect(h.emulator.requestsTo("closeSession")).toHaveLength(0);
    expect(call.error).toBeUndefined();
    expect(creations()).toHaveLength(1);
    expect([...storage.items.values()].join()).toContain(page.session.id);

    await driveUntilSettled(next.dispose(), 50);
    expect(liveIds()).not.toContain(page.session.id);
  });

  it("the page that handed it over closes it when nobody took it up", async () => {
    const page = await earlierPage({ storage: memoryStorage() });
    page.leave();

    await driveUntilSettled(page.store.dispose(), 50);

    expect(liveIds()).not.toContain(page.session.id);
  });

  it("not by a store whose createSession flags differ", async () => {
    const storage = memoryStorage();
    const earlier = await reloadedPage({ storage, commitExplicitly: true });

    const session = await openSession(h.store({ storage, commitExplicitly: false }));

    expect(session.id).not.toBe(earlier.id);
    expect(refreshes()).toHaveLength(0);
  });

  it("and closed when the store is closed while it is being checked", async () => {
    const storage = inspectableStorage();
    const earlier = await reloadedPage({ storage });
    h.emulator.fault("refreshSession", { delayMs: 1_000 });

    const store = h.store({ storage });
    const opening = store.open().catch(() => undefined);
    await until(() => refreshes().length === 1, "the check is sent");
    await driveUntilSettled(store.close(), 50);
    await passTime(5_000, 500);
    await opening;

    expect(liveIds()).not.toContain(earlier.id);
  });
});

describe("what storage holds", () => {
  /** A record as the store writes it, for the session `id`, last used now. */
  const record = (id: string, overrides: Record<string, unknown> = {}) =>
    JSON.stringify({
      format: 2,
      id,
      persistChanges: true,
      lastActivityAt: Date.now(),
      released: true,
      ...overrides,
    });

  const garbage: [string, (id: string) => string][] = [
    ["text that is not JSON", () => "not json {"],
    ["null", () => "null"],
    ["an array", () => "[]"],
    ["a JSON string", () => JSON.stringify("a string")],
    ["an unknown format", (id) => record(id, { format: 1 })],
    ["a session its page still holds", (id) => record(id, { released: false })],
    ["no word on whether its page let it go", (id) => record(id, { released: undefined })],
    ["no lastActivityAt", (id) => record(id, { lastActivityAt: undefined })],
    ["a lastActivityAt that is not a number", (id) => record(id, { lastActivityAt: "now" })],
    ["a persistChanges that is not a boolean", (id) => record(id, { persistChanges: "yes" })],
    ["an empty id", () => record("")],
    ["an id that is not a string", () => record("x", { id: 42 })],
    ["an id with a line break", (id) => record(`${id}\r\nX-Injected: 1`)],
    ["an id with a space", (id) => record(`${id} x`)],
    ["an id too long for a header", () => record("a".repeat(10_000))],
    ["fields only under __proto__", (id) => `{"__proto__":${record(id)}}`],
  ];

  it.each(garbage)("ignores an entry with %s and creates a session", async (_, entry) => {
    const storage = inspectableStorage();
    const earlier = await reloadedPage({ storage });
    const [key] = [...storage.items.keys()];
    storage.setItem(key!, entry(earlier.id));

    const store = h.store({ storage });
    const events = recordEvents(store);
    const session = await openSession(store);

    expect(openReason(events)).toBe("open");
    expect(eventsOf(events, "attempt-failed")).toEqual([]);
    expect(refreshes()).toHaveLength(0);
    expect(creations()).toHaveLength(2);
    expect(store.getState()).toMatchObject({ status: "active", session: { id: session.id } });
    expect(storage.items.get(key!)).toContain(session.id);
  });

  it("resumes from an entry written the same way, so only the garbage was refused", async () => {
    const storage = inspectableStorage();
    const earlier = await reloadedPage({ storage });
    const [key] = [...storage.items.keys()];
    storage.setItem(key!, record(earlier.id));

    const store = h.store({ storage });
    const events = recordEvents(store);
    await openSession(store);

    expect(openReason(events)).toBe("resume");
    expect(refreshes()).toEqual([expect.objectContaining({ sessionId: earlier.id })]);
  });

  it("works on with a storage whose every method throws", async () => {
    const fail = () => {
      throw new Error("storage is blocked");
    };
    const storage: SessionStorageLike = { getItem: fail, setItem: fail, removeItem: fail };
    const store = h.store({ storage });
    const states = recordStates(store);

    await openSession(store);
    const call = await driveUntilSettled(store.request(listSheets), 50);
    await driveUntilSettled(store.close(), 50);
    await driveUntilSettled(store.dispose(), 50);

    expect(call.error).toBeUndefined();
    expect(statuses(states)).toEqual(["idle", "creating", "active", "idle"]);
    expect(h.emulator.requestsTo("closeSession")).toHaveLength(1);
  });

  it("works on with a storage that answers something other than text", async () => {
    const storage = {
      getItem: () => 42 as unknown as string,
      setItem: () => undefined,
      removeItem: () => undefined,
    };
    const store = h.store({ storage });
    const events = recordEvents(store);

    await openSession(store);

    expect(openReason(events)).toBe("open");
    expect(creations()).toHaveLength(1);
  });
});

describe("a remembered session let go of while it is checked", () => {
  afterEach(() => vi.restoreAllMocks());

  /** A page that opened a session and was reloaded, handing it over through `storage`. */
  async function handedOver(storage: SessionStorageLike) {
    const environment = createTestEnvironment();
    const remembered = await openSession(h.store({ storage, environment }));
    environment.leavePage();
    return remembered;
  }

  it("is closed once the cooldown has passed when openTimeout gives it up", async () => {
    const storage = memoryStorage();
    const remembered = await handedOver(storage);
    // Graph throttles the check for longer than openTimeout.
    h.emulator.fault("refreshSession", { status: 429, retryAfter: 10 });
    const store = h.store({ storage, openTimeout: 3_000 });
    const events = recordEvents(store);

    const opening = store.open().catch((error: unknown) => error);
    await passTime(5_000, 250);
    expect(await opening).toMatchObject({ code: "openTimeout" });
    await passTime(30_000, 1_000);
    await settleIo();

    const closed = eventsOf(events, "closed").filter((e) => e.sessionId === remembered.id);
    expect(closed).toEqual([expect.objectContaining({ reason: "dropped", closed: true })]);
    expect(liveIds()).not.toContain(remembered.id);
  });

  it("is closed with a keepalive request when the page is left", async () => {
    const storage = memoryStorage();
    const remembered = await handedOver(storage);
    const keepalives: unknown[] = [];
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      if (url.includes("closeSession")) keepalives.push(init?.keepalive);
      return realFetch(input, init);
    });
    h.emulator.fault("refreshSession", { delayMs: 5_000 });
    const environment = createTestEnvironment();
    const store = h.store({ storage, environment, closeOnPageHide: true });

    const opening = store.open().catch((error: unknown) => error);
    await until(() => refreshes().length === 1, "the check is on the wire");
    environment.leavePage();
    expect(await opening).toMatchObject({ kind: "aborted" });
    await passTime(6_000, 500);
    await settleIo();

    expect(closes().map((request) => request.sessionId)).toEqual([remembered.id]);
    expect(keepalives).toEqual([true]);
  });
});

describe("a remembered session found dead on resume, which the store replaces by itself", () => {
  it("does not tell the app to create a new session, in the expired event or the state", async () => {
    const storage = memoryStorage();
    const remembered = await reloadedPage({ storage });
    h.emulator.expireSession(remembered.id);

    const store = h.store({ storage });
    const events = recordEvents(store);
    const states = recordStates(store);
    await openSession(store);

    expect(eventsOf(events, "recreated")).toHaveLength(1);
    const [expired] = eventsOf(events, "expired");
    expect(expired?.error.kind).toBe("recreate-session");
    const lastErrors = states.flatMap((state) =>
      state.status === "creating" && state.lastError ? [state.lastError] : [],
    );
    expect(lastErrors.length).toBeGreaterThan(0);
    for (const error of [expired?.error, ...lastErrors]) {
      expect(error?.message).toContain("The store opens a new session in its place by itself");
      expect(error?.message).not.toContain("create a new session and send");
    }
  });
});

describe("a page left while it checks the session it resumes", () => {
  it("hands the session on to the next page, which resumes it", async () => {
    const storage = memoryStorage();
    const first = await reloadedPage({ storage });
    await leftWhileChecking(storage);

    const third = await openSession(h.store({ storage }));

    expect(third.id).toBe(first.id);
    expect(creations()).toHaveLength(1);
  });
});

describe("a page left while it checks a session it resumes, whose check then succeeds", () => {
  it("does not close that session under the page that took it up", async () => {
    const storage = memoryStorage();
    const session = await reloadedPage({ storage });
    const { store: second, opened: secondOpen } = await leftWhileChecking(storage);

    // The third page takes the session up.
    const third = h.store({ storage });
    expect((await openSession(third)).id).toBe(session.id);

    // The second page's check is retried after Retry-After, and succeeds.
    await driveUntilSettled(secondOpen, 1_000);
    await passTime(10_000, 1_000);

    // The left page disposes (as one let go of from the back-forward cache would).
    await driveUntilSettled(second.dispose(), 50);
    const call = await driveUntilSettled(third.request(listSheets), 50);

    // Disposing later does not close a session another page took up.
    expect(closes().filter((close) => close.sessionId === session.id)).toEqual([]);
    expect(call.error).toBeUndefined();
    expect(creations()).toHaveLength(1);
  });

  it("stays handed over when the check ends after the page was left, so the next page resumes it", async () => {
    const storage = memoryStorage();
    const session = await reloadedPage({ storage });
    const { opened: secondOpen } = await leftWhileChecking(storage);

    // The left page's check ends before the next page's store opens.
    await driveUntilSettled(secondOpen, 1_000);
    const third = await openSession(h.store({ storage }));

    expect(third.id).toBe(session.id);
    expect(creations()).toHaveLength(1);
  });
});
