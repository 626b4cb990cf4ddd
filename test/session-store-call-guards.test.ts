import { isWorkbookError, type WorkbookError } from "graph-workbook-session";
import { describe, expect, it } from "vitest";
import {
  appendRow,
  driveUntilSettled,
  openSession,
  useHarness,
  useVirtualTime,
  WORKBOOK_KEY,
} from "./support/harness";

const h = useHarness();

const settle = <T>(promise: Promise<T>) =>
  driveUntilSettled(
    promise.then(
      (value) => ({ value, error: undefined }),
      (error: unknown) => ({ value: undefined, error }),
    ),
    250,
  );

describe("call paths the URL parser would rewrite", () => {
  // The URL parser drops tabs and line breaks, so each of these becomes a `..` step.
  it.each([
    ["a tab inside ..", "/worksheets/.\t./.\t./.\t./.\t./.\t./.\t./.\t./users"],
    ["a line feed inside %2e%2e", "/worksheets/%2e\n%2e/%2e\n%2e/%2e\n%2e/%2e\n%2e/users"],
    ["a carriage return after ..", "/worksheets/..\r/..\r/..\r/..\r/..\r/users"],
    ["a NUL byte", "/worksheets/Sheet1\u0000/range"],
  ])("refuses %s before anything is sent", async (_, callPath) => {
    useVirtualTime();
    const store = h.store();
    await openSession(store);

    const { value } = await settle(store.request((ctx) => ctx.api(callPath).get()));

    expect(value?.error).toMatchObject({ kind: "fatal", operation: "request" });
    expect(String(value?.error)).toMatch(/control character/);
    expect(h.emulator.requests.map((request) => request.route)).toEqual(["createSession"]);
  });

  it("keeps the whole advice of the path check, however long the path", async () => {
    useVirtualTime();
    const store = h.store();
    await openSession(store);
    const callPath =
      "/worksheets('Quarterly summary for the finance team')/tables('SalesByRegion')/../../charts('Chart1')";

    const { value } = await settle(store.request((ctx) => ctx.api(callPath).get()));

    const message = String(value?.error);
    expect(message).toContain("Percent-encode names that contain dots and slashes.");
    expect(message).not.toContain("unexpected");
  });

  it("still sends names with dots that are not steps", async () => {
    useVirtualTime();
    const store = h.store();
    await openSession(store);

    await settle(store.request((ctx) => ctx.api("/worksheets('Q1.2024')").get()));

    expect(h.emulator.requests.map((request) => request.route)).toContain("unknown");
  });
});

describe("a success whose answer is cut off", () => {
  it("fails a write without sending it again, saying Graph carried it out", async () => {
    useVirtualTime();
    const store = h.store();
    await openSession(store);
    h.emulator.fault("addRow", { truncateAfter: 4 });

    const { value } = await settle(store.request(appendRow("cut-write")));

    const error = value?.error as WorkbookError;
    expect(isWorkbookError(error)).toBe(true);
    expect(error.status).toBe(201);
    expect(error.message).toMatch(/carried the request out/);
    expect(h.emulator.requestsTo("addRow")).toHaveLength(1);
    const rows = h.emulator.readTableRows(WORKBOOK_KEY, "Table1");
    expect(rows.filter((row) => row.includes("cut-write"))).toHaveLength(1);
  });

  it("sends an idempotent read again", async () => {
    useVirtualTime();
    const store = h.store();
    await openSession(store);
    h.emulator.fault("worksheets", { truncateAfter: 4, times: 1 });

    const { value } = await settle(
      store.request((ctx) => ctx.api("/worksheets").get(), { idempotent: true }),
    );

    expect(value?.error).toBeUndefined();
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(2);
  });
});
