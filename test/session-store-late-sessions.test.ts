import type { SessionStore } from "graph-workbook-session";
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  driveUntilSettled,
  emulatorLog,
  eventsOf,
  passTime,
  recordEvents,
  settleIo,
  until,
  useHarness,
  useVirtualTime,
} from "./support/harness";
import { fromPeer, memoryPeers, peerFailure } from "./support/memory-peers";

/*
 * A creation the app lets go of (close, dispose, openTimeout) still makes a
 * session on Graph's side. The store hands what is under way to its closer,
 * which waits for the session and closes it: reason "late".
 */

const h = useHarness();

beforeEach(useVirtualTime);

const { creations, closes, liveIds } = emulatorLog(h);
const polls = () => h.emulator.requestsTo("operation");
const infos = () => h.emulator.requestsTo("sessionInfo");
const answered = (route: "createSession") =>
  h.emulator.requestsTo(route).some((request) => request.answeredWith !== null);
const everyPollASecond = { initialInterval: 1_000, maxInterval: 1_000 };

/**
 * Opens a long-running creation and waits, a poll interval after its 202, until `ready`;
 * `opening` is the outcome of open() (its error, once it is let go of).
 */
async function openUntil(store: SessionStore, ready: () => boolean, what: string) {
  const opening = store.open().catch((error: unknown) => error);
  await until(() => answered("createSession"), "the 202 has arrived");
  await settleIo();
  await passTime(1_000, 500);
  await until(ready, what);
  return { opening };
}

describe("a long-running creation let go of while it is polled", () => {
  it("after close(), polls the operation again and closes the session it made", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 0 } });
    h.emulator.fault("operation", { delayMs: 5_000 });
    const store = h.store({ poll: everyPollASecond });
    const events = recordEvents(store);

    const { opening } = await openUntil(
      store,
      () => polls().length === 1,
      "the completing poll is sent",
    );

    await store.close();
    expect(await opening).toMatchObject({ kind: "aborted" });
    await passTime(60_000, 1_000);
    await settleIo();

    // The aborted poll was served all the same: the session exists, and is closed.
    expect(polls()).toHaveLength(2);
    expect(infos()).toHaveLength(1);
    expect(closes()).toHaveLength(1);
    expect(liveIds()).toEqual([]);
    expect(eventsOf(events, "closed")).toEqual([
      expect.objectContaining({ reason: "late", closed: true }),
    ]);
  });

  it("after dispose(), while the session resource is read, closes the session", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 0 } });
    h.emulator.fault("sessionInfo", { delayMs: 5_000 });
    const store = h.store({ poll: everyPollASecond });
    const events = recordEvents(store);

    const { opening } = await openUntil(
      store,
      () => infos().length === 1,
      "the session is being read",
    );
    expect(liveIds()).toHaveLength(1);

    await store.dispose();
    expect(await opening).toMatchObject({ kind: "aborted" });
    await passTime(60_000, 1_000);
    await settleIo();

    expect(liveIds()).toEqual([]);
    expect(events.slice(-2)).toEqual([
      expect.objectContaining({ type: "closed", reason: "late", closed: true }),
      expect.objectContaining({ type: "disposed" }),
    ]);
  });

  it("after openTimeout, closes the session the operation makes", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 0 } });
    h.emulator.fault("operation", { delayMs: 5_000 });
    const store = h.store({ openTimeout: 3_000, poll: everyPollASecond });

    const opening = store.open().catch((error: unknown) => error);
    await passTime(10_000, 500);
    expect(await opening).toMatchObject({ code: "openTimeout" });
    await passTime(60_000, 1_000);
    await settleIo();

    expect(closes()).toHaveLength(1);
    expect(liveIds()).toEqual([]);
  });

  it("after dispose(), follows a slow operation to its end, and opens nothing new", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 50 } });
    const store = h.store({ poll: everyPollASecond });
    let completed = false;
    store.events$.subscribe({ complete: () => (completed = true) });
    const opening = store.open().catch((error: unknown) => error);
    await passTime(3_500, 500);
    expect(polls()).toHaveLength(3);

    await store.dispose();
    expect(await opening).toMatchObject({ kind: "aborted" });
    expect(completed).toBe(false);
    await passTime(120_000, 1_000);
    await settleIo();

    expect(polls().length).toBeGreaterThan(50);
    expect(creations()).toHaveLength(1);
    expect(closes()).toHaveLength(1);
    expect(liveIds()).toEqual([]);
    expect(completed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stops following after openTimeout (longer than attemptTimeout), leaving no timer", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 1_000 } });
    const store = h.store({ openTimeout: 10_000, attemptTimeout: 5_000, poll: everyPollASecond });
    let completed = false;
    store.events$.subscribe({ complete: () => (completed = true) });
    const opening = store.open().catch((error: unknown) => error);
    await passTime(3_500, 500);

    await store.dispose();
    expect(await opening).toMatchObject({ kind: "aborted" });
    await passTime(10_000, 500);
    await settleIo();
    const pollsWhenGivenUp = polls().length;
    await passTime(60_000, 1_000);

    expect(polls()).toHaveLength(pollsWhenGivenUp);
    expect(pollsWhenGivenUp).toBeLessThan(20);
    expect(completed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("a createSession let go of on the wire", () => {
  it("whose answer is a 202: the operation is followed and its session closed", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 0 } });
    h.emulator.fault("createSession", { delayMs: 2_000 });
    const store = h.store({ poll: everyPollASecond });
    const events = recordEvents(store);

    const opening = store.open().catch((error: unknown) => error);
    await until(() => creations().length === 1, "the POST is on the wire");
    await store.close();
    expect(await opening).toMatchObject({ kind: "aborted" });
    await passTime(60_000, 1_000);
    await settleIo();

    expect(creations()[0]?.answeredWith).toBe(202);
    expect(polls().length).toBeGreaterThan(0);
    expect(liveIds()).toEqual([]);
    expect(eventsOf(events, "closed")).toEqual([
      expect.objectContaining({ reason: "late", closed: true }),
    ]);
  });

  it.each([
    ["openTimeout", { openTimeout: 2_000 }],
    ["close()", {}],
  ] as const)(
    "after %s, arriving while a Retry-After holds: closed once it has passed",
    async (how, options) => {
      h.emulator.fault("createSession", { delayMs: 5_000 }, { status: 429, retryAfter: 20 });
      const store = h.store({ attemptTimeout: 10_000, ...options });
      const events = recordEvents(store);

      const first = store.open().catch((error: unknown) => error);
      await until(() => creations().length === 1, "the first createSession is on the wire");
      if (how === "close()") await store.close();
      else await passTime(2_000, 500);
      expect(await first).toMatchObject({
        kind: how === "close()" ? "aborted" : expect.any(String),
      });

      // The app opens again; Graph answers this one 429 with Retry-After: 20 s.
      const second = store.open().catch((error: unknown) => error);
      await until(() => creations().length === 2, "the second createSession was sent");
      await settleIo();
      // Then the first createSession answers 201, during the cooldown.
      await passTime(60_000, 1_000);
      await second;
      await settleIo();

      const late = eventsOf(events, "closed").filter((event) => event.reason === "late");
      expect(late).toEqual([expect.objectContaining({ closed: true })]);
      const lateId = late[0]?.sessionId;
      expect(liveIds()).not.toContain(lateId);
      const closeSent = closes().find(
        (request) => request.headers["workbook-session-id"] === lateId,
      );
      expect(closeSent?.time).toBeGreaterThanOrEqual((creations()[1]?.time ?? 0) + 20_000);
    },
  );
});

describe("peers and an opening let go of", () => {
  const typesPosted = (posted: readonly unknown[]) =>
    posted.map((message) =>
      (message as { type: string }).type.replace("graph-workbook-session/", ""),
    );

  it("dispose() while waiting on another store's attempt: rejects once, leaves nothing behind", async () => {
    const peers = memoryPeers();
    const store = h.store({ keepAlive: false, peers: peers.channel() });
    let completed = false;
    store.events$.subscribe({ complete: () => (completed = true) });
    // An outage is known, and another store's attempt is on the wire.
    peers.deliver(peerFailure());
    vi.advanceTimersByTime(2_000);
    peers.deliver(fromPeer("create-trying", { from: "other" }));

    let settlements = 0;
    const opened = store.open().then(
      () => (settlements += 1),
      () => (settlements += 1),
    );
    await settleIo();
    expect(creations()).toHaveLength(0);

    await store.dispose();
    await opened;
    await settleIo();

    expect(settlements).toBe(1);
    expect(completed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(peers.listenerCount()).toBe(0);
  });

  it("close() while its told attempt is on the wire: the others hear it stopped, the late session is closed", async () => {
    const peers = memoryPeers();
    const store = h.store({ keepAlive: false, peers: peers.channel() });
    const events = recordEvents(store);
    peers.deliver(peerFailure());
    vi.advanceTimersByTime(2_000);
    h.emulator.fault("createSession", { delayMs: 3_000 });

    const opened = store.open().catch((error: unknown) => error);
    await until(() => creations().length === 1, "the POST is on the wire");
    await store.close();
    expect(await opened).toMatchObject({ kind: "aborted" });
    await passTime(5_000, 500);
    await until(() => eventsOf(events, "closed").length === 1, "the late session is closed");

    expect(typesPosted(peers.posted)).toEqual(["create-trying", "create-stopped"]);
    expect(eventsOf(events, "closed")[0]).toMatchObject({ reason: "late", closed: true });
    expect(liveIds()).toEqual([]);
  });
});

describe("a createSession that outlives its attempt", () => {
  it("is not aborted: the retry opens the session, and the late one is closed when it answers", async () => {
    h.emulator.fault("createSession", { delayMs: 45_000 });
    const store = h.store({ attemptTimeout: 10_000 });
    const events = recordEvents(store);

    const opening = store.open();
    await passTime(15_000, 500);
    const session = await opening;
    expect(creations()).toHaveLength(2);
    expect(liveIds()).toEqual([session.id]);

    await passTime(40_000, 1_000);
    await settleIo();

    expect(creations()[0]?.answeredWith).toBe(201);
    expect(liveIds()).toEqual([session.id]);
    expect(eventsOf(events, "closed")).toEqual([
      expect.objectContaining({ reason: "late", closed: true }),
    ]);
    expect(store.getState()).toMatchObject({ status: "active", session: { id: session.id } });
  });

  it("that never answers is given up after openTimeout, leaving no timer once disposed", async () => {
    h.emulator.fault("createSession", { hang: true });
    const store = h.store({ attemptTimeout: 10_000, openTimeout: 60_000 });
    let completed = false;
    store.events$.subscribe({ complete: () => (completed = true) });

    const opening = store.open();
    await passTime(15_000, 500);
    await opening;
    await store.dispose();
    await passTime(50_000, 1_000);
    expect(completed).toBe(false);

    await passTime(10_000, 1_000);
    await settleIo();
    expect(completed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("a long-running creation whose follow-up fails for good", () => {
  it("hands the operation to the closer, which closes the session it made", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 0 } });
    // The operation succeeds (the session exists); reading its resource fails for a while.
    h.emulator.fault("sessionInfo", { status: 503, times: 3 });
    const store = h.store({ poll: everyPollASecond, retry: { retries: 2 } });
    const events = recordEvents(store);

    const { error } = await driveUntilSettled(store.open(), 250);
    expect(error).toMatchObject({ operation: "getSessionInfo" });
    expect(liveIds()).toHaveLength(1);

    // The closer follows the operation again once Graph answers, and closes its session.
    await passTime(60_000, 1_000);
    await settleIo();
    expect(creations()).toHaveLength(1);
    expect(eventsOf(events, "closed")).toHaveLength(1);
    expect(liveIds()).toEqual([]);
  });
});

describe("a long-running creation let go of, then the store opens again", () => {
  it("closes the late session and keeps the new one; one close each, no timer left", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 3 } });
    const store = h.store({ poll: everyPollASecond, openTimeout: 30_000 });
    const events = recordEvents(store);

    const first = store.open().catch((error: unknown) => error);
    await until(() => creations().length === 1, "first POST");
    await settleIo();
    await passTime(1_500, 500);
    await store.close();
    expect(await first).toMatchObject({ kind: "aborted" });

    const second = await driveUntilSettled(store.open(), 250);
    expect(second.value).toBeDefined();
    await passTime(40_000, 1_000);
    await settleIo();

    const late = eventsOf(events, "closed").filter((event) => event.reason === "late");
    expect(late).toEqual([expect.objectContaining({ closed: true })]);
    expect(liveIds()).toEqual([second.value?.id]);
    expect(closes()).toHaveLength(1);
    expect(polls().length).toBeGreaterThan(0);

    await store.dispose();
    await passTime(5_000, 1_000);
    expect(liveIds()).toEqual([]);
    expect(eventsOf(events, "closed").map((event) => event.reason)).toEqual(["late", "dispose"]);
  });
});

describe("the closer's polls and Graph's cooldown", () => {
  it("sends no poll while a Retry-After from a poll holds, then closes the late session", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 4 } });
    const store = h.store({ poll: everyPollASecond, openTimeout: 60_000 });
    const events = recordEvents(store);

    const opening = store.open().catch((error: unknown) => error);
    await until(() => creations().length === 1, "POST");
    await settleIo();
    await passTime(1_500, 500);
    await store.close();
    await opening;
    h.emulator.fault("operation", { status: 429, retryAfter: 10 });
    await passTime(3_000, 250);
    const throttled = polls().find((request) => request.answeredWith === 429);
    expect(throttled).toBeDefined();
    await passTime(40_000, 250);
    await settleIo();

    const after = polls().filter((request) => request.seq > (throttled?.seq ?? 0));
    expect(after.length).toBeGreaterThan(0);
    for (const request of after) {
      expect(request.time).toBeGreaterThanOrEqual((throttled?.time ?? 0) + 10_000);
    }
    expect(eventsOf(events, "closed")).toEqual([
      expect.objectContaining({ reason: "late", closed: true }),
    ]);
    expect(liveIds()).toEqual([]);
  });

  it("after dispose(), a late poll held by a cooldown is given up with the follow, leaving no timer", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 1_000 } });
    const store = h.store({ poll: everyPollASecond, openTimeout: 20_000 });
    let completed = false;
    store.events$.subscribe({ complete: () => (completed = true) });

    const opening = store.open().catch((error: unknown) => error);
    await until(() => creations().length === 1, "POST");
    await settleIo();
    h.emulator.fault("operation", { status: 429, retryAfter: 50, times: Number.POSITIVE_INFINITY });
    await passTime(1_500, 250);
    await store.dispose();
    await opening;
    // Followed for the longer of openTimeout (20 s) and attemptTimeout (30 s).
    await passTime(35_000, 500);
    await settleIo();

    expect(completed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
