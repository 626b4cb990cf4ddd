import type { SessionContext, SessionStore } from "graph-workbook-session";
import { createTestEnvironment, type Fault } from "graph-workbook-session/testing";
import { beforeEach, describe, expect, it, vi } from "vitest";
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
  SESSION_RECREATABLE,
  settleIo,
  statuses,
  until,
  useHarness,
  useVirtualTime,
} from "./support/harness";

const h = useHarness();

beforeEach(useVirtualTime);

const { creations, closes, liveIds } = emulatorLog(h);

const writeA1 = (value: number) => (session: SessionContext) =>
  session.api("/worksheets('Sheet1')/range(address='A1')").patch({ values: [[value]] });
const readA1 = (session: SessionContext) =>
  session.api("/worksheets('Sheet1')/range(address='A1')").get();

function activeId(store: SessionStore): string | null {
  const state = store.getState();
  return state.status === "active" ? state.session.id : null;
}

describe("a session Graph dropped", () => {
  it("is recreated once and the call resumes in it, never passing through failed", async () => {
    const store = h.store();
    const events = recordEvents(store);
    const first = await openSession(store);
    const states = recordStates(store);
    h.emulator.expireSession(first.id);

    const outcome = await driveUntilSettled(store.request(listSheets), 50);

    expect(outcome.error).toBeUndefined();
    expect(outcome.value).toMatchObject({ value: [{ name: "Sheet1" }] });
    expect(statuses(states)).toEqual(["active", "creating", "active"]);
    expect(states[1]).toMatchObject({
      lastError: { kind: "recreate-session", status: 404, innerCode: "invalidSessionReCreatable" },
      changesLost: false,
    });
    const second = activeId(store);
    expect(second).not.toBe(first.id);
    expect(creations()).toHaveLength(2);
    expect(h.emulator.requestsTo("worksheets").map((call) => call.sessionId)).toEqual([
      first.id,
      second,
    ]);
    expect(eventsOf(events, "expired")).toEqual([
      expect.objectContaining({
        sessionId: first.id,
        changesLost: false,
        error: expect.objectContaining({ kind: "recreate-session" }),
      }),
    ]);
    expect(eventsOf(events, "recreated")).toEqual([
      expect.objectContaining({
        sessionId: second,
        previousSessionId: first.id,
        changesLost: false,
      }),
    ]);
    expect(closes()).toHaveLength(0);
  });

  it.each([502, 503])(
    "is replaced after a sessionful %i with no code, and the old one is closed as replaced",
    async (status) => {
      const store = h.store();
      const events = recordEvents(store);
      const first = await openSession(store);
      h.emulator.fault("worksheets", { status, innerCode: null });

      const outcome = await driveUntilSettled(store.request(listSheets), 50);
      await until(() => eventsOf(events, "closed").length === 1, "the old session is closed");

      expect(outcome.error).toBeUndefined();
      const second = activeId(store);
      expect(closes()).toEqual([
        expect.objectContaining({ sessionId: first.id, answeredWith: 204 }),
      ]);
      expect(eventsOf(events, "closed")).toEqual([
        expect.objectContaining({ sessionId: first.id, reason: "replaced", closed: true }),
      ]);
      expect(liveIds()).toEqual([second]);
    },
  );

  it("ends failed when creating the replacement fails for good", async () => {
    const store = h.store();
    const events = recordEvents(store);
    const first = await openSession(store);
    const states = recordStates(store);
    h.emulator.expireSession(first.id);
    h.emulator.fault("createSession", {
      status: 500,
      code: "internalServerError",
      innerCode: "internalServerErrorUncategorized",
    });

    const outcome = await driveUntilSettled(store.request(listSheets), 50);

    expect(outcome.error).toMatchObject({ kind: "fatal", operation: "createSession", status: 500 });
    expect(statuses(states)).toEqual(["active", "creating", "failed"]);
    expect(store.getState()).toMatchObject({ status: "failed", error: { status: 500 } });
    expect(creations()).toHaveLength(2);
    expect(eventsOf(events, "recreated")).toHaveLength(0);
    expect(eventsOf(events, "failed")).toHaveLength(1);
  });
});

describe("a non-persistent session Graph dropped", () => {
  it("is replaced with changesLost; calls made before the loss reject, session-lost", async () => {
    const store = h.store({ persistChanges: false, keepAlive: false });
    const events = recordEvents(store);
    const first = await openSession(store);
    await driveUntilSettled(store.request(writeA1(1)), 50);
    const states = recordStates(store);
    h.emulator.expireSession(first.id);

    const hit = store.request(writeA1(2));
    const queued = store.request(writeA1(3));
    const outcomes = await driveUntilSettled(Promise.allSettled([hit, queued]), 50);
    const [hitOutcome, queuedOutcome] = outcomes.value ?? [];

    expect(hitOutcome).toMatchObject({ status: "rejected", reason: { kind: "session-lost" } });
    expect(queuedOutcome).toMatchObject({ status: "rejected", reason: { kind: "session-lost" } });
    // The write hit by the loss was sent once; the one queued behind it never was.
    expect(h.emulator.requestsTo("range").map((call) => call.answeredWith)).toEqual([200, 404]);

    const second = activeId(store);
    expect(statuses(states)).toEqual(["active", "creating", "active"]);
    expect(states[1]).toMatchObject({ changesLost: true, lastError: { kind: "session-lost" } });
    expect(states[2]).toMatchObject({ changesLost: true, session: { persistChanges: false } });
    expect(eventsOf(events, "expired")).toEqual([
      expect.objectContaining({ sessionId: first.id, changesLost: true }),
    ]);
    expect(eventsOf(events, "recreated")).toEqual([
      expect.objectContaining({
        sessionId: second,
        previousSessionId: first.id,
        changesLost: true,
      }),
    ]);

    const after = await driveUntilSettled(store.request(writeA1(4)), 50);
    expect(after.error).toBeUndefined();
  });

  it("replays a read marked replayAfterChangesLost in the new session", async () => {
    const store = h.store({ persistChanges: false, keepAlive: false });
    const first = await openSession(store);
    await driveUntilSettled(store.request(writeA1(1)), 50);
    h.emulator.expireSession(first.id);

    const outcome = await driveUntilSettled(
      store.request(readA1, { replayAfterChangesLost: true }),
      50,
    );

    expect(outcome.error).toBeUndefined();
    const [, expired, replayed] = h.emulator.requestsTo("range");
    expect(expired).toMatchObject({ sessionId: first.id, answeredWith: 404 });
    expect(replayed).toMatchObject({ sessionId: activeId(store), answeredWith: 200 });
    // The scratch write died with its session.
    expect(outcome.value).not.toMatchObject({ values: [[1]] });
  });

  it("rejects the call that found the loss with session-lost at once, whatever the new session's fate", async () => {
    const store = h.store({ persistChanges: false, keepAlive: false });
    const first = await openSession(store);
    h.emulator.expireSession(first.id);
    // The replacement cannot be made: a refusal that is not retried.
    h.emulator.fault("createSession", { status: 403, code: "accessDenied", innerCode: null });

    const outcome = await driveUntilSettled(store.request(writeA1(1)), 50);

    expect(outcome.error).toMatchObject({ kind: "session-lost", operation: "request" });
    expect((outcome.error as Error).message).toContain("persistChanges: false");
  });

  it("tells the call lost to a 503 that the store replaced the session, not to drop it", async () => {
    const store = h.store({ persistChanges: false, keepAlive: false });
    await openSession(store);
    h.emulator.fault("worksheets", { status: 503, innerCode: null });

    const { error } = await driveUntilSettled(store.request(listSheets), 50);

    expect(error).toMatchObject({ kind: "session-lost", status: 503 });
    expect(store.getState()).toMatchObject({ changesLost: true });
    const { message } = error as Error;
    expect(message).toContain("The store opens a new session");
    expect(message).toContain("was lost, so the changes made in it are gone");
    expect(message).not.toContain("must not be recreated");
    expect(message).not.toContain("Graph ended");
  });
});

describe("closing", () => {
  it("sends closeSession with the session header, which Graph accepts", async () => {
    const store = h.store();
    const events = recordEvents(store);
    const session = await openSession(store);

    await driveUntilSettled(store.close(), 50);

    expect(closes()).toEqual([
      expect.objectContaining({ sessionId: session.id, answeredWith: 204 }),
    ]);
    expect(liveIds()).toEqual([]);
    expect(eventsOf(events, "closed")).toEqual([
      expect.objectContaining({ sessionId: session.id, reason: "close", closed: true }),
    ]);
    expect(store.getState().status).toBe("idle");
  });

  it.each<[string, Fault]>([
    ["answers 500", { status: 500, innerCode: "internalServerErrorUncategorized" }],
    ["drops the connection", { drop: true }],
    ["never answers", { hang: true }],
  ])(
    "dispose() resolves when closeSession %s, and reports the close as unconfirmed",
    async (_, fault) => {
      h.emulator.fault("closeSession", fault);
      const store = h.store();
      const events = recordEvents(store);
      let completed = false;
      store.events$.subscribe({ complete: () => (completed = true) });
      const session = await openSession(store);

      const outcome = await driveUntilSettled(store.dispose(), 1_000);
      await settleIo();

      expect(outcome).toEqual({ value: undefined });
      expect(closes()[0]?.sessionId).toBe(session.id);
      expect(events.slice(-2)).toEqual([
        expect.objectContaining({
          type: "closed",
          sessionId: session.id,
          reason: "dispose",
          closed: false,
        }),
        expect.objectContaining({ type: "disposed" }),
      ]);
      expect(completed).toBe(true);
    },
  );

  it("closes a session still being created at dispose(), then reports disposed", async () => {
    h.emulator.fault("createSession", { delayMs: 5_000 });
    const store = h.store();
    const events = recordEvents(store);
    let completed = false;
    store.events$.subscribe({ complete: () => (completed = true) });
    const opening = store.open().catch((error: unknown) => error);
    await until(() => creations().length === 1, "createSession is on the wire");

    await store.dispose();
    expect(await opening).toMatchObject({ kind: "aborted" });
    expect(eventsOf(events, "disposed")).toHaveLength(0);

    await passTime(5_000, 1_000);
    await until(() => completed, "events$ completes");

    expect(creations()[0]?.answeredWith).toBe(201);
    const [close] = closes();
    expect(close).toMatchObject({ answeredWith: 204 });
    expect(liveIds()).toEqual([]);
    expect(events.slice(-2)).toEqual([
      expect.objectContaining({ type: "closed", sessionId: close?.sessionId, reason: "late" }),
      expect.objectContaining({ type: "disposed" }),
    ]);
  });

  it("closes a late session after close(); a new open() gets a session of its own", async () => {
    h.emulator.fault("createSession", { delayMs: 5_000 });
    const store = h.store();
    const events = recordEvents(store);
    const opening = store.open().catch((error: unknown) => error);
    await until(() => creations().length === 1, "createSession is on the wire");

    await store.close();
    expect(await opening).toMatchObject({ kind: "aborted" });
    expect(store.getState().status).toBe("idle");
    const reopening = store.open();
    await passTime(5_000, 1_000);
    await until(() => eventsOf(events, "closed").length === 1, "the late session is closed");

    const fresh = await reopening;
    const [late] = eventsOf(events, "closed");
    expect(late).toMatchObject({ reason: "late", closed: true });
    expect(late?.sessionId).not.toBe(fresh.id);
    expect(store.getState()).toMatchObject({ status: "active", session: { id: fresh.id } });
    expect(liveIds()).toEqual([fresh.id]);
  });

  it("closes a session that answers after attemptTimeout, then reports disposed", async () => {
    h.emulator.fault("createSession", { delayMs: 60_000 });
    const store = h.store({ attemptTimeout: 10_000 });
    const events = recordEvents(store);
    void store.open().catch(() => undefined);
    await until(() => creations().length === 1, "createSession is on the wire");

    await store.dispose();
    await passTime(30_000, 1_000);
    expect(eventsOf(events, "disposed")).toHaveLength(0);
    await passTime(35_000, 1_000);

    expect(closes()).toHaveLength(1);
    expect(liveIds()).toEqual([]);
    expect(events.slice(-2)).toEqual([
      expect.objectContaining({ type: "closed", reason: "late", closed: true }),
      expect.objectContaining({ type: "disposed" }),
    ]);
  });

  it("disposes, closing the session, even when the environment fails to stop watching", async () => {
    const watching = createTestEnvironment();
    const environment = {
      isVisible: () => watching.isVisible(),
      isOnline: () => watching.isOnline(),
      watch: () => () => {
        throw new Error("listener already removed");
      },
    };
    const store = h.store({ environment });
    const session = await openSession(store);

    const disposal = driveUntilSettled(store.dispose(), 50);

    expect((await disposal).error).toBeUndefined();
    expect(closes()).toEqual([expect.objectContaining({ sessionId: session.id })]);
    expect(liveIds()).toEqual([]);
    await expect(store.dispose()).resolves.toBeUndefined();
  });

  it("gives a dispose() made by a state subscriber during disposal the same promise", async () => {
    h.emulator.fault("closeSession", { delayMs: 2_000 });
    const environment = createTestEnvironment();
    const store = h.store({ environment });
    const events = recordEvents(store);
    let completions = 0;
    store.events$.subscribe({ complete: () => (completions += 1) });
    await openSession(store);

    let nested: Promise<void> | undefined;
    let nestedSettled = false;
    store.state$.subscribe((state) => {
      if (state.status !== "idle" || nested) return;
      nested = store.dispose();
      void nested.then(() => (nestedSettled = true));
    });

    const outer = store.dispose();
    expect(nested).toBe(outer);
    await until(() => closes().length === 1, "closeSession is on the wire");
    await settleIo();
    expect(nestedSettled).toBe(false);

    await passTime(3_000, 500);
    await outer;
    await settleIo();

    expect(nestedSettled).toBe(true);
    expect(eventsOf(events, "disposed")).toHaveLength(1);
    expect(completions).toBe(1);
    expect(environment.listenerCount).toBe(0);
    expect(events.slice(-2).map((event) => event.type)).toEqual(["closed", "disposed"]);
  });
});

describe("leaving the page", () => {
  it("closes the session with a request that outlives the page, and returns to idle", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const environment = createTestEnvironment();
    const store = h.store({ environment });
    const events = recordEvents(store);
    const session = await openSession(store);

    environment.leavePage();
    expect(store.getState().status).toBe("idle");
    await until(() => eventsOf(events, "closed").length === 1, "the session is closed");

    expect(closes()).toEqual([
      expect.objectContaining({ sessionId: session.id, answeredWith: 204 }),
    ]);
    expect(eventsOf(events, "closed")[0]).toMatchObject({ reason: "pagehide", closed: true });
    const closeInit = fetchSpy.mock.calls.find(([input]) =>
      String(input instanceof Request ? input.url : input).endsWith("/closeSession"),
    )?.[1];
    expect(closeInit).toMatchObject({ keepalive: true });
    expect(store.disposed).toBe(false);
  });

  it("cancels a creation under way and closes the session it brings", async () => {
    h.emulator.fault("createSession", { delayMs: 5_000 });
    const environment = createTestEnvironment();
    const store = h.store({ environment });
    const events = recordEvents(store);
    const opening = store.open().catch((error: unknown) => error);
    await until(() => creations().length === 1, "createSession is on the wire");

    environment.leavePage();
    expect(await opening).toMatchObject({ kind: "aborted" });
    await passTime(5_000, 1_000);
    await until(() => eventsOf(events, "closed").length === 1, "the late session is closed");

    expect(eventsOf(events, "closed")[0]).toMatchObject({ reason: "late", closed: true });
    expect(liveIds()).toEqual([]);
  });

  it("leaves the session open by default when it is remembered in storage", async () => {
    const storage = inspectableStorage();
    const environment = createTestEnvironment();
    const store = h.store({ environment, storage });
    const session = await openSession(store);

    environment.leavePage();
    await settleIo();

    expect(closes()).toHaveLength(0);
    expect(store.getState()).toMatchObject({ status: "active", session: { id: session.id } });
    expect([...storage.items.values()].join()).toContain(session.id);
  });

  it("closes and forgets a remembered session when closeOnPageHide is set", async () => {
    const storage = inspectableStorage();
    const environment = createTestEnvironment();
    const store = h.store({ environment, storage, closeOnPageHide: true });
    const session = await openSession(store);

    environment.leavePage();
    await until(() => closes().length === 1, "the session is closed");

    expect(closes()[0]?.sessionId).toBe(session.id);
    expect(storage.items.size).toBe(0);
  });

  it("leaves the session open when closeOnPageHide is false", async () => {
    const environment = createTestEnvironment();
    const store = h.store({ environment, closeOnPageHide: false });
    await openSession(store);

    environment.leavePage();
    await settleIo();

    expect(closes()).toHaveLength(0);
    expect(store.getState().status).toBe("active");
  });
});

describe("the environment", () => {
  it("defaults to one that works under Node, with no page around", async () => {
    expect(typeof document).toBe("undefined");
    const store = h.store();

    const outcome = await driveUntilSettled(store.request(listSheets), 50);
    await driveUntilSettled(store.dispose(), 50);

    expect(outcome.error).toBeUndefined();
    expect(closes()).toHaveLength(1);
  });

  it("is watched once per store until dispose, and changes after it are ignored", async () => {
    const environment = createTestEnvironment();
    const first = h.store({ environment });
    const second = h.store({ environment });
    expect(environment.listenerCount).toBe(2);
    await openSession(first);

    await first.close();
    expect(environment.listenerCount).toBe(2);
    await first.dispose();
    expect(environment.listenerCount).toBe(1);
    await second.dispose();
    await second.dispose();
    expect(environment.listenerCount).toBe(0);

    const sent = h.emulator.requests.length;
    environment.goOffline();
    environment.goOnline();
    environment.leavePage();
    await settleIo();
    expect(h.emulator.requests).toHaveLength(sent);
  });

  it("lets go of the environment when disposed with a session open", async () => {
    const environment = createTestEnvironment();
    const store = h.store({ environment });
    await openSession(store);

    await driveUntilSettled(store.dispose(), 50);

    expect(environment.listenerCount).toBe(0);
  });
});

describe("a non-persistent session Graph dropped, whose replacement first failed to open", () => {
  it("still says changesLost once a session is open again, as the store was never closed", async () => {
    useVirtualTime();
    const store = h.store({ persistChanges: false, retry: { retries: 0 } });
    await openSession(store);
    const states = recordStates(store);
    h.emulator.fault("worksheets", SESSION_RECREATABLE);
    h.emulator.fault("createSession", { status: 500 });

    const { error } = await driveUntilSettled(
      store.request(listSheets, { replayAfterChangesLost: true }),
      50,
    );
    expect(error).toMatchObject({ operation: "createSession" });
    expect(store.getState().status).toBe("failed");

    await openSession(store);

    // The state went active → creating (changesLost: true) → failed → creating → active.
    expect(states.some((state) => state.status === "creating" && state.changesLost)).toBe(true);
    // The store was never closed, so the loss is still told.
    expect(store.getState()).toMatchObject({ status: "active", changesLost: true });
  });
});
