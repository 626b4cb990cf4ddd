import { type GraphRequest, ResponseType } from "@microsoft/microsoft-graph-client";
import {
  errorFromResponse,
  retryWithBackoff,
  type SessionContext,
  type WorkbookError,
} from "graph-workbook-session";
import { defer, firstValueFrom } from "rxjs";
import { describe, expect, it } from "vitest";
import {
  driveUntilSettled,
  openSession,
  passTime,
  recordStates,
  SESSION_RECREATABLE,
  settleIo,
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

    expect(error).toMatchObject({
      kind: "throttled",
      operation: "request",
      attempts: 1,
      retryable: false,
    });
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
    h.emulator.fault("worksheets", SESSION_RECREATABLE);

    const failure = await store.request(writeThenRead).catch((error: unknown) => error);

    expect(failure).toMatchObject({ kind: "recreate-session", operation: "request" });
    const { message } = failure as WorkbookError;
    expect(message).toContain("the call was not replayed in the new one");
    // The advice that kind alone would give (send it again in a new session) is replaced.
    expect(message).not.toContain("send the request again");
    expect(h.emulator.requestsTo("addRow")).toHaveLength(1);
    // The session itself is still replaced, as Graph asked.
    const second = await store.open();
    expect(second.id).not.toBe(first.id);
    expect(statuses(states)).toEqual(["active", "creating", "active"]);
  });

  it("cannot send a request kept from an earlier try: that try's signal was aborted", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    // The first try is throttled before it writes: it is sent again, with a request from the
    // first try, whose signal was aborted when that try failed.
    h.emulator.fault("worksheets", { status: 429, retryAfter: 1 });
    let append: GraphRequest | undefined;
    const call = async (session: SessionContext) => {
      append ??= session.api("/tables('Table1')/rows/add");
      await session.api("/worksheets").get();
      return append.post({ values: [["once"]] });
    };

    const { error } = await driveUntilSettled(store.request(call), 100);

    expect(error).toMatchObject({ kind: "aborted", attempts: 2 });
    expect(h.emulator.requestsTo("addRow")).toHaveLength(0);
    expect(rows()).toEqual([]);
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

describe("retryWithBackoff around a call that wrote before it failed", () => {
  it("does not run the call again: its error is not retryable", async () => {
    useVirtualTime();
    const store = h.store({ retry: { retries: 0 } });
    await openSession(store);
    h.emulator.fault("worksheets", { status: 429, retryAfter: 1 });
    const outer$ = defer(() => store.request(writeThenRead)).pipe(retryWithBackoff({ retries: 3 }));

    const { error } = await driveUntilSettled(firstValueFrom(outer$), 100);

    expect(error).toMatchObject({ kind: "throttled", retryable: false });
    expect(rows()).toEqual([["once"]]);
  });
});

describe("a call whose write went through before a later request was refused for good", () => {
  it("names the write in a 409's error, whose advice is to send the call again later", async () => {
    useVirtualTime();
    const store = h.store();
    await openSession(store);
    h.emulator.fault("worksheets", {
      status: 409,
      code: "conflict",
      innerCode: "conflictUncategorized",
    });

    const { error } = await driveUntilSettled(store.request(writeThenRead), 50);

    expect(error).toMatchObject({ kind: "fatal", status: 409 });
    expect((error as WorkbookError).message).toContain("Graph carried out a POST the call sent");
    expect(rows()).toEqual([["once"]]);
  });

  it("does not name a write of a non-persistent session that Graph ended: it went with it", async () => {
    useVirtualTime();
    const store = h.store({ persistChanges: false });
    await openSession(store);
    h.emulator.fault("worksheets", { status: 401 });

    const { error } = await driveUntilSettled(store.request(writeThenRead), 50);

    expect(error).toMatchObject({ kind: "auth" });
    expect((error as WorkbookError).message).not.toContain("Graph carried out");
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
    h.emulator.fault("worksheets", SESSION_RECREATABLE);

    const value = await store.request(writeThenRead, { replayAfterChangesLost: true });

    expect(value).toBeDefined();
    expect(h.emulator.requestsTo("addRow")).toHaveLength(2);
  });
});

describe("how the store tells a write was not carried out", () => {
  it("reads the error a callback-style write was given", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("addRow", { status: 429, retryAfter: 1 });
    // With a callback, the Graph client hands the error to it and rejects with nothing.
    const viaCallback = (session: SessionContext) =>
      new Promise((resolve, reject) => {
        session
          .api("/tables('Table1')/rows/add")
          .post({ values: [["once"]] }, (error, body) => (error ? reject(error) : resolve(body)))
          .catch(() => undefined);
      });

    const { error } = await driveUntilSettled(store.request(viaCallback), 100);

    expect(error).toBeUndefined();
    expect(h.emulator.requestsTo("addRow")).toHaveLength(2);
    expect(rows()).toEqual([["once"]]);
  });

  it("reads the status of a write whose raw answer the call reads itself", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("addRow", { status: 429, retryAfter: 1 });
    const rawWrite = async (session: SessionContext) => {
      const response: Response = await session
        .api("/tables('Table1')/rows/add")
        .responseType(ResponseType.RAW)
        .post({ values: [["once"]] });
      if (!response.ok) {
        throw await errorFromResponse(response, { operation: "request", sessionful: true });
      }
      return response.json();
    };

    const { error } = await driveUntilSettled(store.request(rawWrite), 100);

    expect(error).toBeUndefined();
    expect(h.emulator.requestsTo("addRow")).toHaveLength(2);
    expect(rows()).toEqual([["once"]]);
  });

  it("does not take up the Retry-After of a write the call dealt with itself", async () => {
    useVirtualTime();
    const store = h.store({ retry: { maxRetryAfter: 30_000 } });
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("addRow", { status: 429, retryAfter: 60 });
    h.emulator.fault("worksheets", { status: 429, retryAfter: 1 });
    const call = async (session: SessionContext) => {
      try {
        await session.api("/tables('Table1')/rows/add").post({ values: [["maybe"]] });
      } catch {
        // The call paces its own requests: it goes on without the row.
      }
      return session.api("/worksheets").get();
    };

    const { error } = await driveUntilSettled(store.request(call), 100);

    expect(error).toBeUndefined();
    const [first, second] = h.emulator.requestsTo("worksheets");
    expect((second?.time ?? Number.NaN) - (first?.time ?? Number.NaN)).toBeLessThan(10_000);
  });

  it("says what went through also when the call would not have been sent again anyway", async () => {
    useVirtualTime();
    const store = h.store({ retry: { retries: 0 } });
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("worksheets", { status: 429, retryAfter: 1 });

    const { error } = await driveUntilSettled(store.request(writeThenRead), 100);

    // Throttling invites sending the call again later; the caller learns that would write twice.
    expect(error).toMatchObject({ kind: "throttled", attempts: 1 });
    const { message } = error as WorkbookError;
    expect(message).toContain("Graph carried out a POST the call sent");
    expect(message).not.toContain("not sent again");
    expect(rows()).toEqual([["once"]]);
  });

  it("says what went through when the replay in a new session wrote, then lost that one too", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    let runs = 0;
    const readThenWriteOnReplay = async (session: SessionContext) => {
      runs += 1;
      if (runs === 1) return session.api("/worksheets").get();
      return writeThenRead(session);
    };
    h.emulator.fault("worksheets", { ...SESSION_RECREATABLE, times: 2 });

    const { error } = await driveUntilSettled(store.request(readThenWriteOnReplay), 100);

    expect(runs).toBe(2);
    expect(error).toMatchObject({ kind: "recreate-session", attempts: 2 });
    const { message } = error as WorkbookError;
    expect(message).toContain("Graph carried out a POST the call sent");
    expect(message).not.toContain("send the request again");
    expect(rows()).toEqual([["once"]]);
  });
});

/*
 * A call that sends its requests side by side (Promise.all): one write is
 * throttled at once, while a read and the write that follows it are still under
 * way. Promise.all rejects on the first failure, so the store sees a try that
 * failed before it wrote anything; the rest of that try must stop there.
 */
const sideBySide = (session: SessionContext) =>
  Promise.all([
    session.api("/tables('Table1')/rows/add").post({ values: [["a"]] }),
    session
      .api("/worksheets")
      .get()
      .then(() => session.api("/tables('Table1')/rows/add").post({ values: [["b"]] })),
  ]);

/** The unhandled rejections `run` leaves behind, once its aborted requests have settled. */
async function unhandledRejections(run: () => Promise<unknown>): Promise<unknown[]> {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", record);
  try {
    await run();
    await passTime(2_000, 100);
    await settleIo();
  } finally {
    process.off("unhandledRejection", record);
  }
  return unhandled;
}

describe("a try that failed", () => {
  it.each([
    [
      "create",
      (s: SessionContext) => s.api("/tables('Table1')/rows/add").create({ values: [["b"]] }),
    ],
    [
      "update",
      (s: SessionContext) =>
        s.api("/worksheets('Sheet1')/range(address='A1')").update({ values: [["b"]] }),
    ],
    ["del", (s: SessionContext) => s.api("/worksheets('Sheet1')/range(address='A1')").del()],
  ] as const)(
    "leaves no unhandled rejection behind for an unawaited %s() when another request fails",
    async (_name, send) => {
      useVirtualTime();
      const store = h.store({ retry: { retries: 0 } });
      await openSession(store);
      h.emulator.fault("worksheets", { status: 429, retryAfter: 1 });
      h.emulator.fault("addRow", { delayMs: 500 });
      h.emulator.fault("range", { delayMs: 500 });
      const call = async (session: SessionContext) => {
        const write = send(session);
        const sheets = await session.api("/worksheets").get();
        return [sheets, await write];
      };

      const unhandled = await unhandledRejections(async () => {
        const { error } = await driveUntilSettled(store.request(call, { idempotent: true }), 50);
        expect(error).toMatchObject({ kind: "throttled" });
      });

      expect(unhandled).toEqual([]);
    },
  );

  it("leaves no unhandled rejection behind for a request the call forgot to return", async () => {
    useVirtualTime();
    const store = h.store();
    await openSession(store);
    h.emulator.fault("worksheets", { delayMs: 500 });
    const forgotReturn = ((session: SessionContext) => {
      void session.api("/worksheets").get();
    }) as unknown as (session: SessionContext) => Promise<unknown>;

    const unhandled = await unhandledRejections(async () => {
      const { error } = await driveUntilSettled(store.request(forgotReturn), 50);
      expect(error).toMatchObject({ kind: "fatal", operation: "request" });
    });

    expect(unhandled).toEqual([]);
  });

  it("leaves no unhandled rejection behind for a request not yet awaited when another failed", async () => {
    useVirtualTime();
    const store = h.store({ retry: { retries: 0 } });
    await openSession(store);
    h.emulator.fault("worksheets", { status: 429, retryAfter: 1 });
    h.emulator.fault("range", { delayMs: 500 });
    const oneAfterTheOther = async (session: SessionContext) => {
      const sheets = session.api("/worksheets").get();
      const range = session.api("/worksheets('Sheet1')/range(address='A1')").get();
      return [await sheets, await range];
    };

    const unhandled = await unhandledRejections(async () => {
      const { error } = await driveUntilSettled(store.request(oneAfterTheOther), 50);
      expect(error).toMatchObject({ kind: "throttled" });
    });

    expect(unhandled).toEqual([]);
  });

  it("does not go on writing beside the try sent after it (no row written twice)", async () => {
    useVirtualTime();
    const store = h.store();
    await openSession(store);
    h.emulator.fault("addRow", { status: 429, retryAfter: 1 });
    h.emulator.fault("worksheets", { delayMs: 500 });

    const { error } = await driveUntilSettled(store.request(sideBySide), 100);
    await passTime(5_000, 100);

    // The store sent the call again and it succeeded: each row is written once. Had the
    // failed try gone on, its b would have gone out during the Retry-After, then again.
    expect(error).toBeUndefined();
    expect(rows()).toEqual([["a"], ["b"]]);
  });

  it("aborts the signal of a try that failed, so its later requests are not sent", async () => {
    useVirtualTime();
    const store = h.store({ retry: { retries: 0 } });
    await openSession(store);
    h.emulator.fault("addRow", { status: 429, retryAfter: 1 });
    h.emulator.fault("worksheets", { delayMs: 500 });
    let signal: AbortSignal | undefined;

    const { error } = await driveUntilSettled(
      store.request((session) => {
        signal = session.signal;
        return sideBySide(session);
      }),
      100,
    );
    await passTime(2_000, 100);

    // The caller is told the call failed (throttled) and may send it again: nothing of it
    // may be written after that.
    expect(error).toMatchObject({ kind: "throttled" });
    expect(signal?.aborted).toBe(true);
    expect(rows()).toEqual([]);
  });
});

describe("a try that fails by throwing before it returns its promise", () => {
  it("is aborted like one whose promise rejects, so the request it started stops", async () => {
    useVirtualTime();
    const store = h.store();
    await openSession(store);
    h.emulator.fault("worksheets", { delayMs: 1_000 });
    let signal: AbortSignal | undefined;
    const call = ((ctx: SessionContext) => {
      signal = ctx.signal;
      void ctx
        .api("/worksheets")
        .get()
        .catch(() => undefined);
      throw new Error("a bug in the call");
    }) as unknown as (ctx: SessionContext) => Promise<unknown>;

    const { error } = await driveUntilSettled(store.request(call), 50);

    expect(error).toMatchObject({ kind: "fatal", operation: "request" });
    expect(signal?.aborted).toBe(true);
  });
});

describe("a call that retried its own request inside one try", () => {
  it("keeps the attempts its error counts, as retryWithBackoff documents", async () => {
    useVirtualTime();
    const store = h.store({ keepAlive: false, retry: { retries: 0 } });
    await openSession(store);
    h.emulator.fault("worksheets", { status: 429, retryAfter: 1, times: 3 });
    const call = (ctx: SessionContext) =>
      firstValueFrom(
        defer(() => ctx.api("/worksheets").get()).pipe(
          retryWithBackoff({ retries: 2, baseDelay: 10 }),
        ),
      );
    const { error } = await driveUntilSettled(store.request(call), 100);
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(3);
    // The inner retries' count (3) is kept: the store's own count of 1 is the smaller one.
    expect(error as WorkbookError).toMatchObject({ kind: "throttled", attempts: 3 });
  });
});
