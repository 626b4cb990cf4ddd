import type { SessionContext, WorkbookError } from "graph-workbook-session";
import { describe, expect, it } from "vitest";
import {
  driveUntilSettled,
  recordStates,
  statuses,
  useHarness,
  useVirtualTime,
  WORKBOOK_KEY,
} from "./support/harness";

const h = useHarness();

/** Appends a row, then reads the worksheets: one call, two requests. */
const writeThenRead = async (session: SessionContext) => {
  await session.api("/tables('Table1')/rows/add").post({ values: [["once"]] });
  return session.api("/worksheets").get();
};

const rows = () => h.emulator.readTableRows(WORKBOOK_KEY, "Table1");

describe("a call that wrote before it failed", () => {
  it("is not sent again when a later request of it is throttled, and says why", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("worksheets", { status: 429, retryAfter: 1 });

    const { error } = await driveUntilSettled(store.request(writeThenRead), 100);

    expect(error).toMatchObject({ kind: "throttled", operation: "request", attempts: 1 });
    const message = (error as WorkbookError).message;
    expect(message).toContain("The call was not sent again");
    expect(message).toContain("POST");
    expect(message).toContain("idempotent");
    expect(h.emulator.requestsTo("addRow")).toHaveLength(1);
    expect(rows()).toEqual([["once"]]);
  });

  it("is sent again when marked idempotent: the app said running it twice is harmless", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("worksheets", { status: 429, retryAfter: 1 });

    const { error } = await driveUntilSettled(
      store.request(writeThenRead, { idempotent: true }),
      100,
    );

    expect(error).toBeUndefined();
    expect(h.emulator.requestsTo("addRow")).toHaveLength(2);
  });

  it("is not replayed in a new session when a later request says to recreate it", async () => {
    const store = h.store();
    const first = await store.open();
    const states = recordStates(store);
    h.emulator.fault("worksheets", {
      status: 404,
      code: "itemNotFound",
      innerCode: "invalidSessionReCreatable",
    });

    const failure = await store.request(writeThenRead).catch((error: unknown) => error);

    expect(failure).toMatchObject({ kind: "recreate-session", operation: "request" });
    expect((failure as WorkbookError).message).toContain("not replayed in the new session");
    expect(h.emulator.requestsTo("addRow")).toHaveLength(1);
    // The session itself is still replaced, as Graph asked.
    const second = await store.open();
    expect(second.id).not.toBe(first.id);
    expect(statuses(states)).toEqual(["active", "creating", "active"]);
  });

  it("is not sent again while a write of it is still on the wire", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("addRow", { delayMs: 2_000 });
    h.emulator.fault("worksheets", { status: 429, retryAfter: 1 });
    const together = (session: SessionContext) =>
      Promise.all([
        session.api("/tables('Table1')/rows/add").post({ values: [["once"]] }),
        session.api("/worksheets").get(),
      ]);

    const { error } = await driveUntilSettled(store.request(together), 100);

    expect(error).toMatchObject({ kind: "throttled" });
    expect((error as WorkbookError).message).toContain("not sent again");
    await driveUntilSettled(new Promise((resolve) => setTimeout(resolve, 3_000)), 100);
    expect(h.emulator.requestsTo("addRow")).toHaveLength(1);
  });
});

describe("calls that wrote nothing Graph carried out", () => {
  it("are sent again as before: reads only", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("worksheets", { status: 429, retryAfter: 1 });
    const twoReads = async (session: SessionContext) => {
      await session.api("/tables('Table1')/rows").get();
      return session.api("/worksheets").get();
    };

    const { error } = await driveUntilSettled(store.request(twoReads), 100);

    expect(error).toBeUndefined();
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(2);
  });

  it("are sent again as before: a write that was itself throttled", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("addRow", { status: 429, retryAfter: 1 });

    const { error } = await driveUntilSettled(store.request(writeThenRead), 100);

    expect(error).toBeUndefined();
    expect(h.emulator.requestsTo("addRow")).toHaveLength(2);
    expect(rows()).toEqual([["once"]]);
  });

  it("are replayed as before when the lost session was not persistent: its writes went with it", async () => {
    const store = h.store({ persistChanges: false });
    await store.open();
    h.emulator.fault("worksheets", {
      status: 404,
      code: "itemNotFound",
      innerCode: "invalidSessionReCreatable",
    });

    const value = await store.request(writeThenRead, { replayAfterChangesLost: true });

    expect(value).toBeDefined();
    expect(h.emulator.requestsTo("addRow")).toHaveLength(2);
  });
});
