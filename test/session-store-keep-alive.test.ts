import type { SessionState, SessionStore } from "graph-workbook-session";
import { createTestEnvironment } from "graph-workbook-session/testing";
import { beforeEach, describe, expect, it } from "vitest";
import {
  driveUntilSettled,
  emulatorLog,
  eventsOf,
  listSheets,
  MINUTE,
  openSession,
  passTime,
  recordEvents,
  recordStates,
  SESSION_RECREATABLE,
  settleIo,
  skipClockAhead,
  statuses,
  until,
  useHarness,
  useVirtualTime,
} from "./support/harness";

const h = useHarness();

beforeEach(useVirtualTime);

const { refreshes, creations, liveIds } = emulatorLog(h);

async function untilActiveWithNewSession(store: SessionStore, oldId: string): Promise<string> {
  await until(() => {
    const state = store.getState();
    return state.status === "active" && state.session.id !== oldId;
  }, "a new session is active");
  return (store.getState() as Extract<SessionState, { status: "active" }>).session.id;
}

describe("keep-alive on an idle session", () => {
  it("refreshes between 4 and 5 minutes of idleness, so the session never expires", async () => {
    const store = h.store();
    const events = recordEvents(store);
    const session = await openSession(store);
    const openedAt = Date.now();

    await passTime(20 * MINUTE);

    expect(liveIds()).toEqual([session.id]);
    const [first] = refreshes();
    expect(first!.time - openedAt).toBeGreaterThanOrEqual(4 * MINUTE);
    expect(first!.time - openedAt).toBeLessThan(5 * MINUTE);
    for (const refresh of refreshes()) {
      expect(refresh).toMatchObject({ sessionId: session.id, answeredWith: 204 });
    }
    expect(eventsOf(events, "refreshed")).toHaveLength(refreshes().length);
    expect(eventsOf(events, "refreshed")[0]).toMatchObject({ sessionId: session.id });

    const later = await driveUntilSettled(store.request(listSheets), 50);
    expect(later.error).toBeUndefined();
    expect(creations()).toHaveLength(1);
  });

  it("sends one refresh per 4 idle minutes over an hour, no more", async () => {
    const store = h.store();
    await openSession(store);

    await passTime(60 * MINUTE);

    const sent = refreshes();
    expect(sent.length).toBeGreaterThanOrEqual(14);
    expect(sent.length).toBeLessThanOrEqual(15);
    const gaps = sent.slice(1).map((refresh, index) => refresh.time - sent[index]!.time);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(4 * MINUTE);
    expect(creations()).toHaveLength(1);
  });

  it("sends no refresh at all to a session used every 30 seconds for an hour", async () => {
    const store = h.store();
    const session = await openSession(store);

    for (let call = 0; call < 120; call += 1) {
      const outcome = await driveUntilSettled(store.request(listSheets), 50);
      expect(outcome.error).toBeUndefined();
      await passTime(30_000);
    }

    expect(h.emulator.requestsTo("worksheets")).toHaveLength(120);
    expect(refreshes()).toHaveLength(0);
    expect(liveIds()).toEqual([session.id]);
  });

  it("counts a call as use: the refresh comes 4 minutes after the last call", async () => {
    const store = h.store();
    await openSession(store);
    await passTime(2 * MINUTE);
    await driveUntilSettled(store.request(listSheets), 50);
    const calledAt = Date.now();

    await passTime(3 * MINUTE);
    expect(refreshes()).toHaveLength(0);

    await passTime(2 * MINUTE);
    const [refresh] = refreshes();
    expect(refresh!.time - calledAt).toBeGreaterThanOrEqual(4 * MINUTE);
    expect(refresh!.time - calledAt).toBeLessThan(5 * MINUTE);
  });

  it("refuses settings that would refresh an idle session more than once a second", () => {
    expect(() => h.store({ keepAlive: { expiresAfter: 4, margin: 1 } })).toThrow(
      /refresh an idle session every 3 ms/,
    );
    expect(() => h.store({ keepAlive: { expiresAfter: 1_999, margin: 1_000 } })).toThrow(
      RangeError,
    );
    expect(() => h.store({ keepAlive: { expiresAfter: 2_000, margin: 1_000 } })).not.toThrow();
  });

  it("follows its expiresAfter and margin options", async () => {
    const store = h.store({ keepAlive: { expiresAfter: 2 * MINUTE, margin: 30_000 } });
    await openSession(store);
    const openedAt = Date.now();

    await passTime(2 * MINUTE, 1_000);

    const [refresh] = refreshes();
    expect(refresh!.time - openedAt).toBe(90_000);
  });

  it("stops refreshing once the session is closed", async () => {
    const store = h.store();
    await openSession(store);
    await store.close();

    await passTime(30 * MINUTE);

    expect(refreshes()).toHaveLength(0);
  });
});

describe("with keep-alive off", () => {
  it("recreates an expired session once, on the next call, which succeeds", async () => {
    const store = h.store({ keepAlive: false });
    const first = await openSession(store);
    await passTime(6 * MINUTE);
    expect(liveIds()).toEqual([]);
    const states = recordStates(store);

    const outcome = await driveUntilSettled(store.request(listSheets), 50);

    expect(outcome.error).toBeUndefined();
    expect(outcome.value).toMatchObject({ value: [{ name: "Sheet1" }] });
    expect(refreshes()).toHaveLength(0);
    expect(creations()).toHaveLength(2);
    expect(statuses(states)).toEqual(["active", "creating", "active"]);
    const [expired, replayed] = h.emulator.requestsTo("worksheets");
    expect(expired).toMatchObject({ sessionId: first.id, answeredWith: 404 });
    expect(replayed?.answeredWith).toBe(200);
    expect(replayed?.sessionId).not.toBe(first.id);
  });
});

describe("a refresh that fails", () => {
  it("recreates on invalidSessionReCreatable and keeps the new session alive", async () => {
    const store = h.store();
    const events = recordEvents(store);
    const first = await openSession(store);
    const states = recordStates(store);
    h.emulator.fault("refreshSession", SESSION_RECREATABLE);

    await passTime(4 * MINUTE);
    const second = await untilActiveWithNewSession(store, first.id);

    expect(statuses(states)).toEqual(["active", "creating", "active"]);
    expect(states[1]).toMatchObject({
      lastError: { kind: "recreate-session", operation: "refreshSession", status: 404 },
      changesLost: false,
    });
    expect(eventsOf(events, "refreshed")).toHaveLength(0);
    expect(eventsOf(events, "expired")).toEqual([
      expect.objectContaining({ sessionId: first.id, changesLost: false }),
    ]);
    expect(eventsOf(events, "recreated")).toEqual([
      expect.objectContaining({
        sessionId: second,
        previousSessionId: first.id,
        changesLost: false,
      }),
    ]);
    expect(eventsOf(events, "created").at(-1)).toMatchObject({ sessionId: second, resumed: false });
    // Graph said the session is gone: there is nothing to close.
    expect(h.emulator.requestsTo("closeSession")).toHaveLength(0);

    await passTime(5 * MINUTE);
    expect(refreshes().at(-1)).toMatchObject({ sessionId: second, answeredWith: 204 });
    expect(creations()).toHaveLength(2);
  });

  it.each([502, 503])(
    "recreates the session after a %i with no code, closing the old one in the background",
    async (status) => {
      const store = h.store();
      const events = recordEvents(store);
      const first = await openSession(store);
      h.emulator.fault("refreshSession", { status, innerCode: null });

      await passTime(4 * MINUTE);
      const second = await untilActiveWithNewSession(store, first.id);
      await until(() => eventsOf(events, "closed").length === 1, "the old session is closed");

      expect(creations()).toHaveLength(2);
      expect(refreshes()).toHaveLength(1);
      expect(eventsOf(events, "closed")).toEqual([
        expect.objectContaining({ sessionId: first.id, reason: "replaced", closed: true }),
      ]);
      expect(h.emulator.requestsTo("closeSession")[0]?.sessionId).toBe(first.id);
      expect(liveIds()).toEqual([second]);
      expect(eventsOf(events, "recreated")).toEqual([
        expect.objectContaining({ sessionId: second, previousSessionId: first.id }),
      ]);
    },
  );

  it("recreates an expired session that refreshSession answers 404 with no code", async () => {
    h.emulator.configure({ expiredSessionError: { status: 404, innerCode: null } });
    const store = h.store();
    const events = recordEvents(store);
    const first = await openSession(store);
    h.emulator.expireSession(first.id);

    await passTime(4 * MINUTE);
    const second = await untilActiveWithNewSession(store, first.id);
    const call = await driveUntilSettled(store.request(listSheets), 50);

    expect(refreshes()[0]).toMatchObject({ sessionId: first.id, answeredWith: 404 });
    expect(eventsOf(events, "recreated")).toEqual([
      expect.objectContaining({ sessionId: second, previousSessionId: first.id }),
    ]);
    expect(call.error).toBeUndefined();
    // Graph said the session is gone: nothing is sent to close it.
    expect(h.emulator.requestsTo("closeSession")).toHaveLength(0);
  });

  it("ends failed, saying the session cannot be recreated, on invalidSessionNotFound", async () => {
    const store = h.store();
    const events = recordEvents(store);
    const first = await openSession(store);
    h.emulator.fault("refreshSession", {
      status: 404,
      code: "itemNotFound",
      innerCode: "invalidSessionNotFound",
    });

    await passTime(5 * MINUTE);

    const state = store.getState();
    expect(state).toMatchObject({
      status: "failed",
      error: {
        kind: "session-lost",
        operation: "refreshSession",
        innerCode: "invalidSessionNotFound",
      },
    });
    expect(state.status === "failed" && state.error.message).toMatch(/must not be recreated/);
    expect(eventsOf(events, "expired")).toEqual([
      expect.objectContaining({ sessionId: first.id, changesLost: false }),
    ]);
    expect(eventsOf(events, "failed")).toHaveLength(1);
    expect(eventsOf(events, "recreated")).toHaveLength(0);
    // Graph said the session is gone: there is nothing to close.
    expect(h.emulator.requestsTo("closeSession")).toHaveLength(0);

    await passTime(20 * MINUTE);
    expect(creations()).toHaveLength(1);
    expect(refreshes()).toHaveLength(1);
  });

  it("ends failed and closes the session on internalServerErrorUncategorized", async () => {
    const store = h.store();
    const events = recordEvents(store);
    const first = await openSession(store);
    h.emulator.fault("refreshSession", {
      status: 500,
      innerCode: "internalServerErrorUncategorized",
    });

    await passTime(4 * MINUTE);
    await until(() => eventsOf(events, "closed").length === 1, "the dropped session is closed");

    expect(store.getState()).toMatchObject({
      status: "failed",
      error: { kind: "session-lost", operation: "refreshSession", status: 500 },
    });
    expect(eventsOf(events, "closed")).toEqual([
      expect.objectContaining({ sessionId: first.id, reason: "dropped", closed: true }),
    ]);
    expect(liveIds()).toEqual([]);
    expect(creations()).toHaveLength(1);
  });

  it("sends a refresh again when the connection dropped, and keeps the session", async () => {
    const store = h.store();
    const events = recordEvents(store);
    const session = await openSession(store);
    h.emulator.fault("refreshSession", { drop: true });

    await passTime(4 * MINUTE + 10_000, 1_000);

    expect(refreshes().map((refresh) => refresh.answeredWith)).toEqual(["drop", 204]);
    expect(eventsOf(events, "refreshed")).toEqual([
      expect.objectContaining({ sessionId: session.id }),
    ]);
    expect(store.getState()).toMatchObject({ status: "active", session: { id: session.id } });
    expect(creations()).toHaveLength(1);
  });
});

describe("refreshes that keep failing without ending the session", () => {
  it("back off and stop once the session is past its expiry, leaving the next call to find out", async () => {
    const store = h.store();
    await openSession(store);
    h.emulator.fault("refreshSession", {
      status: 403,
      code: "accessDenied",
      innerCode: "accessDenied",
      times: Number.POSITIVE_INFINITY,
    });

    await passTime(60 * MINUTE, 5_000);

    const times = refreshes().map((refresh) => refresh.time);
    const gaps = times.slice(1).map((time, i) => time - (times[i] ?? 0));
    expect(times.length).toBeGreaterThanOrEqual(2);
    expect(times.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < gaps.length; i += 1) {
      expect(gaps[i]).toBeGreaterThan(gaps[i - 1] ?? 0);
    }
  });

  it("wake up when a session that outlived them is used again", async () => {
    h.emulator.configure({ sessionLifetime: { persistent: 30 * MINUTE } });
    const store = h.store();
    const session = await openSession(store);
    h.emulator.fault("refreshSession", {
      status: 403,
      code: "accessDenied",
      innerCode: "accessDenied",
      times: 3,
    });
    await passTime(10 * MINUTE, 5_000);
    const failed = refreshes().length;

    await driveUntilSettled(store.request(listSheets), 1_000);
    await passTime(20 * MINUTE, 5_000);

    expect(store.getState()).toMatchObject({ status: "active", session: { id: session.id } });
    expect(creations()).toHaveLength(1);
    expect(refreshes().length - failed).toBeGreaterThanOrEqual(4);
  });

  it("are tried once more even when the margin is zero", async () => {
    h.emulator.configure({ sessionLifetime: { persistent: 30 * MINUTE } });
    const store = h.store({ keepAlive: { margin: 0 } });
    await openSession(store);
    h.emulator.fault("refreshSession", { status: 403, code: "accessDenied", times: 1 });

    await passTime(20 * MINUTE, 5_000);

    expect(refreshes().length).toBeGreaterThan(1);
  });

  it("start over when the session is used again", async () => {
    const store = h.store();
    await openSession(store);
    h.emulator.fault("refreshSession", { status: 403, code: "accessDenied", times: 3 });
    await passTime(20 * MINUTE, 5_000);
    const failed = refreshes().length;

    await driveUntilSettled(store.request(listSheets), 1_000);
    await passTime(5 * MINUTE, 5_000);

    expect(refreshes().length).toBe(failed + 1);
    expect(refreshes().at(-1)?.answeredWith).toBe(204);
  });
});

describe("keep-alive and the page around it", () => {
  it("sends nothing offline, even past the deadline, and refreshes once back online", async () => {
    const environment = createTestEnvironment();
    const store = h.store({ environment });
    const events = recordEvents(store);
    const session = await openSession(store);
    environment.goOffline();

    await passTime(4 * MINUTE + 30_000);
    expect(refreshes()).toHaveLength(0);

    const backAt = Date.now();
    environment.goOnline();
    await until(() => refreshes().length === 1, "a refresh is sent");
    await settleIo();

    expect(refreshes()[0]).toMatchObject({
      time: backAt,
      sessionId: session.id,
      answeredWith: 204,
    });
    expect(eventsOf(events, "refreshed")).toEqual([
      expect.objectContaining({ sessionId: session.id, at: backAt }),
    ]);
    expect(liveIds()).toEqual([session.id]);
  });

  it("recreates at once when back online after the session expired", async () => {
    const environment = createTestEnvironment();
    const store = h.store({ environment });
    const events = recordEvents(store);
    const first = await openSession(store);
    environment.goOffline();
    await passTime(6 * MINUTE);
    expect(refreshes()).toHaveLength(0);

    environment.goOnline();
    const second = await untilActiveWithNewSession(store, first.id);

    expect(refreshes()).toEqual([
      expect.objectContaining({ sessionId: first.id, answeredWith: 404 }),
    ]);
    expect(creations()).toHaveLength(2);
    expect(eventsOf(events, "expired")).toEqual([
      expect.objectContaining({ sessionId: first.id, changesLost: false }),
    ]);
    expect(eventsOf(events, "recreated")).toEqual([
      expect.objectContaining({ sessionId: second, previousSessionId: first.id }),
    ]);
  });

  it("refreshes at once when a tab whose timers were held back is shown again", async () => {
    const environment = createTestEnvironment();
    const store = h.store({ environment });
    const session = await openSession(store);

    environment.hide();
    skipClockAhead(4 * MINUTE + 30_000);
    await settleIo();
    expect(refreshes()).toHaveLength(0);

    const shownAt = Date.now();
    environment.show();
    await until(() => refreshes().length === 1, "a refresh is sent");
    await settleIo();

    expect(refreshes()[0]).toMatchObject({
      time: shownAt,
      sessionId: session.id,
      answeredWith: 204,
    });
    await passTime(3 * MINUTE);
    expect(refreshes()).toHaveLength(1);
  });

  it("recreates at once when a held-back tab is shown after its session expired", async () => {
    const environment = createTestEnvironment();
    const store = h.store({ environment });
    const events = recordEvents(store);
    const first = await openSession(store);

    environment.hide();
    skipClockAhead(6 * MINUTE);
    environment.show();
    const second = await untilActiveWithNewSession(store, first.id);

    expect(refreshes()).toHaveLength(1);
    expect(creations()).toHaveLength(2);
    expect(eventsOf(events, "recreated")).toEqual([
      expect.objectContaining({
        sessionId: second,
        previousSessionId: first.id,
        changesLost: false,
      }),
    ]);
  });

  it("sends nothing when shown before the deadline, and refreshes at the deadline", async () => {
    const environment = createTestEnvironment();
    const store = h.store({ environment });
    await openSession(store);
    const openedAt = Date.now();

    environment.hide();
    skipClockAhead(2 * MINUTE);
    environment.show();
    await settleIo();
    expect(refreshes()).toHaveLength(0);

    await passTime(3 * MINUTE, 1_000);
    const [refresh] = refreshes();
    expect(refresh!.time - openedAt).toBeGreaterThanOrEqual(4 * MINUTE);
    expect(refresh!.time - openedAt).toBeLessThan(5 * MINUTE);
  });
});

describe("a session in use by a long or waiting call", () => {
  it("sends no refresh while a long call is using the session", async () => {
    const store = h.store();
    await openSession(store);

    // A batch job: one call that reads the workbook once a minute for six minutes.
    const call = store.request(
      async (ctx) => {
        for (let step = 0; step < 6; step += 1) {
          await ctx.api("/worksheets").get();
          await new Promise((resolve) => setTimeout(resolve, MINUTE));
        }
        return "done";
      },
      { timeout: 10 * MINUTE, idempotent: true },
    );
    const outcome = await driveUntilSettled(call, 1_000);

    expect(outcome.value).toBe("done");
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(6);
    // README: "An idle session is refreshed just before Graph would drop it (never
    // while it is in use)"; "a session in steady use is never refreshed".
    expect(refreshes()).toEqual([]);
  });

  it("sends no refresh next to a call that waits out a Retry-After", async () => {
    const store = h.store();
    await openSession(store);

    // A read that Graph throttles for 250 s: the call waits, then is sent again.
    h.emulator.fault("worksheets", { status: 429, retryAfter: 250 });
    const outcome = await driveUntilSettled(
      store.request((ctx) => ctx.api("/worksheets").get(), { idempotent: true }),
      1_000,
    );

    expect(outcome.error).toBeUndefined();
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(2);
    // The call is in use all along, and its second try is itself activity.
    expect(refreshes()).toEqual([]);
  });
});

describe("a failed refresh while offline", () => {
  it("sends no keep-alive refresh while offline, even a retry of one that failed", async () => {
    const environment = createTestEnvironment();
    const store = h.store({ environment });
    await openSession(store);
    h.emulator.fault("refreshSession", {
      status: 503,
      code: "serviceNotAvailable",
      innerCode: "serviceUnavailableUncategorized",
      times: Number.POSITIVE_INFINITY,
    });

    await passTime(4 * MINUTE);
    await until(() => refreshes()[0]?.answeredWith === 503, "the first refresh failed");
    await settleIo();
    environment.goOffline();

    await passTime(MINUTE, 250);

    // README (Keep-alive): "Nothing is sent while offline."
    expect(refreshes()).toHaveLength(1);
  });
});

describe("keep-alive beside a call whose one request takes long", () => {
  it("sends no refreshSession while the call's request is still on the wire", async () => {
    useVirtualTime();
    const store = h.store();
    await openSession(store);
    // One request Graph takes 4.5 minutes to answer (a heavy calculation), in a call whose
    // timeout allows it: past keep-alive's 4 minutes of idle time, but never idle.
    h.emulator.fault("worksheets", { delayMs: 4.5 * MINUTE });
    let settledAt = Number.NaN;
    const call = store
      .request((ctx) => ctx.api("/worksheets").get(), { timeout: 10 * MINUTE, idempotent: true })
      .finally(() => {
        settledAt = Date.now();
      });
    const startedAt = Date.now();

    const outcome = await driveUntilSettled(call, 1_000);

    expect(outcome.error).toBeUndefined();
    const sent = h.emulator.requestsTo("refreshSession").map((request) => request.time);
    expect(sent.filter((time) => time >= startedAt && time < settledAt)).toEqual([]);
    // Idle from its end, the session is refreshed 4 minutes later as usual.
    await passTime(4 * MINUTE + 1_000, 1_000);
    expect(sent.length + 1).toBe(h.emulator.requestsTo("refreshSession").length);
  });
});

describe("a call still running in a session the store has since replaced", () => {
  it("does not hold back the refresh of the new session", async () => {
    useVirtualTime();
    const store = h.store({ concurrency: 2 });
    const first = await openSession(store);
    h.emulator.fault("worksheets", { delayMs: 4.5 * MINUTE });
    h.emulator.fault("range", SESSION_RECREATABLE);
    const startedAt = Date.now();
    const slow = store.request((ctx) => ctx.api("/worksheets").get(), {
      timeout: 10 * MINUTE,
      idempotent: true,
    });
    const replaced = store.request((ctx) =>
      ctx.api("/worksheets('Sheet1')/range(address='A1')").get(),
    );
    await driveUntilSettled(replaced, 50);
    const second = await openSession(store);
    expect(second.id).not.toBe(first.id);

    await driveUntilSettled(slow, 1_000);
    await passTime(MINUTE, 1_000);

    // The new session was idle from its start: refreshed 4 minutes in, before Graph's 5.
    const [refresh] = h.emulator.requestsTo("refreshSession");
    expect(refresh?.sessionId).toBe(second.id);
    expect((refresh?.time ?? Number.POSITIVE_INFINITY) - startedAt).toBeLessThan(5 * MINUTE);
    expect(store.getState()).toMatchObject({ status: "active", session: { id: second.id } });
  });
});
