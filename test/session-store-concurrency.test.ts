import type { SessionContext, WorkbookError } from "graph-workbook-session";
import { describe, expect, it } from "vitest";
import {
  driveUntilSettled,
  listSheets,
  openSession,
  passTime,
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
    // D: a slow read answered at 1 s with a 503 without second-level code: the store gives the
    // session up (changes lost) and replaces it once the cooldown below has passed.
    h.emulator.fault("range", { status: 503, innerCode: null, delayMs: 1_000 });
    // A: throttled at once with Retry-After: 5, so the store sends nothing for 5 s.
    h.emulator.fault("worksheets", { status: 429, retryAfter: 5 });
    const d = store
      .request((ctx) => ctx.api("/worksheets('Sheet1')/range(address='A1')").get())
      .catch((error: unknown) => error as WorkbookError);
    const a = store.request(listSheets).catch((error: unknown) => error as WorkbookError);
    await driveUntilSettled(new Promise((resolve) => setTimeout(resolve, 100)), 50);
    // B: an append made before the loss, while the cooldown lasts; its try waits for it.
    const b = store
      .request((ctx) => ctx.api("/tables('Table1')/rows/add").post({ values: [["b"]] }))
      .catch((error: unknown) => error as WorkbookError);

    await driveUntilSettled(Promise.all([a, b, d]), 100);
    await passTime(10_000, 500);

    expect(await d).toMatchObject({ kind: "session-lost" });
    expect(await a).toMatchObject({ kind: "session-lost" });
    // B was made before the loss: like A, it is refused, not sent into the lost session.
    const intoLost = h.emulator.requestsTo("addRow").filter((r) => r.sessionId === first.id);
    expect(intoLost).toEqual([]);
    expect(await b).toMatchObject({ kind: "session-lost" });
  });
});
