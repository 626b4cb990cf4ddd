import type { SessionContext, WorkbookError } from "graph-workbook-session";
import { rateLimitFault } from "graph-workbook-session/testing";
import { describe, expect, it, vi } from "vitest";
import {
  appendRow,
  driveUntilSettled,
  fileOpenError,
  listSheets,
  settleIo,
  until,
  useHarness,
  useVirtualTime,
  WORKBOOK_KEY,
} from "./support/harness";

const h = useHarness();

/** A read that counts how many calls are inside `ctx.api(...).get()` at once. */
function overlapMeter() {
  let running = 0;
  let max = 0;
  const call = async (session: SessionContext) => {
    running += 1;
    max = Math.max(max, running);
    try {
      return await session.api("/worksheets").get();
    } finally {
      running -= 1;
    }
  };
  return {
    call,
    get max() {
      return max;
    },
  };
}

const tableRows = () => h.emulator.readTableRows(WORKBOOK_KEY, "Table1");

describe("calls wait their turn", () => {
  it("opens one session for a thousand calls made before it is active", async () => {
    const store = h.store();

    const calls = Array.from({ length: 1_000 }, () => store.request(listSheets));
    const results = await Promise.all(calls);

    expect(results).toHaveLength(1_000);
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
    const sent = h.emulator.requestsTo("worksheets");
    expect(sent).toHaveLength(1_000);
    expect(new Set(sent.map((request) => request.sessionId)).size).toBe(1);
  });

  it("never overlaps two calls to one workbook by default", async () => {
    const store = h.store();
    const meter = overlapMeter();

    await Promise.all(Array.from({ length: 30 }, () => store.request(meter.call)));

    expect(meter.max).toBe(1);
  });

  it("runs up to `concurrency` calls at once, and no more", async () => {
    const store = h.store({ concurrency: 3 });
    const meter = overlapMeter();

    await Promise.all(Array.from({ length: 30 }, () => store.request(meter.call)));

    expect(meter.max).toBeGreaterThan(1);
    expect(meter.max).toBeLessThanOrEqual(3);
  });

  it("starts calls and lands writes in the order they were made", async () => {
    const store = h.store();
    const started: number[] = [];
    const values = Array.from({ length: 25 }, (_, index) => `w${index}`);

    await Promise.all(
      values.map((value, index) =>
        store.request((session) => {
          started.push(index);
          return appendRow(value)(session);
        }),
      ),
    );

    expect(started).toEqual(values.map((_, index) => index));
    expect(tableRows()).toEqual(values.map((value) => [value]));
  });
});

describe("fifty writes at once against a rate limit", () => {
  it("lands every row exactly once and sends nothing while a cooldown lasts", async () => {
    useVirtualTime();
    h.emulator.fault("*", rateLimitFault({ limit: 10, windowMs: 1_000, retryAfter: 3 }));
    const store = h.store();
    const values = Array.from({ length: 50 }, (_, index) => `row ${index}`);
    const sentAt: number[] = [];

    const writes = values.map((value) =>
      store.request((session) => {
        sentAt.push(Date.now());
        return appendRow(value)(session);
      }),
    );
    const outcome = await driveUntilSettled(Promise.all(writes), 100);

    expect(outcome.error).toBeUndefined();
    expect(tableRows()).toEqual(values.map((value) => [value]));

    const requests = h.emulator.requests;
    const throttled = requests.filter((request) => request.answeredWith === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(4);
    expect(sentAt).toHaveLength(50 + throttled.length);
    for (const refused of throttled) {
      const cooldownEnds = refused.time + 3_000;
      const arrived = requests.filter(
        (request) => request.seq > refused.seq && request.time < cooldownEnds,
      );
      expect(arrived).toEqual([]);
      expect(sentAt.filter((time) => time > refused.time && time < cooldownEnds)).toEqual([]);
    }
  });
});

describe("a gateway timeout with no Retry-After", () => {
  const gatewayTimeout = {
    status: 504,
    code: "MaxRequestDurationExceeded",
    innerCode: "gatewayTimeoutUncategorized",
    delayMs: 20_000,
  } as const;

  it("resends an idempotent read a bounded number of times, in the same session", async () => {
    useVirtualTime();
    const store = h.store({ retry: { retries: 3 } });
    const session = (await driveUntilSettled(store.open(), 50)).value!;
    h.emulator.fault("worksheets", { ...gatewayTimeout, times: Number.POSITIVE_INFINITY });

    const outcome = await driveUntilSettled(store.request(listSheets, { idempotent: true }), 500);

    expect(outcome.error).toMatchObject({
      kind: "transient",
      status: 504,
      code: "MaxRequestDurationExceeded",
      innerCode: "gatewayTimeoutUncategorized",
      attempts: 4,
    });
    const sent = h.emulator.requestsTo("worksheets");
    expect(sent).toHaveLength(4);
    expect(sent.every((request) => request.sessionId === session.id)).toBe(true);
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
    expect(store.getState()).toMatchObject({ status: "active", session: { id: session.id } });
  });

  it("succeeds when the gateway recovers within the retries", async () => {
    useVirtualTime();
    const store = h.store({ retry: { retries: 3 } });
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("worksheets", { ...gatewayTimeout, times: 2 });

    const outcome = await driveUntilSettled(store.request(listSheets, { idempotent: true }), 500);

    expect(outcome.value).toMatchObject({ value: [{ name: "Sheet1" }] });
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(3);
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
  });

  it("does not resend a write, which Graph may have applied", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("addRow", gatewayTimeout);

    const outcome = await driveUntilSettled(store.request(appendRow("once")), 500);

    expect(outcome.error).toMatchObject({ kind: "transient", status: 504, attempts: 1 });
    expect(h.emulator.requestsTo("addRow")).toHaveLength(1);
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
  });
});

describe("a 500 GenericFileOpenError on every third row append", () => {
  it("rejects that call without resending it, saying which call failed", async () => {
    const store = h.store();
    h.emulator.fault("addRow", fileOpenError());

    const outcomes = [];
    for (const value of ["a", "b", "c"]) {
      outcomes.push(await store.request(appendRow(value)).catch((error: WorkbookError) => error));
    }

    expect(outcomes[2]).toMatchObject({
      name: "WorkbookError",
      operation: "request",
      status: 500,
      code: "internalServerError",
      innerCode: "internalServerErrorUncategorized",
      codes: ["internalServerError", "internalServerErrorUncategorized", "GenericFileOpenError"],
      kind: "session-lost",
      retryable: false,
      attempts: 1,
    });
    expect(store.getState()).toEqual({ status: "failed", error: outcomes[2], changesLost: false });
    expect(h.emulator.requestsTo("addRow")).toHaveLength(3);
    expect(tableRows()).toEqual([["a"], ["b"]]);
  });

  it("stops using the session, as the error rules say, and lands every other append", async () => {
    const store = h.store();
    h.emulator.fault("addRow", fileOpenError());
    const values = ["a", "b", "c", "d", "e", "f", "g"];

    const outcomes = [];
    const statesAfter = [];
    for (const value of values) {
      outcomes.push(
        await store.request(appendRow(value)).then(
          () => "ok",
          () => "failed",
        ),
      );
      statesAfter.push(store.getState().status);
    }

    expect(outcomes).toEqual(["ok", "ok", "failed", "ok", "ok", "failed", "ok"]);
    expect(statesAfter).toEqual([
      "active",
      "active",
      "failed",
      "active",
      "active",
      "failed",
      "active",
    ]);
    expect(tableRows()).toEqual([["a"], ["b"], ["d"], ["e"], ["g"]]);

    // After each failure the next call runs in a new session; the failed one is never sent again.
    const sessionOf = h.emulator.requestsTo("addRow").map((request) => request.sessionId);
    expect(new Set(sessionOf.slice(0, 3)).size).toBe(1);
    expect(new Set(sessionOf.slice(3, 6)).size).toBe(1);
    expect(sessionOf[3]).not.toBe(sessionOf[2]);
    expect(sessionOf[6]).not.toBe(sessionOf[5]);
    expect(h.emulator.requestsTo("createSession")).toHaveLength(3);
  });

  it("reports failed before the calls queued behind it open a new session", async () => {
    const store = h.store();
    h.emulator.fault("addRow", fileOpenError());
    const statuses: string[] = [];
    store.status$.subscribe((status) => statuses.push(status));

    const values = ["a", "b", "c", "d"];
    const outcomes = await Promise.allSettled(
      values.map((value) => store.request(appendRow(value))),
    );

    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    expect(statuses).toEqual(["idle", "creating", "active", "failed", "creating", "active"]);
  });
});

describe("sessions the store stops using", () => {
  // Bug: a session dropped after a 500 internalServerErrorUncategorized is never closed on
  // the server (dropping sends no closeSession, unlike replacing one after a 502/503), so
  // each such failure leaves a live session behind until it idles out. With a failure every
  // third append, the workbook reaches Graph's session cap within 75 appends and every
  // createSession after that answers 429.
  it("closes each session it drops, so repeated failures never reach the cap", async () => {
    useVirtualTime();
    h.emulator.configure({ maxSessionsPerWorkbook: 25 });
    h.emulator.fault("addRow", fileOpenError());
    const store = h.store();

    for (let append = 0; append < 81; append += 1) {
      await driveUntilSettled(
        store.request(appendRow(`r${append}`)).catch(() => undefined),
        100,
      );
    }

    const answers = h.emulator.requestsTo("createSession").map((request) => request.answeredWith);
    expect(answers).not.toContain(429);
    expect(h.emulator.sessions().length).toBeLessThanOrEqual(1);
  });
});

describe("one session per workbook, however many callers", () => {
  it("opens a single session for forty components opening and calling at once", async () => {
    h.emulator.configure({ maxSessionsPerWorkbook: 25 });
    const store = h.store();

    const callers = Array.from({ length: 40 }, (_, index) =>
      index % 2 === 0 ? store.open() : store.request(listSheets),
    );
    await Promise.all(callers);

    expect(h.emulator.sessions()).toHaveLength(1);
    expect(h.emulator.requestsTo("createSession").map((request) => request.answeredWith)).toEqual([
      201,
    ]);
  });

  it("closes each session it is done with, so thirty in a row stay within the cap", async () => {
    h.emulator.configure({ maxSessionsPerWorkbook: 25 });
    const store = h.store();

    for (let cycle = 0; cycle < 30; cycle += 1) {
      await store.request(listSheets);
      await store.close();
    }

    const created = h.emulator.requestsTo("createSession");
    expect(created).toHaveLength(30);
    expect(created.every((request) => request.answeredWith === 201)).toBe(true);
    expect(h.emulator.sessions()).toHaveLength(0);
  });
});

describe("cancelling a call", () => {
  it("never sends a queued call aborted before its turn", async () => {
    const store = h.store();
    await store.open();
    h.emulator.fault("worksheets", { delayMs: 50 });
    const controller = new AbortController();
    const queued = vi.fn((session: SessionContext) => session.api("/tables('Table1')/rows").get());

    const first = store.request(listSheets);
    const second = store.request(queued, { signal: controller.signal });
    controller.abort();

    await expect(second).rejects.toMatchObject({ kind: "aborted", operation: "request" });
    await first;
    await store.request(listSheets);
    expect(queued).not.toHaveBeenCalled();
    expect(h.emulator.requestsTo("tableRows")).toHaveLength(0);
  });

  it("aborts a running call's request, rejects it as aborted, and runs the next one", async () => {
    const store = h.store();
    await store.open();
    h.emulator.fault("worksheets", { hang: true });
    const controller = new AbortController();
    let seen: AbortSignal | undefined;

    const running = store.request(
      (session) => {
        seen = session.signal;
        return session.api("/worksheets").get();
      },
      { signal: controller.signal },
    );
    const next = store.request((session) => session.api("/tables('Table1')/rows").get());
    await until(() => h.emulator.requestsTo("worksheets").length === 1, "the call is on the wire");
    expect(h.emulator.requestsTo("tableRows")).toHaveLength(0);
    controller.abort();

    await expect(running).rejects.toMatchObject({ kind: "aborted", operation: "request" });
    expect(seen?.aborted).toBe(true);
    await expect(next).resolves.toMatchObject({ value: [] });
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(1);
  });

  it("rejects at once, without opening a session, when the signal is already aborted", async () => {
    const store = h.store();
    const call = vi.fn(listSheets);

    const outcome = store.request(call, { signal: AbortSignal.abort() });

    await expect(outcome).rejects.toMatchObject({ kind: "aborted", operation: "request" });
    expect(store.getState().status).toBe("idle");
    expect(call).not.toHaveBeenCalled();
    expect(h.emulator.requests).toHaveLength(0);
  });

  it("shrugs off an abort that comes after the call settled", async () => {
    const store = h.store();
    const controller = new AbortController();

    const sheets = await store.request(listSheets, { signal: controller.signal });
    const before = store.getState();
    controller.abort();
    await settleIo();

    expect(sheets).toMatchObject({ value: [{ name: "Sheet1" }] });
    expect(store.getState()).toBe(before);
    await expect(store.request(listSheets)).resolves.toBeDefined();
  });

  it("settles every call exactly once under a mix of faults, timeouts and aborts", async () => {
    useVirtualTime();
    const store = h.store({ concurrency: 2, retry: { retries: 2 } });
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault(
      "worksheets",
      { status: 429, retryAfter: 1, times: 3 },
      { status: 503, innerCode: "serviceUnavailableUncategorized", times: 3 },
      { drop: true, times: 3 },
      { hang: true, times: 4 },
      { status: 429, retryAfter: 2, times: 2 },
      { hang: true, times: 2 },
    );

    const settled: number[] = [];
    const ranAfterSettling: number[] = [];
    const controllers: AbortController[] = [];
    const calls = Array.from({ length: 24 }, (_, index) => {
      settled[index] = 0;
      const controller = new AbortController();
      controllers.push(controller);
      const call = store.request(
        (session) => {
          if (settled[index]! > 0) ranAfterSettling.push(index);
          return session.api("/worksheets").get();
        },
        { idempotent: index % 2 === 0, timeout: 2_000, signal: controller.signal },
      );
      const count = () => {
        settled[index]! += 1;
      };
      call.then(count, count);
      return call;
    });

    // Abort a few: some still queued, some likely running or waiting to retry.
    for (const index of [3, 7, 11, 19]) controllers[index]!.abort();
    await vi.advanceTimersByTimeAsync(500);
    for (const index of [5, 13]) controllers[index]!.abort();

    await driveUntilSettled(Promise.allSettled(calls), 250);
    await vi.advanceTimersByTimeAsync(60_000);
    await settleIo();
    for (const controller of controllers) controller.abort();
    await settleIo();

    expect(settled).toEqual(calls.map(() => 1));
    expect(ranAfterSettling).toEqual([]);
  });
});
