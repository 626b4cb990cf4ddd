import { isWorkbookError, WorkbookError } from "graph-workbook-session";
import { beforeEach, describe, expect, it } from "vitest";
import {
  appendRow,
  driveUntilSettled,
  eventsOf,
  listSheets,
  openSession,
  passTime,
  recordEvents,
  settleIo,
  until,
  useHarness,
  useVirtualTime,
} from "./support/harness";

/* What the errors of a store tell the app: each message must fit what happened. */

const h = useHarness();

beforeEach(useVirtualTime);

describe("the advice of a failed workbook call", () => {
  it("warns that a write without an answer may have been carried out, and does not resend it", async () => {
    h.emulator.fault("addRow", { drop: true });
    const store = h.store();
    await openSession(store);

    const { error } = await driveUntilSettled(store.request(appendRow("once")), 50);

    expect(h.emulator.requestsTo("addRow")).toHaveLength(1);
    expect(error).toMatchObject({ kind: "transient", status: null, attempts: 1 });
    expect((error as WorkbookError).message).toContain(
      "Graph may have carried the request out all the same; check the workbook before " +
        "sending it again, unless repeating it is harmless.",
    );
  });

  it("keeps the plain advice for a 503, which Graph did not carry out", async () => {
    h.emulator.fault("worksheets", { status: 503, times: Number.POSITIVE_INFINITY });
    const store = h.store({ retry: { retries: 0 } });
    await openSession(store);

    const { error } = await driveUntilSettled(store.request(listSheets), 50);

    expect((error as WorkbookError).message).toContain(
      "the same request may succeed when sent again after a pause.",
    );
    expect((error as WorkbookError).message).not.toContain("carried the request out");
  });
});

describe("the attempts an error reports", () => {
  it("are the same in the attempt-failed event and in the state, for the same failure", async () => {
    h.emulator.fault("createSession", { status: 503 }, { status: 429, retryAfter: 1 });
    const store = h.store();
    const events = recordEvents(store);
    const lastErrors: (WorkbookError | null)[] = [];
    store.state$.subscribe((state) => {
      if (state.status === "creating" && state.lastError) lastErrors.push(state.lastError);
    });

    await openSession(store);

    const failures = eventsOf(events, "attempt-failed").map((event) => event.error);
    const inState = [...new Set(lastErrors)];
    expect(failures.map((error) => error.attempts)).toEqual([1, 2]);
    expect(inState.map((error) => error?.attempts)).toEqual([1, 2]);
    expect(failures).toEqual(inState);
  });
});

describe("an open() that runs out of time", () => {
  it("counts the attempts sent, not the one waiting, and says to allow more time", async () => {
    h.emulator.fault("createSession", { status: 503, times: Number.POSITIVE_INFINITY });
    const store = h.store({
      openTimeout: 5_000,
      retry: { retries: 5, baseDelay: 1_000, maxDelay: 1_000, jitter: "none" },
    });

    const opening = store.open().catch((error: unknown) => error);
    await until(() => h.emulator.requestsTo("createSession").length === 1, "first attempt");
    await passTime(5_500, 250);
    const error = await opening;
    await settleIo();

    const sent = h.emulator.requestsTo("createSession").length;
    expect(isWorkbookError(error)).toBe(true);
    expect(error).toMatchObject({ code: "openTimeout", attempts: sent });
    const { message } = error as WorkbookError;
    expect(message).toContain(`after ${sent} attempts.`);
    expect(message).toContain("allow more time with openTimeout");
    expect(message).toContain("The last attempt failed with HTTP 503");
    expect(message).not.toContain("outlasted the retries");
    expect(message.match(/attempts/g)).toHaveLength(1);
  });
});

describe("a call cancelled by close()", () => {
  it("says the store was closed before it finished, also when it was on the wire", async () => {
    h.emulator.fault("worksheets", { delayMs: 5_000 });
    const store = h.store();
    await openSession(store);

    const call = store.request(listSheets).catch((error: unknown) => error);
    await until(() => h.emulator.requestsTo("worksheets").length === 1, "the call is on the wire");
    await store.close();

    expect(await call).toMatchObject({ kind: "aborted", code: "cancelled" });
    expect(((await call) as WorkbookError).message).toContain(
      "The store was closed before the call finished.",
    );
  });
});

describe("WorkbookError", () => {
  it("is named WorkbookError, also by its constructor", () => {
    const error = new WorkbookError({
      kind: "fatal",
      operation: "request",
      status: 400,
      code: "invalidRequest",
      innerCode: null,
    });

    expect(error.name).toBe("WorkbookError");
    expect(error.constructor.name).toBe("WorkbookError");
    expect(error.withAttempts(2).constructor.name).toBe("WorkbookError");
  });
});

describe("request() given something it cannot run", () => {
  it("rejects a call that is not a function with a TypeError, sending nothing", async () => {
    const store = h.store();

    const outcome = store.request("get" as never);

    await expect(outcome).rejects.toThrow(
      new TypeError(
        "request() takes a function that makes the call in the session, such as " +
          '(ctx) => ctx.api("/worksheets").get(), got "get".',
      ),
    );
    expect(h.emulator.requests).toHaveLength(0);
  });
});

describe("a call cancelled by its AbortSignal", () => {
  it("keeps the signal's reason as the error's cause, before and while it runs", async () => {
    h.emulator.fault("worksheets", { delayMs: 5_000 });
    const store = h.store();
    await openSession(store);
    const early = new AbortController();
    early.abort("the user left the page");
    const late = new AbortController();
    const reason = new Error("the user pressed Cancel");

    const before = store.request(listSheets, { signal: early.signal }).catch((error) => error);
    const during = store.request(listSheets, { signal: late.signal }).catch((error) => error);
    await until(() => h.emulator.requestsTo("worksheets").length === 1, "the call is on the wire");
    late.abort(reason);

    expect(await before).toMatchObject({ kind: "aborted", cause: "the user left the page" });
    expect(await during).toMatchObject({ kind: "aborted", cause: reason });
  });
});
