import type { SessionState } from "graph-workbook-session";
import { describe, expect, it, vi } from "vitest";
import {
  addRow,
  CANARY_TOKEN,
  driveUntilSettled,
  listSheets,
  passTime,
  recordEvents,
  recordStates,
  SESSION_RECREATABLE,
  settleIo,
  statuses,
  throttleOneCall,
  until,
  useHarness,
  useVirtualTime,
} from "./support/harness";

const h = useHarness();

describe("the store-wide cooldown", () => {
  it("open timeout while the first attempt is still held by a cooldown gives a WorkbookError openTimeout", async () => {
    useVirtualTime();
    h.emulator.fault("createSession", { status: 429, retryAfter: 5 });
    const store = h.store({ openTimeout: 3_000, retry: { retries: 0 } });

    const first = await driveUntilSettled(store.open(), 100);
    expect(first.error).toMatchObject({ kind: "throttled" });

    // The store now holds every request for 5 s; open() times out before any attempt.
    const second = await driveUntilSettled(store.open(), 100);
    expect(second.error).toMatchObject({ code: "openTimeout", kind: "transient" });
  });

  it("refresh() sends nothing before a Retry-After has passed", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("worksheets", { status: 429, retryAfter: 30 });

    const call = store.request(listSheets).catch((e: unknown) => e);
    await until(() => h.emulator.requestsTo("worksheets").length === 1, "throttled");
    await settleIo();
    const throttledAt = h.emulator.requestsTo("worksheets")[0]!.time;

    const refresh = store.refresh().catch((e: unknown) => e);
    await driveUntilSettled(refresh, 1_000);
    await driveUntilSettled(call, 1_000);

    const [sent] = h.emulator.requestsTo("refreshSession");
    expect(sent).toBeDefined();
    expect(sent!.time - throttledAt).toBeGreaterThanOrEqual(30_000);
  });

  it("nextAttemptAt says when createSession will really be sent while a cooldown holds it", async () => {
    useVirtualTime();
    h.emulator.fault("createSession", { status: 429, retryAfter: 10 });
    const store = h.store({ retry: { retries: 0 } });
    await driveUntilSettled(store.open(), 100);

    const states = recordStates(store);
    const reopened = store.open().catch((e: unknown) => e);
    await settleIo();
    const creating = states.at(-1) as Extract<SessionState, { status: "creating" }>;
    expect(creating.status).toBe("creating");
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
    // No attempt runs (nothing was sent), yet nextAttemptAt is null, which means "one runs".
    expect(creating.nextAttemptAt).not.toBeNull();
    await driveUntilSettled(reopened, 500);
  });

  it("a Retry-After longer than a timer can hold still holds the next createSession back", async () => {
    useVirtualTime();
    // ~35 days: beyond maxRetryAfter, so the store gives up; the cooldown is recorded anyway.
    h.emulator.fault("createSession", { status: 429, retryAfter: 3_000_000 });
    const store = h.store({ retry: { retries: 0 }, openTimeout: 10_000 });
    await driveUntilSettled(store.open(), 100);

    const reopened = store.open().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5);
    await settleIo();
    await vi.advanceTimersByTimeAsync(5);
    await settleIo();
    // Either the store refuses at once or it waits; it must not send within 10 ms.
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
    await driveUntilSettled(reopened, 1_000);
  });
});

describe("a cooldown longer than the store waits", () => {
  it("fails the next request at once, saying so in one sentence", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("worksheets", { status: 429, retryAfter: 600 });
    await driveUntilSettled(
      store.request(listSheets).catch(() => undefined),
      100,
    );

    const outcome = await driveUntilSettled(store.request(listSheets, { idempotent: true }), 100);

    expect(outcome.error).toMatchObject({ kind: "throttled", code: "cooldown" });
    const message = (outcome.error as Error).message;
    expect(message.match(/Retry-After|asked to wait/g)).toHaveLength(1);
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(1);
  });
});

describe("replays and creations", () => {
  it("request() does not run a second createSession when createSession itself says invalidSessionReCreatable", async () => {
    useVirtualTime();
    h.emulator.fault("createSession", { ...SESSION_RECREATABLE, times: 2 });
    const store = h.store();
    const states = recordStates(store);

    const outcome = await driveUntilSettled(store.request(listSheets), 100);

    expect(outcome.error).toMatchObject({ operation: "createSession" });
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
    expect(statuses(states)).toEqual(["idle", "creating", "failed"]);
  });

  it("a 504 with transientFailure is resent, as Graph's code allows", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("addRow", { status: 504, innerCode: "transientFailure" });

    const outcome = await driveUntilSettled(store.request(addRow), 100);

    expect(outcome.error).toBeUndefined();
    expect(h.emulator.requestsTo("addRow")).toHaveLength(2);
  });

  it("attempts counts every send of a replayed call", async () => {
    useVirtualTime();
    const store = h.store({ retry: { retries: 1 } });
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("worksheets", SESSION_RECREATABLE, { status: 429, retryAfter: 1, times: 2 });

    const outcome = await driveUntilSettled(store.request(listSheets), 100);

    const sent = h.emulator.requestsTo("worksheets").length;
    expect(sent).toBe(3);
    expect(outcome.error).toMatchObject({ kind: "throttled", attempts: sent });
  });

  it("close() from a subscriber that sees the recreate leaves the store idle with no new session", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    let closed = false;
    store.state$.subscribe((state) => {
      if (state.status === "creating" && !closed) {
        closed = true;
        void store.close();
      }
    });
    h.emulator.fault("worksheets", SESSION_RECREATABLE);

    await driveUntilSettled(
      store.request(listSheets).catch((e: unknown) => e),
      100,
    );
    await vi.advanceTimersByTimeAsync(10_000);
    await settleIo();

    expect(store.getState().status).toBe("idle");
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
  });
});

describe("secrets", () => {
  it("keeps the token out of errors when Graph echoes it", async () => {
    useVirtualTime();
    h.emulator.fault("createSession", {
      status: 400,
      code: "badRequest",
      message: `Bearer ${CANARY_TOKEN} rejected`,
    });
    const store = h.store();
    const states = recordStates(store);
    const outcome = await driveUntilSettled(store.open(), 100);
    const text = JSON.stringify({
      states,
      error: outcome.error,
      m: (outcome.error as Error).message,
    });
    expect(text).not.toContain(CANARY_TOKEN);
  });
});

describe("concurrency and recreation", () => {
  it("refresh() on an expired session recreates once and ends active", async () => {
    useVirtualTime();
    const store = h.store({ keepAlive: false });
    const first = await (await driveUntilSettled(store.open(), 50)).value!;
    await vi.advanceTimersByTimeAsync(6 * 60_000);
    await settleIo();

    await driveUntilSettled(store.refresh(), 100);
    await driveUntilSettled(new Promise((r) => setImmediate(r)), 100);
    await until(() => store.getState().status === "active", "active again");
    expect(store.getState()).not.toMatchObject({ session: { id: first.id } });
    expect(h.emulator.requestsTo("createSession")).toHaveLength(2);
  });

  it("close() then open() during a long-running creation: only the new creation's session wins", async () => {
    useVirtualTime();
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 3 } });
    const store = h.store();
    const old = store.open().catch((e: unknown) => e);
    await until(() => h.emulator.requestsTo("createSession").length === 1, "first create");
    await vi.advanceTimersByTimeAsync(1_000);
    await until(() => h.emulator.requestsTo("operation").length === 1, "first poll");
    await store.close();
    const fresh = await driveUntilSettled(store.open(), 500);
    await vi.advanceTimersByTimeAsync(120_000);
    await settleIo();

    expect(await old).toMatchObject({ kind: "aborted" });
    expect(fresh.value).toBeDefined();
    expect(store.getState()).toMatchObject({ status: "active", session: { id: fresh.value!.id } });
    expect(h.emulator.requestsTo("createSession")).toHaveLength(2);
    // no poll of the first operation after the close
  });

  it("concurrent calls hit by one recreate share one new session", async () => {
    useVirtualTime();
    const store = h.store({ concurrency: 3 });
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("worksheets", { ...SESSION_RECREATABLE, times: 2 });
    const a = store.request(listSheets);
    const b = store.request(listSheets);
    const c = store.request(listSheets);
    const outcome = await driveUntilSettled(Promise.all([a, b, c]), 100);
    expect(outcome.error).toBeUndefined();
    expect(h.emulator.requestsTo("createSession")).toHaveLength(2);
  });

  it("dispose() during a recreate held by a cooldown sends only closeSession (if anything)", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("worksheets", { status: 503, innerCode: null, retryAfter: 30 });
    const call = store.request(listSheets).catch((e: unknown) => e);
    await until(() => h.emulator.requestsTo("worksheets").length === 1, "503");
    await settleIo();
    const before = h.emulator.requests.length;
    await store.dispose();
    await vi.advanceTimersByTimeAsync(120_000);
    await settleIo();
    expect(await call).toMatchObject({ kind: "aborted" });
    const after = h.emulator.requests.slice(before).map((r) => r.route);
    expect(after.filter((r) => r !== "closeSession")).toEqual([]);
  });

  it("open() after failed sends exactly one createSession for many callers", async () => {
    useVirtualTime();
    h.emulator.fault("createSession", { status: 400, code: "badRequest" });
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    const all = Promise.all([store.open(), store.open(), store.request(listSheets)]);
    const outcome = await driveUntilSettled(all, 50);
    expect(outcome.error).toBeUndefined();
    expect(h.emulator.requestsTo("createSession")).toHaveLength(2);
  });
});

describe("the request contract", () => {
  it("request() with a bad timeout rejects instead of throwing synchronously", async () => {
    const store = h.store();
    let thrown: unknown = null;
    let promise: Promise<unknown> | undefined;
    try {
      promise = store.request(listSheets, { timeout: -1 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeNull();
    await expect(promise).rejects.toBeInstanceOf(RangeError);
  });
});

describe("secrets in causes", () => {
  it("a request() error keeps no token in its cause even when Graph echoes it", async () => {
    useVirtualTime();
    const { inspect } = await import("node:util");
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("worksheets", {
      status: 401,
      code: "InvalidAuthenticationToken",
      innerCode: "unauthorizedUncategorized",
      message: `Bearer ${CANARY_TOKEN} is not valid`,
    });
    const outcome = await driveUntilSettled(store.request(listSheets), 50);
    expect(JSON.stringify(outcome.error)).not.toContain(CANARY_TOKEN);
    expect(inspect(store.getState(), { depth: 10 })).not.toContain(CANARY_TOKEN);
  });
});

describe("closing during a cooldown", () => {
  it("close() during a Retry-After sends no closeSession at all", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    const { call } = await throttleOneCall(h, store, 30);
    await driveUntilSettled(store.close(), 1_000);
    await call;
    expect(h.emulator.requestsTo("closeSession")).toHaveLength(0);
  });
});

describe("a session given up on during a cooldown", () => {
  /* A 503 with Retry-After: 5 on a call makes the store replace its session. */
  const replaceUnderRetryAfter = async () => {
    const store = h.store();
    const events = recordEvents(store);
    await driveUntilSettled(store.open(), 50);
    const first = h.emulator.sessions()[0]!.id;
    h.emulator.fault("worksheets", { status: 503, innerCode: null, retryAfter: 5, times: 1 });
    const call = store.request(listSheets).catch((error: unknown) => error);
    await until(() => store.getState().status === "creating", "the session is given up");
    return { store, events, first, call };
  };

  it("is closed in the background once the cooldown has passed", async () => {
    useVirtualTime();
    const { events, first, call } = await replaceUnderRetryAfter();
    expect(h.emulator.requestsTo("closeSession")).toHaveLength(0);

    await driveUntilSettled(call, 500);
    await passTime(10_000, 1_000);

    const closes = h.emulator.requestsTo("closeSession");
    expect(closes.map((request) => request.sessionId)).toEqual([first]);
    const throttled = h.emulator.requestsTo("worksheets")[0]!;
    expect(closes[0]!.time - throttled.time).toBeGreaterThanOrEqual(5_000);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "closed",
        sessionId: first,
        reason: "replaced",
        closed: true,
      }),
    );
  });

  it("is let go at once by dispose(), which leaves no timer behind", async () => {
    useVirtualTime();
    const { store, events, first, call } = await replaceUnderRetryAfter();

    await driveUntilSettled(store.dispose(), 50);
    await driveUntilSettled(call, 50);
    await passTime(10_000, 1_000);

    expect(h.emulator.requestsTo("closeSession")).toHaveLength(0);
    expect(events).toContainEqual(
      expect.objectContaining({ type: "closed", sessionId: first, closed: false }),
    );
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("disposing from a listener while a session is given up during a cooldown", () => {
  it("leaves no wait behind: disposed comes at once and events$ completes", async () => {
    useVirtualTime();
    const store = h.store();
    const events = recordEvents(store);
    await driveUntilSettled(store.open(), 50);
    let disposal: Promise<void> | null = null;
    store.events$.subscribe((event) => {
      if (event.type === "expired") disposal ??= store.dispose();
    });
    let completed = false;
    store.events$.subscribe({ complete: () => (completed = true) });
    h.emulator.fault("worksheets", { status: 503, innerCode: null, retryAfter: 120, times: 1 });

    const call = store.request(listSheets).catch((error: unknown) => error);
    await until(() => disposal !== null, "the store is disposed on 'expired'");
    await driveUntilSettled(disposal!, 50);
    await driveUntilSettled(call, 50);
    await passTime(1_000, 100);
    expect(completed).toBe(true);
    expect(events.at(-1)?.type).toBe("disposed");

    await passTime(10_000, 1_000);
    expect(h.emulator.requestsTo("closeSession")).toHaveLength(0);
  });
});

describe("a cooldown Graph lengthens while requests wait it out", () => {
  it("holds a refresh waiting out a 5 s cooldown until a 30 s Retry-After that arrived meanwhile has passed", async () => {
    useVirtualTime();
    const store = h.store({ concurrency: 2, keepAlive: false });
    await driveUntilSettled(store.open(), 50);

    // A slow read: Graph answers it after 2 s with 429 and Retry-After: 30.
    h.emulator.fault("range", { status: 429, retryAfter: 30, delayMs: 2000 });
    // A quick one: Graph answers at once with 429 and Retry-After: 5.
    h.emulator.fault("worksheets", { status: 429, retryAfter: 5 });

    const start = Date.now();
    const slow = store
      .request((ctx) => ctx.api("/worksheets('Sheet1')/range(address='A1:B2')").get(), {
        idempotent: true,
      })
      .catch((error: unknown) => error);
    const quick = store.request(listSheets).catch((error: unknown) => error);
    await until(() => h.emulator.requestsTo("worksheets").length === 1, "the quick call throttled");
    await settleIo();

    // The store is in a 5 s cooldown; a refresh now waits for it.
    const refresh = store.refresh().catch((error: unknown) => error);
    await driveUntilSettled(Promise.all([slow, quick, refresh]), 250);

    const slowAnswered = h.emulator.requestsTo("range")[0]?.time ?? Number.NaN;
    expect(slowAnswered - start).toBe(0);
    // The store did take the 30 s pause up: the slow call's own retry waits for it.
    expect((h.emulator.requestsTo("range")[1]?.time ?? 0) - start).toBeGreaterThanOrEqual(32_000);
    const [sent] = h.emulator.requestsTo("refreshSession");
    expect(sent).toBeDefined();
    // The 30 s pause began when the slow call's 429 arrived, 2 s in.
    expect((sent?.time ?? 0) - start).toBeGreaterThanOrEqual(32_000);
  });
});

describe("a cooldown Graph lengthens while a creation waits it out", () => {
  it("moves nextAttemptAt to the end of the longer pause", async () => {
    useVirtualTime();
    const store = h.store({ concurrency: 2, keepAlive: false });
    await driveUntilSettled(store.open(), 50);
    // A slow read, answered 2 s in with 429 and Retry-After: 30 after its session was replaced.
    h.emulator.fault("range", { status: 429, retryAfter: 30, delayMs: 2000 });
    // A quick one: a 503 without a known code replaces the session, with Retry-After: 5.
    h.emulator.fault("worksheets", { status: 503, innerCode: null, retryAfter: 5 });

    const start = Date.now();
    const slow = store
      .request((ctx) => ctx.api("/worksheets('Sheet1')/range(address='A1:B2')").get())
      .catch((error: unknown) => error);
    const quick = store.request(listSheets).catch((error: unknown) => error);
    await until(() => store.getState().status === "creating", "the session is being replaced");
    expect(store.getState()).toMatchObject({ nextAttemptAt: start + 5_000 });

    await passTime(6_000, 100);
    expect(store.getState()).toMatchObject({ status: "creating", nextAttemptAt: start + 32_000 });
    await driveUntilSettled(Promise.all([slow, quick]), 250);
    const [, created] = h.emulator.requestsTo("createSession");
    expect((created?.time ?? 0) - start).toBeGreaterThanOrEqual(32_000);
  });
});
