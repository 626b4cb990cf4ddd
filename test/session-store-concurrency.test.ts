import type {
  RequestOptions,
  SessionContext,
  SessionStore,
  WorkbookError,
} from "graph-workbook-session";
import { describe, expect, it } from "vitest";
import {
  driveUntilSettled,
  eventsOf,
  listSheets,
  openSession,
  passTime,
  recordEvents,
  SESSION_RECREATABLE,
  useHarness,
  useVirtualTime,
  WORKBOOK_KEY,
} from "./support/harness";

const h = useHarness();
const rows = () => h.emulator.readTableRows(WORKBOOK_KEY, "Table1");

/** Appends a row, then reads a range: one call, a write and then a read. */
const writeThenRead = async (ctx: SessionContext) => {
  await ctx.api("/tables('Table1')/rows/add").post({ values: [["b"]] });
  return ctx.api("/worksheets('Sheet1')/range(address='A1:B2')").get();
};

/**
 * Three calls on a scratch store: D loses the session at 1 s (503 without a second-level
 * code), A is throttled at once (Retry-After: 5), and B, an append made 100 ms in with
 * `options`, waits out A's cooldown before it is sent.
 */
async function appendHeldWhileLost(store: SessionStore, options: RequestOptions = {}) {
  h.emulator.fault("range", { status: 503, innerCode: null, delayMs: 1_000 });
  h.emulator.fault("worksheets", { status: 429, retryAfter: 5 });
  const d = store
    .request((ctx) => ctx.api("/worksheets('Sheet1')/range(address='A1')").get())
    .catch((error: unknown) => error as WorkbookError);
  const a = store.request(listSheets).catch((error: unknown) => error as WorkbookError);
  await driveUntilSettled(new Promise((resolve) => setTimeout(resolve, 100)), 50);
  const b = store
    .request((ctx) => ctx.api("/tables('Table1')/rows/add").post({ values: [["b"]] }), options)
    .catch((error: unknown) => error as WorkbookError);
  await driveUntilSettled(Promise.all([a, b, d]), 100);
  return { a: await a, b: await b, d: await d };
}

describe("concurrency 2: a 503 on one call replaces the session while another still runs in it", () => {
  it("does not close the old session under the call still running in it", async () => {
    useVirtualTime();
    const store = h.store({ concurrency: 2, keepAlive: false });
    const first = await openSession(store);
    // A's read is answered 503 without a second-level code after 100 ms: the store replaces
    // the session. B has appended its row and its read takes 500 ms in the same session.
    h.emulator.fault("worksheets", { status: 503, innerCode: null, delayMs: 100 });
    h.emulator.fault("range", { delayMs: 500 });

    const b = store.request(writeThenRead).catch((error: unknown) => error as WorkbookError);
    const a = store.request(listSheets).catch((error: unknown) => error as WorkbookError);
    await driveUntilSettled(Promise.all([a, b]), 100);
    await passTime(5_000, 500);

    // A is replayed in the new session and succeeds.
    expect(await a).toMatchObject({ value: expect.any(Array) });
    // B's read is answered: the store's own closeSession does not break it halfway.
    expect(h.emulator.requestsTo("range").map((request) => request.answeredWith)).toEqual([200]);
    expect(await b).not.toBeInstanceOf(Error);
    expect(rows()).toEqual([["b"]]);
    // The old session is still closed, once nothing of this store runs in it.
    const closes = h.emulator.requestsTo("closeSession").map((request) => request.sessionId);
    expect(closes).toContain(first.id);
  });
});

describe("concurrency 2: a non-persistent session lost by one call while another had written in it", () => {
  it("does not tell the other call that its write went through: the lost session took it", async () => {
    useVirtualTime();
    const store = h.store({ concurrency: 2, keepAlive: false, persistChanges: false });
    await openSession(store);
    // A finds the session gone after 100 ms; B has appended a row in it, and its read is
    // throttled at 500 ms, after the loss.
    h.emulator.fault("worksheets", { ...SESSION_RECREATABLE, delayMs: 100 });
    h.emulator.fault("range", { status: 429, retryAfter: 1, delayMs: 500 });

    const b = store.request(writeThenRead).catch((error: unknown) => error as WorkbookError);
    const a = store.request(listSheets).catch((error: unknown) => error as WorkbookError);
    await driveUntilSettled(Promise.all([a, b]), 100);
    await passTime(5_000, 500);

    expect(await a).toMatchObject({ kind: "session-lost" });
    const error = (await b) as WorkbookError;
    // The lost session took B's row with it; B, made before the loss, is refused for it.
    expect(error.message).not.toContain("Graph carried out a POST");
    expect(error).toMatchObject({ kind: "session-lost" });
  });
});

describe("concurrency 3: a call held by a cooldown while another call loses the non-persistent session", () => {
  it("is not sent into the lost session when the cooldown ends, and does not resolve as if its write were kept", async () => {
    useVirtualTime();
    const store = h.store({ concurrency: 3, keepAlive: false, persistChanges: false });
    const first = await openSession(store);

    const { a, b, d } = await appendHeldWhileLost(store);
    await passTime(10_000, 500);

    expect(d).toMatchObject({ kind: "session-lost" });
    expect(a).toMatchObject({ kind: "session-lost" });
    // B was made before the loss: like A, it is refused, not sent into the lost session.
    const intoLost = h.emulator.requestsTo("addRow").filter((r) => r.sessionId === first.id);
    expect(intoLost).toEqual([]);
    expect(b).toMatchObject({ kind: "session-lost" });
  });
});

describe("concurrency 2: a non-persistent session given up by one call while another wrote in it and then succeeds", () => {
  it("refuses the other call as session-lost instead of resolving it: its row went with the session", async () => {
    useVirtualTime();
    const store = h.store({ concurrency: 2, keepAlive: false, persistChanges: false });
    await openSession(store);
    // A's read is answered 503 without a second-level code at 100 ms: the store gives the
    // scratch session up. B appended its row there; its read is answered 200 at 500 ms.
    h.emulator.fault("worksheets", { status: 503, innerCode: null, delayMs: 100 });
    h.emulator.fault("range", { delayMs: 500 });

    const b = store.request(writeThenRead).catch((error: unknown) => error as WorkbookError);
    const a = store.request(listSheets).catch((error: unknown) => error as WorkbookError);
    await driveUntilSettled(Promise.all([a, b]), 100);
    await passTime(5_000, 500);

    expect(await a).toMatchObject({ kind: "session-lost" });
    expect(await b).toMatchObject({ kind: "session-lost" });
  });
});

describe("concurrency 4: a call refused after a cooldown held it, while another still runs in the lost session", () => {
  it("does not close the lost session under the call still running in it", async () => {
    useVirtualTime();
    const store = h.store({ concurrency: 4, keepAlive: false, persistChanges: false });
    const first = await openSession(store);
    // C: a slow read of the rows, answered at 8 s.
    h.emulator.fault("tableRows", { delayMs: 8_000 });
    // D: a read answered at 1 s with a 503 without second-level code: the session is given up.
    h.emulator.fault("range", { status: 503, innerCode: null, delayMs: 1_000 });
    // A: throttled at once with Retry-After: 5, so the store sends nothing for 5 s.
    h.emulator.fault("worksheets", { status: 429, retryAfter: 5 });
    const c = store
      .request((ctx) => ctx.api("/tables('Table1')/rows").get())
      .catch((error: unknown) => error as WorkbookError);
    const d = store
      .request((ctx) => ctx.api("/worksheets('Sheet1')/range(address='A1')").get())
      .catch((error: unknown) => error as WorkbookError);
    const a = store.request(listSheets).catch((error: unknown) => error as WorkbookError);
    await driveUntilSettled(new Promise((resolve) => setTimeout(resolve, 100)), 50);
    // B: made before the loss, while the cooldown lasts; its try waits for it, then is refused.
    const b = store
      .request((ctx) => ctx.api("/tables('Table1')/rows/add").post({ values: [["b"]] }))
      .catch((error: unknown) => error as WorkbookError);

    // At 6.5 s: the cooldown has passed and B was refused, but C is still waiting for its answer.
    await passTime(6_400, 100);
    expect(await Promise.race([b, "pending"])).toMatchObject({ kind: "session-lost" });
    expect(h.emulator.requestsTo("tableRows").map((r) => r.answeredWith)).toEqual([null]);
    const closesNow = h.emulator.requestsTo("closeSession").map((r) => r.sessionId);
    expect(closesNow).not.toContain(first.id);

    await driveUntilSettled(Promise.all([a, b, c, d]), 100);
    await passTime(5_000, 500);
    // Closed once C's answer came.
    const closes = h.emulator.requestsTo("closeSession").map((r) => r.sessionId);
    expect(closes.filter((id) => id === first.id)).toHaveLength(1);
  });
});

describe("a call whose retry a cooldown held while another call lost the scratch session", () => {
  it("counts only the tries it sent when it is refused as session-lost", async () => {
    useVirtualTime();
    const store = h.store({ concurrency: 3, keepAlive: false, persistChanges: false });
    const first = await openSession(store);
    const events = recordEvents(store);
    // B: its first read is throttled at once with Retry-After: 1; its retry, at 1 s, is then held
    // by A's cooldown (Retry-After: 5 at 500 ms), during which D loses the session (at 2 s).
    h.emulator.fault("tableRows", { status: 429, retryAfter: 1 });
    h.emulator.fault("range", { status: 503, innerCode: null, delayMs: 2_000 });
    const b = store
      .request((ctx) => ctx.api("/tables('Table1')/rows").get())
      .catch((error: unknown) => error as WorkbookError);
    const d = store
      .request((ctx) => ctx.api("/worksheets('Sheet1')/range(address='A1')").get())
      .catch((error: unknown) => error as WorkbookError);
    h.emulator.fault("worksheets", { status: 429, retryAfter: 5, delayMs: 500 });
    const a = store.request(listSheets).catch((error: unknown) => error as WorkbookError);

    await driveUntilSettled(Promise.all([a, b, d]), 100);
    await passTime(5_000, 500);

    // B was sent once, into the first session, and was refused before its second send.
    const sent = h.emulator.requestsTo("tableRows");
    expect(sent.map((r) => r.sessionId)).toEqual([first.id]);
    const error = await b;
    expect(error).toMatchObject({ kind: "session-lost", attempts: 1 });
    // No attempt of B's that was never sent is reported as failed.
    const failedB = eventsOf(events, "attempt-failed").filter(
      (e) => e.operation === "request" && e.error.kind === "session-lost" && e.attempt === 2,
    );
    expect(failedB).toEqual([]);
  });
});

/** Appends Graph carried out: a scratch session keeps its rows out of the workbook file. */
const appliedAppends = () =>
  h.emulator
    .requestsTo("addRow")
    .filter((r) => typeof r.answeredWith === "number" && r.answeredWith < 300)
    .map((r) => r.sessionId);

/** Appends a row, then reads the worksheets: one call, a write and then a read. */
const writeThenList = async (ctx: SessionContext) => {
  await ctx.api("/tables('Table1')/rows/add").post({ values: [["once"]] });
  return ctx.api("/worksheets").get();
};

describe("replayAfterChangesLost: a call that wrote in the new session after the old one was lost", () => {
  it("is not sent again in the new session when a later request of it is throttled", async () => {
    useVirtualTime();
    const store = h.store({ persistChanges: false, keepAlive: false });
    await openSession(store);
    // The first try finds the scratch session gone at its append; the replay appends in the
    // new session, and its read is throttled.
    h.emulator.fault("addRow", SESSION_RECREATABLE);
    h.emulator.fault("worksheets", { status: 429, retryAfter: 1 });

    const { value, error } = await driveUntilSettled(
      store.request(writeThenList, { replayAfterChangesLost: true }),
      100,
    );

    // The new session keeps the replay's row: sending the call again would append it twice.
    const applied = appliedAppends();
    expect(new Set(applied).size).toBe(1);
    expect(applied).toHaveLength(1);
    expect(value).toBeUndefined();
    expect(error).toMatchObject({ kind: "throttled", retryable: false });
    expect((error as WorkbookError).message).toContain("POST");
  });

  it("made before the loss and run after it in the new session, is not sent again there either", async () => {
    useVirtualTime();
    const store = h.store({ persistChanges: false, keepAlive: false });
    await openSession(store);
    h.emulator.fault("worksheets", SESSION_RECREATABLE);
    h.emulator.fault("tableRows", { status: 429, retryAfter: 1 });

    // A loses the session; B, made before the loss and waiting its turn, runs in the new one.
    const a = store.request(listSheets).catch((e: unknown) => e);
    const b = store.request(
      async (ctx) => {
        await ctx.api("/tables('Table1')/rows/add").post({ values: [["once"]] });
        return ctx.api("/tables('Table1')/rows").get();
      },
      { replayAfterChangesLost: true },
    );
    const { error } = await driveUntilSettled(b, 100);
    await a;

    const applied = appliedAppends();
    expect(new Set(applied).size).toBe(1);
    expect(applied).toHaveLength(1);
    expect(error).toMatchObject({ kind: "throttled", retryable: false });
  });
});

describe("replayAfterChangesLost: a call that ends well in a scratch session another call lost", () => {
  it("runs again in the new session instead of rejecting as session-lost", async () => {
    useVirtualTime();
    const store = h.store({ concurrency: 2, keepAlive: false, persistChanges: false });
    const first = await openSession(store);
    const events = recordEvents(store);
    // A's read: 503 without second-level code at 100 ms, the scratch session is given up.
    // B (replayAfterChangesLost) appended its row there; its read is answered 200 at 500 ms.
    h.emulator.fault("worksheets", { status: 503, innerCode: null, delayMs: 100 });
    h.emulator.fault("range", { delayMs: 500 });

    const b = store
      .request(writeThenRead, { replayAfterChangesLost: true })
      .catch((error: unknown) => error as WorkbookError);
    const a = store.request(listSheets).catch((error: unknown) => error as WorkbookError);
    await driveUntilSettled(Promise.all([a, b]), 100);
    await passTime(5_000, 500);

    const created = eventsOf(events, "created").map((e) => e.sessionId);
    // Marked to run again after a loss: it does, and its row is in the new session too.
    expect(await b).not.toMatchObject({ kind: "session-lost" });
    expect(await b).not.toBeInstanceOf(Error);
    expect(appliedAppends().filter((id) => id !== first.id)).toHaveLength(1);
    expect(created.length).toBeGreaterThan(0);
  });
});

describe("replayAfterChangesLost: a call a cooldown held while another call lost the scratch session", () => {
  it("is sent in the new session, not into the lost one, and resolves", async () => {
    useVirtualTime();
    const store = h.store({ concurrency: 3, keepAlive: false, persistChanges: false });
    const first = await openSession(store);

    const { b, d } = await appendHeldWhileLost(store, { replayAfterChangesLost: true });
    await passTime(10_000, 500);

    expect(d).toMatchObject({ kind: "session-lost" });
    // B opted in to running after the loss: it resolves, with its row in the new session...
    expect(b).not.toBeInstanceOf(Error);
    expect(appliedAppends().filter((id) => id !== first.id)).toHaveLength(1);
    // ...and is not sent into the session the store already knew was lost.
    const intoLost = h.emulator.requestsTo("addRow").filter((r) => r.sessionId === first.id);
    expect(intoLost).toEqual([]);
  });
});
