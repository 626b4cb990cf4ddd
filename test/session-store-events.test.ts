import type { SessionEvent, SessionStore } from "graph-workbook-session";
import { describe, expect, it, vi } from "vitest";
import {
  CANARY_TOKEN,
  driveUntilSettled,
  eventsOf,
  listSheets,
  openSession,
  recordEvents,
  recordStates,
  settleIo,
  statuses,
  useHarness,
  useVirtualTime,
} from "./support/harness";

const h = useHarness();

/** Each event as JSON, without the two fields allowed to hold a session id. */
function withoutSessionFields(event: SessionEvent): string {
  const {
    sessionId: _id,
    previousSessionId: _previous,
    ...rest
  } = event as SessionEvent & {
    sessionId?: string;
    previousSessionId?: string;
  };
  return JSON.stringify(rest);
}

/** Opens, retries a throttled call, loses and recreates the session, fails a call, and closes. */
async function runEveryPath(store: SessionStore, echoed: string) {
  h.emulator.fault("createSession", { status: 503, message: echoed });
  const first = (await driveUntilSettled(store.open(), 100)).value!;
  h.emulator.fault("worksheets", { status: 429, retryAfter: 1, message: echoed });
  await driveUntilSettled(store.request(listSheets), 100);
  h.emulator.fault("worksheets", {
    status: 404,
    code: "itemNotFound",
    innerCode: "invalidSessionReCreatable",
    message: echoed,
  });
  await driveUntilSettled(store.request(listSheets), 100);
  h.emulator.fault("worksheets", { status: 400, code: "badRequest", message: echoed });
  await driveUntilSettled(
    store.request(listSheets).catch(() => undefined),
    100,
  );
  await driveUntilSettled(store.dispose(), 100);
  return first;
}

describe("events of opening", () => {
  it("reports a createSession that fails once with 503 and then succeeds, in order", async () => {
    useVirtualTime();
    const store = h.store();
    const events = recordEvents(store);
    const start = Date.now();
    h.emulator.fault("createSession", { status: 503 });

    const session = (await driveUntilSettled(store.open(), 50)).value!;

    expect(events.map((event) => event.type)).toEqual([
      "create-requested",
      "attempt-failed",
      "retry-scheduled",
      "created",
    ]);
    const [requested, failed, retry, created] = events;
    // Under load the 503 may take a step or two of virtual time to arrive.
    const failedAt = failed?.at ?? Number.NaN;
    expect(failedAt - start).toBeGreaterThanOrEqual(0);
    expect(failedAt - start).toBeLessThan(1_000);
    expect(requested).toEqual({ type: "create-requested", at: start, reason: "open" });
    expect(failed).toMatchObject({
      type: "attempt-failed",
      operation: "createSession",
      attempt: 1,
      error: { kind: "transient", status: 503, operation: "createSession" },
    });
    // Equal jitter with random 0.5: half the 1 s base delay plus half of the other half.
    expect(retry).toEqual({
      type: "retry-scheduled",
      at: failedAt,
      operation: "createSession",
      attempt: 2,
      delay: 750,
      sendsAt: failedAt + 750,
    });
    expect(created).toEqual({
      type: "created",
      at: expect.any(Number),
      sessionId: session.id,
      persistChanges: true,
      resumed: false,
    });
    const [, second] = h.emulator.requestsTo("createSession");
    expect(second?.time).toBeGreaterThanOrEqual(failedAt + 500);
    expect(created!.at).toBeGreaterThanOrEqual(failedAt + 500);
  });

  it("reports a failed open with the error that ended it", async () => {
    useVirtualTime();
    const store = h.store({ retry: { retries: 0 } });
    const events = recordEvents(store);
    h.emulator.fault("createSession", { status: 400, code: "badRequest" });

    await driveUntilSettled(store.open(), 50);

    expect(events.map((event) => event.type)).toEqual([
      "create-requested",
      "attempt-failed",
      "failed",
    ]);
    expect(events[2]).toMatchObject({ error: { kind: "fatal", status: 400 } });
  });
});

describe("events of calls", () => {
  it("reports a throttled call and schedules it after the Retry-After", async () => {
    useVirtualTime();
    const store = h.store();
    await driveUntilSettled(store.open(), 50);
    const events = recordEvents(store);
    h.emulator.fault("worksheets", { status: 429, retryAfter: 3 });

    await driveUntilSettled(store.request(listSheets), 100);

    expect(events.map((event) => event.type)).toEqual(["attempt-failed", "retry-scheduled"]);
    const [failed, retry] = events;
    expect(failed).toMatchObject({
      operation: "request",
      attempt: 1,
      error: { kind: "throttled", status: 429, retryAfterMs: 3_000 },
    });
    expect(retry).toMatchObject({ type: "retry-scheduled", operation: "request", attempt: 2 });
    const scheduled = eventsOf(events, "retry-scheduled")[0]!;
    expect(scheduled.delay).toBeGreaterThanOrEqual(3_000);
    expect(scheduled.sendsAt).toBe(scheduled.at + scheduled.delay);
    const [throttled, resent] = h.emulator.requestsTo("worksheets");
    expect(resent!.time).toBeGreaterThanOrEqual(scheduled.sendsAt);
    expect(resent!.time - throttled!.time).toBeGreaterThanOrEqual(3_000);
  });

  it("reports a lost session as expired, then its replacement as recreated", async () => {
    const store = h.store();
    const first = await store.open();
    const events = recordEvents(store);
    h.emulator.expireSession(first.id);

    await store.request(listSheets);

    const second = eventsOf(events, "created")[0]!;
    expect(events.map((event) => event.type)).toEqual([
      "expired",
      "create-requested",
      "attempt-failed",
      "created",
      "recreated",
    ]);
    expect(events[0]).toMatchObject({
      sessionId: first.id,
      changesLost: false,
      error: { kind: "recreate-session" },
    });
    expect(events[1]).toMatchObject({ reason: "recreate" });
    expect(events[4]).toEqual({
      type: "recreated",
      at: expect.any(Number),
      sessionId: second.sessionId,
      previousSessionId: first.id,
      changesLost: false,
    });
  });
});

describe("events of closing", () => {
  it.each([
    ["with Graph's confirmation", null, true],
    ["with closed: false when Graph refuses the close", 500, false],
  ])("reports close() %s", async (_, refusal, closed) => {
    const store = h.store();
    const session = await store.open();
    const events = recordEvents(store);
    if (refusal !== null) h.emulator.fault("closeSession", { status: refusal });

    await store.close();

    expect(events).toEqual([
      { type: "closed", at: expect.any(Number), sessionId: session.id, reason: "close", closed },
    ]);
  });

  it("reports dispose() as closed, then disposed, then completes", async () => {
    const store = h.store();
    const session = await store.open();
    const events: SessionEvent[] = [];
    const complete = vi.fn(() => events.length);
    store.events$.subscribe({ next: (event) => events.push(event), complete });

    await store.dispose();
    await settleIo();

    expect(events.map((event) => event.type)).toEqual(["closed", "disposed"]);
    expect(events[0]).toMatchObject({ sessionId: session.id, reason: "dispose", closed: true });
    expect(complete).toHaveBeenCalledTimes(1);
    expect(complete).toHaveReturnedWith(2);
  });

  it("replays nothing to a subscriber that comes late", async () => {
    const store = h.store();
    await store.open();

    const events = recordEvents(store);

    expect(events).toEqual([]);
  });
});

describe("what events never hold", () => {
  it("keeps out a token Graph echoes after Bearer", async () => {
    useVirtualTime();
    const store = h.store();
    const events = recordEvents(store);

    await runEveryPath(store, `Authorization: Bearer ${CANARY_TOKEN} was refused`);

    expect(eventsOf(events, "attempt-failed").length).toBeGreaterThanOrEqual(4);
    for (const event of events) expect(JSON.stringify(event)).not.toContain(CANARY_TOKEN);
  });

  // Bug: server text is quoted into every WorkbookError's message and detail, and only
  // tokens written after "Bearer", JWT-shaped ones and `access_token=`-style pairs are
  // redacted. An opaque token echoed on its own (personal Microsoft account tokens are not
  // JWTs) reaches attempt-failed, expired and failed events as it is.
  it("keeps out a token Graph echoes on its own", async () => {
    useVirtualTime();
    const store = h.store();
    const events = recordEvents(store);

    await runEveryPath(store, `The token ${CANARY_TOKEN} is not valid here`);

    for (const event of events) expect(JSON.stringify(event)).not.toContain(CANARY_TOKEN);
  });

  it("holds session ids only in sessionId and previousSessionId", async () => {
    useVirtualTime();
    const store = h.store();
    const events = recordEvents(store);

    await runEveryPath(store, "The service is busy.");

    const creates = h.emulator.requestsTo("createSession").length;
    const sessionIds = new Set(
      events.flatMap((event) => ("sessionId" in event ? [event.sessionId] : [])),
    );
    expect(creates).toBe(3);
    expect(sessionIds.size).toBe(2);
    expect(eventsOf(events, "recreated")).toHaveLength(1);
    for (const event of events) {
      const text = withoutSessionFields(event);
      for (const id of sessionIds) expect(text).not.toContain(id);
    }
  });

  // Bug: when Graph names the session in its error message, the id is quoted into the
  // error's message and detail, and from there into the expired and attempt-failed
  // events, although events promise to hold session ids only in their id fields.
  it("keeps out a session id that Graph names in its error message", async () => {
    const store = h.store();
    const events = recordEvents(store);
    const session = await store.open();
    h.emulator.fault("worksheets", {
      status: 404,
      code: "itemNotFound",
      innerCode: "invalidSessionReCreatable",
      message: `Session ${session.id} was not found.`,
    });

    await store.request(listSheets);

    expect(eventsOf(events, "expired")).toHaveLength(1);
    for (const event of events) expect(withoutSessionFields(event)).not.toContain(session.id);
  });
});

/** Opens `store` again, once, the first time a state$ subscriber sees it failed. */
function reopenOnFailed(store: SessionStore): void {
  let reopened = false;
  store.state$.subscribe((state) => {
    if (state.status !== "failed" || reopened) return;
    reopened = true;
    store.open().catch(() => undefined);
  });
}

describe("a state$ subscriber that opens the store again when it sees failed", () => {
  it("gets the failed event before the create-requested event of its new opening", async () => {
    useVirtualTime();
    const store = h.store({ retry: { retries: 0 } });
    h.emulator.fault("createSession", { status: 500 });
    const events = recordEvents(store);
    reopenOnFailed(store);

    await driveUntilSettled(
      store.open().catch((error: unknown) => error),
      50,
    );
    await openSession(store);

    // The states went creating → failed → creating → active; the events tell the same story.
    expect(events.map((event) => event.type)).toEqual([
      "create-requested",
      "attempt-failed",
      "failed",
      "create-requested",
      "created",
    ]);
  });

  it("gets a failed event when a 401 drops the session, also if it opens the store again", async () => {
    useVirtualTime();
    const store = h.store();
    await openSession(store);
    const events = recordEvents(store);
    reopenOnFailed(store);
    h.emulator.fault("worksheets", { status: 401 });

    await driveUntilSettled(
      store.request(listSheets).catch((error: unknown) => error),
      50,
    );
    await openSession(store);

    // The state went active → failed → creating → active.
    const types = events.map((event) => event.type);
    expect(types).toContain("failed");
    expect(types.indexOf("failed")).toBeLessThan(types.indexOf("create-requested"));
  });
});

describe("an events$ subscriber that closes the store and opens it again on created", () => {
  it("sees the store idle right after close(), and open() brings a new session", async () => {
    useVirtualTime();
    const store = h.store();
    let firstId: string | undefined;
    let statusAfterClose: string | undefined;
    let reopened: Promise<{ id: string }> | undefined;
    store.events$.subscribe((event) => {
      if (event.type !== "created" || reopened) return;
      firstId = event.sessionId;
      void store.close();
      // close() returns to idle at once, also inside an event.
      statusAfterClose = store.getState().status;
      reopened = store.open();
    });

    await driveUntilSettled(
      store.open().catch(() => undefined),
      50,
    );
    const { value } = await driveUntilSettled(reopened!, 50);

    expect(statusAfterClose).toBe("idle");
    // A new session, not the one close() just closed, and the store is active with it.
    expect(value?.id).not.toBe(firstId);
    expect(store.getState()).toMatchObject({ status: "active", session: { id: value?.id } });
  });
});

describe("an events$ subscriber that acts while another events$ subscriber listens", () => {
  it("does not let the second subscriber hear the new create-requested before the created it follows", async () => {
    useVirtualTime();
    const store = h.store();
    let reopened = false;
    store.events$.subscribe((event) => {
      if (event.type !== "created" || reopened) return;
      reopened = true;
      void store.close();
      void store.open().catch(() => undefined);
    });
    const second: string[] = [];
    store.events$.subscribe((event) => second.push(event.type));

    await driveUntilSettled(
      store.open().catch(() => undefined),
      50,
    );
    await settleIo();

    // The first session's created, then the reopen's create-requested: as the states went
    // (creating → active → idle → creating), and as the first subscriber heard them.
    expect(second.slice(0, 3)).toEqual(["create-requested", "created", "create-requested"]);
  });
});

describe("an events$ subscriber that reopens the store on expired", () => {
  it("hears failed before the create-requested its open() made, as the states went", async () => {
    useVirtualTime();
    const store = h.store();
    await openSession(store);
    const states = recordStates(store);
    const heard: SessionEvent["type"][] = [];
    let reopening: Promise<unknown> | undefined;
    store.events$.subscribe((event) => {
      heard.push(event.type);
      if (event.type === "expired" && !reopening) reopening = store.open().catch((e) => e);
    });
    h.emulator.fault("worksheets", {
      status: 404,
      code: "itemNotFound",
      innerCode: "invalidSessionNotFound",
    });

    await driveUntilSettled(
      store.request(listSheets).catch((e) => e),
      50,
    );
    await settleIo();

    expect(statuses(states).slice(0, 3)).toEqual(["active", "failed", "creating"]);
    // The store went failed, then creating: the events say the same.
    expect(heard.slice(0, 3)).toEqual(["expired", "failed", "create-requested"]);
  });
});
