import { type SessionState, WorkbookError } from "graph-workbook-session";
import { setAutoFreeze } from "immer";
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  addRow,
  driveUntilSettled,
  listSheets,
  recordStates,
  settleIo,
  statuses,
  until,
  useHarness,
  useVirtualTime,
} from "./support/harness";

const h = useHarness();

beforeEach(useVirtualTime);

describe("re-entrancy", () => {
  it("shares one creation with a subscriber that opens while the store is creating", async () => {
    const store = h.store();
    const opened: Promise<unknown>[] = [];
    store.state$.subscribe((state) => {
      if (state.status === "creating") opened.push(store.open());
    });

    await driveUntilSettled(store.open(), 50);
    await Promise.all(opened);

    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
    expect(h.emulator.sessions()).toHaveLength(1);
  });

  it("delivers states in the same order to every subscriber when one of them acts", async () => {
    const store = h.store();
    store.state$.subscribe((state) => {
      if (state.status === "active") void store.close();
    });
    const seen: SessionState[] = [];
    store.state$.subscribe((state) => seen.push(state));

    await driveUntilSettled(store.open(), 50);
    await settleIo();

    expect(statuses(seen)).toEqual(["idle", "creating", "active", "idle"]);
    expect(seen.at(-1)).toBe(store.getState());
  });
});

describe("acting from a subscriber", () => {
  it("close() on the first creating state cancels the creation", async () => {
    const store = h.store();
    let closed = false;
    store.state$.subscribe((state) => {
      if (state.status === "creating" && !closed) {
        closed = true;
        void store.close();
      }
    });

    const outcome = await driveUntilSettled(store.open(), 50);

    expect(outcome.error).toMatchObject({ kind: "aborted" });
    expect(store.getState().status).toBe("idle");
  });

  it("dispose() on the first creating state leaves no session and no later state", async () => {
    const store = h.store();
    store.state$.subscribe((state) => {
      if (state.status === "creating") void store.dispose();
    });

    const outcome = await driveUntilSettled(store.open(), 50);
    await settleIo();

    expect(outcome.error).toMatchObject({ kind: "aborted" });
    expect(store.getState().status).toBe("idle");
    expect(h.emulator.sessions()).toHaveLength(0);
  });
});

describe("cancellation", () => {
  it("dispose() settles a refresh in flight at once", async () => {
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("refreshSession", { hang: true });

    const refresh = store.refresh().catch((error: unknown) => error);
    await until(() => h.emulator.requestsTo("refreshSession").length === 1, "the refresh was sent");
    await store.dispose();

    expect(await refresh).toMatchObject({ kind: "aborted", operation: "refreshSession" });
  });

  it("close() cancels calls waiting out a cooldown, and nothing reopens the session", async () => {
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("worksheets", { status: 429, retryAfter: 30 });

    const call = store.request((s) => s.api("/worksheets").get()).catch((error: unknown) => error);
    await until(() => h.emulator.requestsTo("worksheets").length === 1, "the call was throttled");
    await settleIo();
    await store.close();
    await vi.advanceTimersByTimeAsync(60_000);
    await settleIo();

    expect(await call).toMatchObject({ kind: "aborted" });
    expect(store.getState().status).toBe("idle");
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(1);
  });

  it("close() with calls queued behind a running one starts none of them", async () => {
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("worksheets", { hang: true });

    const calls = [1, 2, 3].map(() => store.request(listSheets).catch((error: unknown) => error));
    await until(() => h.emulator.requestsTo("worksheets").length === 1, "the first call runs");
    await store.close();
    await vi.advanceTimersByTimeAsync(60_000);
    await settleIo();

    for (const call of calls) expect(await call).toMatchObject({ kind: "aborted" });
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(1);
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
    expect(store.getState().status).toBe("idle");
  });

  it("abandons a call that never answers at its timeout, without resending a write", async () => {
    const store = h.store({ attemptTimeout: 5_000 });
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("addRow", { hang: true });

    const outcome = await driveUntilSettled(store.request(addRow), 1_000);

    expect(outcome.error).toMatchObject({
      kind: "transient",
      status: null,
      code: "attemptTimeout",
    });
    expect(h.emulator.requestsTo("addRow")).toHaveLength(1);
  });
});

describe("what an error does to the session", () => {
  it("does not resend a write after a gateway timeout, since Graph may have applied it", async () => {
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("addRow", { status: 504, innerCode: "gatewayTimeoutUncategorized" });

    const outcome = await driveUntilSettled(store.request(addRow), 100);

    expect(outcome.error).toMatchObject({ status: 504 });
    expect(h.emulator.requestsTo("addRow")).toHaveLength(1);
  });

  it("resends an idempotent call after a gateway timeout", async () => {
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("worksheets", { status: 504, innerCode: "gatewayTimeoutUncategorized" });

    const outcome = await driveUntilSettled(
      store.request((s) => s.api("/worksheets").get(), { idempotent: true }),
      100,
    );

    expect(outcome.error).toBeUndefined();
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(2);
  });

  it("keeps the session after a 403 on one call that does not end it", async () => {
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("range", {
      status: 403,
      code: "accessDenied",
      innerCode: "forbiddenUncategorized",
    });

    const outcome = await driveUntilSettled(
      store.request((s) => s.api("/worksheets('Sheet1')/range(address='A1')").get()),
      100,
    );

    expect(outcome.error).toMatchObject({ kind: "auth", status: 403 });
    expect(store.getState().status).toBe("active");
  });

  it("waits out a sessionful 503's Retry-After before creating the replacement session", async () => {
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    h.emulator.fault("worksheets", { status: 503, innerCode: null, retryAfter: 30 });

    const outcome = await driveUntilSettled(
      store.request((s) => s.api("/worksheets").get()),
      1_000,
    );

    expect(outcome.error).toBeUndefined();
    const [failed] = h.emulator.requestsTo("worksheets");
    const [, replacement] = h.emulator.requestsTo("createSession");
    expect(replacement!.time - failed!.time).toBeGreaterThanOrEqual(30_000);
  });
});

describe("hostile URLs", () => {
  it("refuses a Location whose path holds another URL, and sends nothing off the Graph host", async () => {
    h.emulator.configure({
      asyncCreate: {
        mode: "async",
        location: "https://graph.microsoft.com/evil.example/x/https://y/z/workbook/operations/1",
      },
    });
    const store = h.store();

    const outcome = await driveUntilSettled(store.open(), 250);

    expect(outcome.error).toMatchObject({ kind: "fatal", code: "malformedResponse" });
    expect(h.emulator.requestsTo("operation")).toHaveLength(0);
  });

  it("refuses a workbook path with a URL in it rather than letting the client follow it", async () => {
    const store = h.store();
    await driveUntilSettled(store.open(), 50);

    const outcome = await driveUntilSettled(
      store.request((s) => s.api("/worksheets?$filter=name eq 'https://x'").get()),
      50,
    );

    expect(outcome.error).toMatchObject({ kind: "fatal" });
    expect((outcome.error as Error).message).toMatch(/:\/\//);
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(0);
  });

  it.each(["mailto:someone@example.com", "ftp://graph.microsoft.com/"])(
    "refuses graphBaseUrl %s",
    (graphBaseUrl) => {
      expect(() => h.store({ graphBaseUrl })).toThrow(RangeError);
    },
  );
});

describe("long-running creation", () => {
  it("does not start new sessions when polling the operation keeps failing", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 5 } });
    h.emulator.fault("operation", { status: 503, times: Number.POSITIVE_INFINITY });
    const store = h.store({ retry: { retries: 2 } });

    const outcome = await driveUntilSettled(store.open(), 500);

    expect(outcome.error).toMatchObject({ operation: "pollOperation", kind: "transient" });
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
    expect(h.emulator.requestsTo("operation")).toHaveLength(3);
  });
});

describe("immutability", () => {
  it("freezes states even when the app turned immer's freezing off", async () => {
    setAutoFreeze(false);
    try {
      const store = h.store();
      const states = recordStates(store);
      await driveUntilSettled(store.open(), 50);

      for (const state of states) expect(Object.isFrozen(state)).toBe(true);
    } finally {
      setAutoFreeze(true);
    }
  });

  it("reports an open timeout without borrowing an earlier attempt's status", async () => {
    h.emulator.fault("createSession", { status: 503, times: Number.POSITIVE_INFINITY });
    const store = h.store({ openTimeout: 2_000, retry: { baseDelay: 500 } });

    const outcome = await driveUntilSettled(store.open(), 250);

    expect(outcome.error).toBeInstanceOf(WorkbookError);
    expect(outcome.error).toMatchObject({ code: "openTimeout", status: null });
  });
});
