import { ResponseType, RetryHandlerOptions } from "@microsoft/microsoft-graph-client";
import { retryWithBackoff, type SessionContext, type WorkbookError } from "graph-workbook-session";
import { defer, lastValueFrom } from "rxjs";
import { describe, expect, it, vi } from "vitest";
import {
  appendRow,
  driveUntilSettled,
  listSheets,
  recordStates,
  statuses,
  until,
  useHarness,
  useVirtualTime,
  WORKBOOK,
} from "./support/harness";

const h = useHarness();

describe("workbook calls in the session", () => {
  it("sends the documented session header form on every call", async () => {
    const store = h.store();
    const session = await store.open();

    await store.request(listSheets);

    const [call] = h.emulator.requestsTo("worksheets");
    expect(call?.sessionId).toBe(session.id);
    expect(Object.keys(call?.headers ?? {})).toContain("workbook-session-id");
  });

  it("retries a 503 three times with jittered backoff and succeeds on the fourth try", async () => {
    useVirtualTime();
    h.emulator.fault("worksheets", {
      status: 503,
      innerCode: "serviceUnavailableUncategorized",
      times: 3,
    });
    const delays = [0.1, 0.9, 0.5];
    const store = h.store({ random: () => delays.shift() ?? 0 });

    const outcome = await driveUntilSettled(store.request(listSheets), 50);

    expect(outcome.error).toBeUndefined();
    const calls = h.emulator.requestsTo("worksheets");
    expect(calls).toHaveLength(4);
    const gaps = calls.slice(1).map((call, index) => call.time - calls[index]!.time);
    // Equal jitter: half of 1, 2 and 4 s plus 0.1, 0.9 and 0.5 of the other half.
    expect(gaps[0]).toBeGreaterThanOrEqual(550);
    expect(gaps[0]).toBeLessThan(600);
    expect(gaps[1]).toBeGreaterThanOrEqual(1_900);
    expect(gaps[1]).toBeLessThan(1_950);
    expect(gaps[2]).toBeGreaterThanOrEqual(3_000);
    expect(gaps[2]).toBeLessThan(3_050);
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
  });

  it("retries a sessionless 503 with the exported operator, in a pipeline of the app's own", async () => {
    useVirtualTime();
    h.emulator.fault("worksheets", { status: 503, innerCode: null, times: 3 });
    const call$ = defer(() =>
      h.client
        .api(`${WORKBOOK}/workbook/worksheets`)
        .middlewareOptions([new RetryHandlerOptions(0, 0)])
        .get(),
    ).pipe(retryWithBackoff({ retries: 3, baseDelay: 200, random: () => 1 - 1e-9 }));

    const outcome = await driveUntilSettled(lastValueFrom(call$), 50);

    expect(outcome.value).toMatchObject({ value: [{ name: "Sheet1" }] });
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(4);
  });

  it("exposes status, top-level and second-level codes of a 400", async () => {
    const store = h.store();
    h.emulator.fault("range", {
      status: 400,
      code: "invalidArgument",
      innerCode: "badRequestUncategorized",
    });

    const error = (await store
      .request((session) => session.api("/worksheets('Sheet1')/range(address='A1')").get())
      .catch((failure: unknown) => failure)) as WorkbookError;

    expect(error).toMatchObject({
      kind: "fatal",
      status: 400,
      code: "invalidArgument",
      innerCode: "badRequestUncategorized",
      operation: "request",
    });
    expect(store.getState().status).toBe("active");
  });

  it.each([502, 503])(
    "recreates the session on a sessionful %i with no known second-level code",
    async (status) => {
      const store = h.store();
      const states = recordStates(store);
      const first = await store.open();
      h.emulator.fault("worksheets", { status, innerCode: null });

      const sheets = await store.request(listSheets);

      expect(sheets).toMatchObject({ value: [{ name: "Sheet1" }] });
      expect(statuses(states)).toEqual(["idle", "creating", "active", "creating", "active"]);
      expect(statuses(states)).not.toContain("failed");
      const calls = h.emulator.requestsTo("worksheets");
      expect(calls).toHaveLength(2);
      expect(calls[1]?.sessionId).not.toBe(first.id);
    },
  );

  it("recreates an expired persistent session and replays the call once", async () => {
    const store = h.store();
    const first = await store.open();
    h.emulator.expireSession(first.id);

    await store.request((session) =>
      session.api("/worksheets('Sheet1')/range(address='A1')").patch({ values: [[42]] }),
    );

    const [expired, replayed] = h.emulator.requestsTo("range");
    expect(expired?.answeredWith).toBe(404);
    expect(replayed?.answeredWith).toBe(200);
    expect(h.emulator.requestsTo("createSession")).toHaveLength(2);
    const read = await store.request((session) =>
      session.api("/worksheets('Sheet1')/range(address='A1')").get(),
    );
    expect(read).toMatchObject({ values: [[42]] });
  });

  it("replaces a lost non-persistent session but does not replay the call into it", async () => {
    const store = h.store({ persistChanges: false });
    const first = await store.open();
    h.emulator.expireSession(first.id);

    const failure = store.request((session) =>
      session.api("/worksheets('Sheet1')/range(address='A1')").patch({ values: [[1]] }),
    );

    await expect(failure).rejects.toMatchObject({ kind: "session-lost" });
    await expect(failure).rejects.toThrow(/persistChanges: false/);
    expect(h.emulator.requestsTo("range")).toHaveLength(1);
    await until(() => store.getState().status === "active", "the replacement session");
    expect(store.getState()).toMatchObject({ status: "active", changesLost: true });
    expect(h.emulator.requestsTo("createSession")).toHaveLength(2);
  });

  it("does not resend a write that got no answer, unless told it is idempotent", async () => {
    const store = h.store();
    await store.open();
    h.emulator.fault("addRow", { drop: true });

    const addRow = store.request((session) =>
      session.api("/tables('Table1')/rows/add").post({ values: [["a"]] }),
    );

    await expect(addRow).rejects.toMatchObject({ kind: "transient", status: null });
    expect(h.emulator.requestsTo("addRow")).toHaveLength(1);
  });

  it("resends a read that got no answer when it is marked idempotent", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 100);
    h.emulator.fault("worksheets", { drop: true });

    const outcome = await driveUntilSettled(store.request(listSheets, { idempotent: true }), 100);

    expect(outcome.error).toBeUndefined();
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(2);
  });

  it("never runs a call whose signal is already aborted", async () => {
    const store = h.store();
    const controller = new AbortController();
    controller.abort();
    const call = vi.fn(listSheets);

    await expect(store.request(call, { signal: controller.signal })).rejects.toMatchObject({
      kind: "aborted",
    });
    expect(call).not.toHaveBeenCalled();
    expect(h.emulator.requests).toHaveLength(0);
  });

  it("aborts a call in flight and rejects it exactly once", async () => {
    const store = h.store();
    await store.open();
    h.emulator.fault("worksheets", { hang: true });
    const controller = new AbortController();
    const settled = vi.fn();

    const call = store.request(listSheets, { signal: controller.signal });
    call.then(settled, settled);
    await until(
      () => h.emulator.requestsTo("worksheets").length === 1,
      "the call reached the emulator",
    );
    controller.abort();

    await expect(call).rejects.toMatchObject({ kind: "aborted" });
    expect(settled).toHaveBeenCalledTimes(1);
  });

  it("rejects calls still in flight when the store is disposed", async () => {
    const store = h.store();
    await store.open();
    h.emulator.fault("worksheets", { hang: true });

    const call = store.request(listSheets).catch((error: unknown) => error);
    await until(
      () => h.emulator.requestsTo("worksheets").length === 1,
      "the call reached the emulator",
    );
    await store.dispose();

    expect(await call).toMatchObject({ kind: "aborted" });
  });

  it("reads raw responses when the call asks for them", async () => {
    const store = h.store();

    const response = (await store.request((session) =>
      session.api("/worksheets").responseType(ResponseType.RAW).get(),
    )) as Response;

    expect(response.status).toBe(200);
  });
});

describe("a success whose body is not JSON", () => {
  it.each([
    ["201 with cut-off JSON", { status: 201, body: '{"index":' }],
    ["200 with a proxy's page", { status: 200, body: "<html>signed in</html>" }],
  ])(
    "is a malformed answer to a write Graph carried out (%s), not sent again",
    async (_, answer) => {
      useVirtualTime();
      const store = h.store();
      await store.open();
      h.emulator.fault("addRow", { ...answer, contentType: "application/json" });

      const { error } = await driveUntilSettled(store.request(appendRow("once")), 50);

      expect(error).toMatchObject({
        kind: "fatal",
        code: "malformedResponse",
        status: answer.status,
      });
      const { message } = error as WorkbookError;
      expect(message).toContain("so the request went through");
      expect(message).toContain("Read back the effect of a write before sending it again");
      expect(message).not.toContain("fix the request");
      expect(h.emulator.requestsTo("addRow")).toHaveLength(1);
    },
  );
});

describe("calls and options given wrongly", () => {
  it.each([
    [
      "an AbortSignal in place of the options",
      new AbortController().signal,
      /was given an AbortSignal as its options; pass it as \{ signal \}/,
    ],
    ["a signal that is not an AbortSignal", { signal: "stop" }, /signal must be an AbortSignal/],
    ["idempotent as text", { idempotent: "yes" }, /idempotent must be true or false/],
    ["a timeout as text", { timeout: "5s" }, /timeout must be a number/],
  ])("rejects %s before sending anything", async (_, options, message) => {
    const store = h.store();

    const call = store.request(listSheets, options as never);

    await expect(call).rejects.toThrow(message);
    expect(h.emulator.requestsTo("createSession")).toHaveLength(0);
  });

  it("says a call must return the request's promise when it returns nothing", async () => {
    const store = h.store();

    // Plain JavaScript, where nothing checks the call's return type.
    const forgotReturn = ((ctx: SessionContext) => {
      void ctx.api("/worksheets").get();
    }) as unknown as (ctx: SessionContext) => Promise<unknown>;
    const call = store.request(forgotReturn);

    await expect(call).rejects.toThrow(/returned undefined, not a promise/);
    await expect(call).rejects.toMatchObject({ kind: "fatal", operation: "request" });
  });
});
