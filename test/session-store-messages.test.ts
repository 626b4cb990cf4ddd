import {
  AuthenticationHandler,
  Client,
  type Context,
  type Middleware,
  RetryHandler,
  RetryHandlerOptions,
} from "@microsoft/microsoft-graph-client";
import { isWorkbookError, type SessionContext, WorkbookError } from "graph-workbook-session";
import { beforeEach, describe, expect, it } from "vitest";
import { EmulatorForwardingHandler } from "../src/testing/emulator-forwarding-handler";
import {
  appendRow,
  CANARY_TOKEN,
  driveUntilSettled,
  eventsOf,
  listSheets,
  openSession,
  passTime,
  recordEvents,
  SESSION_RECREATABLE,
  settleIo,
  until,
  useHarness,
  useVirtualTime,
  WORKBOOK_KEY,
} from "./support/harness";

/* What the errors of a store tell the app: each message must fit what happened. */

const h = useHarness();

beforeEach(useVirtualTime);

const creations = () => h.emulator.requestsTo("createSession");

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

describe("a call whose non-persistent session Graph ended", () => {
  it("counts the one time it was sent, not the replay that was refused", async () => {
    const store = h.store({ persistChanges: false });
    await openSession(store);
    h.emulator.fault("worksheets", { status: 404, innerCode: "invalidSessionReCreatable" });

    const { error } = await driveUntilSettled(store.request(listSheets), 50);

    expect(h.emulator.requestsTo("worksheets")).toHaveLength(1);
    expect(error).toMatchObject({ kind: "session-lost", attempts: 1 });
    expect((error as WorkbookError).message).not.toContain("attempts");
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

  it("tells a caller who passed an AbortSignal as the options to wrap it", async () => {
    const store = h.store();
    const signal = new AbortController().signal;

    const outcome = store.request(listSheets, signal as never);

    await expect(outcome).rejects.toThrow(
      new TypeError("request() was given an AbortSignal as its options; pass it as { signal }."),
    );
  });
});

describe("options that clash with one left at its default", () => {
  it.each([
    [
      { keepAlive: { expiresAfter: 60_000 } },
      /keepAlive\.margin was left at its default, set it too/,
    ],
    [{ keepAlive: { margin: 400_000 } }, /keepAlive\.expiresAfter was left at its default/],
    [{ poll: { initialInterval: 60_000 } }, /poll\.maxInterval was left at its default/],
  ])("names the one left at its default (%o)", (options, named) => {
    expect(() => h.store(options)).toThrow(named);
  });

  it("names none when both were set", () => {
    expect(() => h.store({ keepAlive: { expiresAfter: 5_000, margin: 6_000 } })).toThrow(
      /^keepAlive\.margin \(6000\) must be less than keepAlive\.expiresAfter \(5000\)\.$/,
    );
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

describe("openTimeout while a later attempt is on the wire", () => {
  it("says which attempt was still waiting, and how the one before failed", async () => {
    // Attempt 1: 503 at once. Attempt 2: never answered.
    h.emulator.fault("createSession", { status: 503 }, { hang: true });
    const store = h.store({
      openTimeout: 5_000,
      attemptTimeout: 30_000,
      retry: { retries: 5, baseDelay: 1_000, maxDelay: 1_000, jitter: "none" },
    });

    const opening = store.open().catch((error: unknown) => error);
    await until(() => creations().length === 1, "first attempt");
    await passTime(1_500, 250);
    await until(() => creations().length === 2, "second attempt on the wire");
    await passTime(4_000, 250);
    const error = (await opening) as WorkbookError;
    await settleIo();

    expect(error).toMatchObject({ code: "openTimeout", attempts: 2 });
    expect(error.message).toContain(
      "Attempt 2 was still waiting for Graph. The one before failed with HTTP 503",
    );
  });
});

describe("openTimeout's attempt count", () => {
  it("counts an attempt that a cooldown held, then sent", async () => {
    // The first opening's POST answers 429 Retry-After 10 s after close(): the closer notes it.
    // The second: attempt 1 gets a 503; attempt 2 is held by that cooldown, then sent, and hangs.
    h.emulator.fault(
      "createSession",
      { delayMs: 1_000, status: 429, retryAfter: 10 },
      { status: 503 },
      { hang: true },
    );
    const store = h.store({
      openTimeout: 20_000,
      attemptTimeout: 60_000,
      retry: { retries: 5, baseDelay: 3_000, maxDelay: 3_000, jitter: "none" },
    });

    const a = store.open().catch((error: unknown) => error);
    await until(() => creations().length === 1, "A's POST is on the wire");
    await store.close();
    await a;

    const b = store.open().catch((error: unknown) => error);
    await until(() => creations().length === 2, "B's attempt 1");
    await passTime(25_000, 250);
    const error = (await b) as WorkbookError;
    await settleIo();

    const sentByB = creations().length - 1;
    expect(sentByB).toBe(2);
    expect(error).toMatchObject({ code: "openTimeout" });
    expect(error.attempts).toBe(sentByB);
  });

  it("says no attempt was sent while a cooldown held the first", async () => {
    h.emulator.fault("createSession", { status: 429, retryAfter: 30 });
    const store = h.store({ openTimeout: 5_000, retry: { retries: 0 } });
    const first = await driveUntilSettled(store.open(), 100);
    expect(first.error).toMatchObject({ kind: "throttled" });
    const sentBefore = creations().length;

    const second = await driveUntilSettled(store.open(), 100);
    const error = second.error as WorkbookError;

    expect(creations().length).toBe(sentBefore); // nothing sent by this open()
    expect(error).toMatchObject({ code: "openTimeout" });
    expect(error.message).toContain(
      "No attempt had been sent yet: the store was waiting for Graph's Retry-After to pass",
    );
  });
});

describe("a write cancelled on the wire by close()", () => {
  /* Graph carries the write out; its answer is 2 s (virtual) on its way back when close() comes. */
  function slowAnswerClient(): Client {
    const forward = new EmulatorForwardingHandler(h.emulator.url, "https://graph.microsoft.com/");
    const slowAnswers: Middleware = {
      async execute(context: Context) {
        await forward.execute(context);
        const url = typeof context.request === "string" ? context.request : context.request.url;
        if (!url.includes("/rows/add")) return;
        const signal = (context.options as RequestInit | undefined)?.signal ?? undefined;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, 2_000);
          signal?.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(new DOMException("aborted", "AbortError"));
          });
        });
      },
    };
    return Client.initWithMiddleware({
      baseUrl: "https://graph.microsoft.com/",
      customHosts: new Set(["graph.microsoft.com"]),
      middleware: [
        new AuthenticationHandler({ getAccessToken: async () => CANARY_TOKEN }),
        new RetryHandler(new RetryHandlerOptions()),
        slowAnswers,
      ],
    });
  }

  it("says Graph may have carried it out", async () => {
    const store = h.store({ client: slowAnswerClient() });
    await openSession(store);

    const call = store.request(appendRow("cut")).catch((error: unknown) => error);
    await until(() => h.emulator.requestsTo("addRow").length === 1, "the write was served");
    await settleIo();
    await store.close();
    const error = (await call) as WorkbookError;

    // Graph (the emulator) carried the write out before close() cut the answer off.
    expect(h.emulator.readTableRows(WORKBOOK_KEY, "Table1")).toContainEqual(["cut"]);
    expect(error).toMatchObject({ kind: "aborted" });
    expect(error.message).toContain(
      "a call cancelled after it was sent may have been carried out by Graph all the same.",
    );
  });
});

describe("a call whose session is lost, and whose recreation fails", () => {
  it("reports the createSession attempts sent, not the call's", async () => {
    const store = h.store({ retry: { retries: 0 } });
    const session = await openSession(store);
    h.emulator.expireSession(session.id);
    // The recreation's createSession is refused for good (400, not retried).
    h.emulator.fault("createSession", { status: 400, code: "invalidRequest" });
    const sentBefore = h.emulator.requestsTo("createSession").length;

    const { error } = await driveUntilSettled(store.request(listSheets), 50);
    const sent = h.emulator.requestsTo("createSession").length - sentBefore;

    expect(sent).toBe(1);
    expect(error).toMatchObject({ operation: "createSession", status: 400 });
    expect((error as WorkbookError).attempts).toBe(sent);
    expect((error as WorkbookError).message).not.toContain("after 2 attempts");
  });
});

describe("a call that runs out of time", () => {
  it("says its own work may be what took too long, such as a store.request made inside it", async () => {
    const store = h.store({ attemptTimeout: 2_000 });
    await openSession(store);

    const nested = store.request(async (ctx) => {
      await store.request(listSheets).catch(() => undefined);
      return listSheets(ctx);
    });
    const { error } = await driveUntilSettled(nested, 500);

    expect(error).toMatchObject({ code: "attemptTimeout", operation: "request" });
    const message = (error as WorkbookError).message;
    expect(message).toContain("did not finish within 2000 ms");
    expect(message).toContain("A store.request made inside a call waits behind that call");
  });
});

describe("a session Graph drops, which the store replaces by itself", () => {
  it("tells a refresh() caller, the state and the expired event that the store opens a new one", async () => {
    useVirtualTime();
    const store = h.store();
    const events = recordEvents(store);
    await openSession(store);
    h.emulator.fault("refreshSession", { status: 404, code: "itemNotFound", innerCode: null });

    const { error } = await driveUntilSettled(store.refresh(), 50);

    expect(error).toMatchObject({ kind: "recreate-session", operation: "refreshSession" });
    const { message } = error as WorkbookError;
    expect(message).toContain("The store opens a new session in its place by itself");
    expect(message).not.toContain("create a new session");
    const [expired] = eventsOf(events, "expired");
    expect(expired?.error).toBe(error);
    const [failed] = eventsOf(events, "attempt-failed");
    expect(failed).toMatchObject({ operation: "refreshSession", error });
    expect(store.getState().status).toBe("active");
  });

  it("tells the attempt-failed event of the call that found the session dropped", async () => {
    useVirtualTime();
    const store = h.store();
    await openSession(store);
    const events = recordEvents(store);
    h.emulator.fault("worksheets", SESSION_RECREATABLE);

    const { error } = await driveUntilSettled(store.request(listSheets), 50);

    expect(error).toBeUndefined();
    const [failed] = eventsOf(events, "attempt-failed");
    expect(failed?.error.kind).toBe("recreate-session");
    expect(failed?.error.message).toContain("The store opens a new session in its place by itself");
  });

  it("tells the caller of a call refused again after its replay that it is not replayed twice", async () => {
    useVirtualTime();
    const store = h.store();
    await openSession(store);
    const creationsBefore = h.emulator.requestsTo("createSession").length;
    h.emulator.fault("worksheets", { ...SESSION_RECREATABLE, times: 2 });

    const { error } = await driveUntilSettled(store.request(listSheets), 50);

    expect(error).toMatchObject({ kind: "recreate-session", operation: "request", attempts: 2 });
    const { message } = error as WorkbookError;
    expect(message).toContain("does not replay a call twice");
    expect(message).not.toContain("create a new session");
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(2);
    // One session for the replay, one more after the replay's session was dropped too.
    expect(h.emulator.requestsTo("createSession").length - creationsBefore).toBe(2);
    await driveUntilSettled(store.open(), 50);
    expect(store.getState().status).toBe("active");
  });
});

describe("calls queued behind one that lost a non-persistent session to a 401", () => {
  it("keep the 401's kind and are not told that a new session opens: the store turned failed", async () => {
    useVirtualTime();
    const store = h.store({ persistChanges: false });
    await openSession(store);
    h.emulator.fault("worksheets", { status: 401, delayMs: 100 });

    const first = store.request(listSheets).catch((error: unknown) => error);
    const queued = store.request(appendRow("x")).catch((error: unknown) => error);
    const { value } = await driveUntilSettled(queued, 50);
    await first;

    expect(store.getState()).toMatchObject({ status: "failed", changesLost: true });
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
    expect(value).toMatchObject({ kind: "auth", status: 401 });
    const { message } = value as WorkbookError;
    expect(message).not.toContain("The store opens a new session");
    expect(message).toContain("persistChanges: false and was dropped");
    expect(h.emulator.requestsTo("addRow")).toHaveLength(0);
  });
});

describe("the messages of newcomers' common mistakes", () => {
  it("keeps saying the call returned no promise when it also left a write on the wire", async () => {
    useVirtualTime();
    const store = h.store();
    await openSession(store);
    h.emulator.fault("range", { delayMs: 500 });
    const forgotReturn = ((ctx: SessionContext) => {
      void ctx.api("/worksheets('Sheet1')/range(address='A1')").patch({ values: [["x"]] });
    }) as unknown as (ctx: SessionContext) => Promise<unknown>;

    const { error } = await driveUntilSettled(store.request(forgotReturn), 50);

    const { message } = error as WorkbookError;
    expect(message).toContain("not a promise");
    expect(message).toContain(
      "Graph carried out a PATCH the call sent before this failure, or may have",
    );
  });

  it("says what to do of a cooldown longer than the store may wait, without misquoting Graph", async () => {
    useVirtualTime();
    const store = h.store({ retry: { maxRetryAfter: 2_000 } });
    h.emulator.fault("createSession", { status: 429, retryAfter: 10 });
    await driveUntilSettled(
      store.open().catch((error: unknown) => error),
      50,
    );

    const { error } = await driveUntilSettled(store.open(), 50);

    expect(error).toMatchObject({ kind: "throttled", code: "cooldown" });
    const { message } = error as WorkbookError;
    expect(message).not.toContain("the server asked for");
    expect(message).toContain("retry.maxRetryAfter");
  });

  it("says nothing was sent when the store was already disposed, without calling it a cancellation", async () => {
    const store = h.store();
    await store.dispose();

    const refused = await Promise.all([
      store.open().catch((error: unknown) => error),
      store.request(listSheets).catch((error: unknown) => error),
    ]);

    for (const error of refused) {
      expect(error).toMatchObject({ kind: "aborted" });
      const { message } = error as WorkbookError;
      expect(message).toContain(
        "Nothing was sent. The store was disposed; create a new SessionStore",
      );
      expect(message).not.toContain("Nothing needs to be done");
    }
    expect(h.emulator.requestsTo("createSession")).toHaveLength(0);
  });
});
