import {
  type CreatingState,
  isWorkbookError,
  type SessionState,
  SessionStore,
  type WorkbookError,
} from "graph-workbook-session";
import { describe, expect, it, vi } from "vitest";
import {
  driveUntilSettled,
  recordStates,
  settleIo,
  statuses,
  until,
  useHarness,
  useVirtualTime,
} from "./support/harness";

const h = useHarness();

const createRequests = () => h.emulator.requestsTo("createSession");

function isWaiting(state: SessionState): state is CreatingState {
  return state.status === "creating" && state.nextAttemptAt !== null;
}

describe("opening a session", () => {
  it("goes idle → creating → active → idle and sends the session header on close", async () => {
    const store = h.store();
    const states = recordStates(store);

    const session = await store.open();
    await store.close();

    expect(statuses(states)).toEqual(["idle", "creating", "active", "idle"]);
    expect(session.persistChanges).toBe(true);
    const [close] = h.emulator.requestsTo("closeSession");
    expect(close?.headers["workbook-session-id"]).toBe(session.id);
    expect(h.emulator.sessions()).toHaveLength(0);
  });

  it("emits frozen states, and nothing for a change that changes nothing", async () => {
    const store = h.store();
    const states = recordStates(store);

    await store.open();
    await store.open();
    await store.close();
    await store.close();

    expect(states).toHaveLength(4);
    for (const state of states) expect(Object.isFrozen(state)).toBe(true);
    const active = states.find((state) => state.status === "active");
    expect(active && Object.isFrozen(active.session)).toBe(true);
  });

  it("shares one createSession among concurrent callers", async () => {
    const store = h.store();

    const sessions = await Promise.all(Array.from({ length: 20 }, () => store.open()));

    expect(createRequests()).toHaveLength(1);
    expect(new Set(sessions.map((session) => session.id)).size).toBe(1);
  });

  it("sends persistChanges, and the optional flags only when they are set", async () => {
    await h.store({ persistChanges: false }).open();
    await h.store({ commitExplicitly: true, deferCoauthoringMerge: false }).open();

    const [plain, flagged] = createRequests();
    expect(plain?.body).toEqual({ persistChanges: false });
    expect(flagged?.body).toEqual({
      persistChanges: true,
      commitExplicitly: true,
      deferCoauthoringMerge: false,
    });
  });

  it.each([
    [false, true, false],
    [true, false, false],
    [true, undefined, true],
    [false, undefined, false],
  ])(
    "counts a session asked with persistChanges %s and answered %s as persistent: %s",
    async (asked, answered, persistent) => {
      h.emulator.fault("createSession", {
        status: 201,
        contentType: "application/json",
        body: JSON.stringify({ id: "session-1", persistChanges: answered }),
      });

      const session = await h.store({ persistChanges: asked, keepAlive: false }).open();

      expect(session).toEqual({ id: "session-1", persistChanges: persistent });
    },
  );

  it("starts over from failed when opened again", async () => {
    h.emulator.fault("createSession", {
      status: 400,
      code: "invalidRequest",
      innerCode: "badRequestUncategorized",
    });
    const store = h.store();

    await expect(store.open()).rejects.toMatchObject({ kind: "fatal", status: 400 });
    expect(store.getState().status).toBe("failed");

    await expect(store.open()).resolves.toMatchObject({ persistChanges: true });
    expect(store.getState().status).toBe("active");
  });
});

describe("retrying createSession in virtual time", () => {
  it("waits out a Retry-After of 5 s before sending again, then becomes active", async () => {
    useVirtualTime();
    h.emulator.fault("createSession", { status: 429, retryAfter: 5 });
    const store = h.store();

    const opened = store.open();
    await until(() => isWaiting(store.getState()), "the first attempt has failed");
    const waiting = store.getState() as CreatingState;
    expect(waiting.attempt).toBe(2);
    expect(waiting.lastError).toMatchObject({
      kind: "throttled",
      status: 429,
      retryAfterMs: 5_000,
    });

    await vi.advanceTimersByTimeAsync(4_999);
    await settleIo();
    expect(createRequests()).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(1);
    await until(() => store.getState().status === "active", "the store is active");
    await expect(opened).resolves.toBeDefined();

    const [first, second] = createRequests();
    expect(second!.time - first!.time).toBeGreaterThanOrEqual(5_000);
  });

  it("gives up after its retry budget with a throttling error, never waiting past its cap", async () => {
    useVirtualTime();
    h.emulator.fault("createSession", { status: 429, times: Number.POSITIVE_INFINITY });
    const store = h.store({
      retry: { retries: 5, baseDelay: 1_000, maxDelay: 4_000 },
      random: () => 0.999,
    });
    const waits: number[] = [];
    store.state$.subscribe((state) => {
      if (isWaiting(state)) waits.push(state.nextAttemptAt! - Date.now());
    });

    const outcome = await driveUntilSettled(store.open(), 500);

    const error = outcome.error as WorkbookError;
    expect(isWorkbookError(error)).toBe(true);
    expect(error).toMatchObject({ kind: "throttled", status: 429, attempts: 6 });
    expect(error.message).toMatch(/6 attempts/);
    expect(createRequests()).toHaveLength(6);
    expect(waits).toHaveLength(5);
    for (const wait of waits) expect(wait).toBeLessThanOrEqual(4_000);
    expect(store.getState()).toMatchObject({ status: "failed", error });
  });

  it("fails a hung attempt at its deadline and the whole open at the overall deadline", async () => {
    useVirtualTime();
    h.emulator.fault("createSession", { hang: true, times: Number.POSITIVE_INFINITY });
    const store = h.store({ attemptTimeout: 10_000, openTimeout: 25_000 });
    const started = Date.now();

    const outcome = await driveUntilSettled(store.open(), 250);

    expect(outcome.error).toMatchObject({ kind: "transient", code: "openTimeout" });
    expect(Date.now() - started).toBeLessThanOrEqual(25_500);
    const attempts = createRequests();
    expect(attempts).toHaveLength(3);
    expect(attempts[1]!.time - attempts[0]!.time).toBeGreaterThanOrEqual(10_000);
  });

  it("cancels a hung attempt at once when disposed mid-wait, following it only until openTimeout", async () => {
    useVirtualTime();
    h.emulator.fault("createSession", { hang: true, times: Number.POSITIVE_INFINITY });
    const store = h.store({ attemptTimeout: 10_000, openTimeout: 20_000 });

    let eventsDone = false;
    store.events$.subscribe({ complete: () => (eventsDone = true) });
    const opened = store.open();
    await until(() => createRequests().length === 1, "the request reached the emulator");
    await vi.advanceTimersByTimeAsync(3_000);
    await store.dispose();

    await expect(opened).rejects.toMatchObject({ kind: "aborted" });
    expect(store.getState().status).toBe("idle");
    // Only the wait for the hung request's answer is left: a late session would be closed.
    expect(vi.getTimerCount()).toBe(1);
    expect(eventsDone).toBe(false);

    await vi.advanceTimersByTimeAsync(20_000);
    await settleIo();
    expect(eventsDone).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(vi.getTimerCount()).toBe(0);
    expect(createRequests()).toHaveLength(1);
  });

  it("keeps to one retry policy: the Graph client's own retries stay off", async () => {
    useVirtualTime();
    h.emulator.fault("createSession", { status: 503, times: Number.POSITIVE_INFINITY });
    const store = h.store({ retry: { retries: 2 } });

    const outcome = await driveUntilSettled(store.open(), 1_000);

    expect(outcome.error).toMatchObject({ kind: "transient", status: 503, attempts: 3 });
    const attempts = createRequests();
    expect(attempts).toHaveLength(3);
    for (const attempt of attempts) expect(attempt.headers["retry-attempt"]).toBeUndefined();
  });

  it("shows each wait in the state: attempt, last error and when the next try is due", async () => {
    useVirtualTime();
    h.emulator.fault("createSession", { status: 503 }, { status: 429, retryAfter: 2 });
    const store = h.store({ retry: { baseDelay: 1_000 } });
    const states = recordStates(store);

    await driveUntilSettled(store.open(), 100);

    const waits = states.filter(isWaiting);
    expect(waits.map((state) => [state.attempt, state.lastError?.status])).toEqual([
      [2, 503],
      [3, 429],
    ]);
    expect(statuses(states).at(-1)).toBe("active");
  });
});

describe("disposing", () => {
  it("is idempotent, completes state$, closes the session and refuses new work", async () => {
    const store = h.store();
    let completed = false;
    store.state$.subscribe({ complete: () => (completed = true) });
    const session = await store.open();

    const first = store.dispose();
    expect(store.dispose()).toBe(first);
    await first;

    expect(completed).toBe(true);
    expect(store.disposed).toBe(true);
    expect(h.emulator.requestsTo("closeSession")[0]?.headers["workbook-session-id"]).toBe(
      session.id,
    );
    await expect(store.open()).rejects.toMatchObject({ kind: "aborted" });
    await expect(store.request(async () => 1)).rejects.toMatchObject({ kind: "aborted" });
  });

  it("never throws out of dispose when closeSession fails", async () => {
    h.emulator.fault("closeSession", {
      status: 500,
      innerCode: "internalServerErrorUncategorized",
    });
    const store = h.store();
    await store.open();

    await expect(store.dispose()).resolves.toBeUndefined();
  });

  it("accepts a store built with a plain Client", () => {
    expect(() => new SessionStore({ client: h.client, workbook: "/workbooks/abc" })).not.toThrow();
  });
});
