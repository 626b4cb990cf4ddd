import {
  type AttemptFailedEvent,
  type PeerChannel,
  SessionStore,
  type SessionStoreOptions,
} from "graph-workbook-session";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  eventsOf,
  recordEvents,
  runTimersUntil,
  settleIo,
  until,
  useHarness,
  useVirtualTime,
  WORKBOOK,
} from "./support/harness";
import { fromPeer, memoryPeers, PEER_KEY, peerFailure } from "./support/memory-peers";
import { seededRandom } from "./support/seeded-random";

/*
 * Stores of one workbook in several tabs tell each other how createSession
 * went, so that a group meets an outage like one store: one of them tries
 * while Graph fails, the others count its failure as theirs, and all try again
 * at once when one gets a session.
 */

const h = useHarness();
beforeEach(useVirtualTime);

const TABS = 8;
const OUTAGE = 10_000;

/** Graph answers createSession with 503 (after `answerAfter` ms) for `ms` from now, then accepts. */
function outageFor(ms: number, answerAfter = 0): number {
  const start = Date.now();
  h.emulator.fault("createSession", {
    status: 503,
    delayMs: answerAfter,
    times: Number.POSITIVE_INFINITY,
    match: (request) => request.time < start + ms,
  });
  return start;
}

/** Opens `count` stores at once; returns each one's time to active (Infinity: it gave up). */
async function openGroup(count: number, options: (tab: number) => Partial<SessionStoreOptions>) {
  const start = Date.now();
  const times: number[] = new Array(count).fill(Number.POSITIVE_INFINITY);
  const errors: unknown[] = [];
  let settled = 0;
  const stores = Array.from({ length: count }, (_, tab) =>
    h.store({ keepAlive: false, random: seededRandom(100 + tab), ...options(tab) }),
  );
  stores.forEach((store, tab) => {
    store.open().then(
      () => {
        times[tab] = Date.now() - start;
        settled += 1;
      },
      (error: unknown) => {
        errors.push(error);
        settled += 1;
      },
    );
  });
  await runTimersUntil(() => settled === count);
  return { stores, times, errors };
}

const creations = () => h.emulator.requestsTo("createSession");

describe("stores that share a channel", () => {
  it("send one attempt per base delay while Graph fails, then all get a session at once", async () => {
    const start = outageFor(OUTAGE);
    const peers = memoryPeers();

    const { times } = await openGroup(TABS, () => ({ peers: peers.channel() }));

    const sent = creations().map((request) => request.time - start);
    const firstRound = sent.filter((time) => time === 0);
    const probes = sent.filter((time) => time > 0 && time < OUTAGE);
    expect(firstRound).toHaveLength(TABS);
    // One store tries again at most once per base delay (1000 ms) while the others wait.
    expect(probes.length).toBeLessThanOrEqual(OUTAGE / 1000);
    for (let index = 1; index < probes.length; index += 1) {
      expect((probes[index] ?? 0) - (probes[index - 1] ?? 0)).toBeGreaterThanOrEqual(1000);
    }
    // After the outage: one success, then one creation per other store, within a base delay.
    expect(sent.filter((time) => time >= OUTAGE)).toHaveLength(TABS);
    expect(Math.max(...times)).toBeLessThan(Math.min(...sent.filter((t) => t >= OUTAGE)) + 1000);
  });

  it("send far fewer createSession requests than the same stores alone", async () => {
    outageFor(OUTAGE);
    await openGroup(TABS, () => ({ peers: false }));
    const alone = creations().length;
    h.emulator.clearRequests();

    outageFor(OUTAGE);
    const peers = memoryPeers();
    await openGroup(TABS, () => ({ peers: peers.channel() }));
    const together = creations().length;

    expect(alone).toBeGreaterThanOrEqual(TABS * 4);
    expect(together).toBeLessThan(alone / 1.5);
  });

  it("take turns, and get sessions soon after Graph recovers, when Graph takes 500 ms to answer", async () => {
    const herd = async (peers: boolean) => {
      h.emulator.clearRequests();
      const start = outageFor(OUTAGE, 500);
      const hub = memoryPeers();
      const { times } = await openGroup(20, () => ({ peers: peers ? hub.channel() : false }));
      const sent = creations().map((request) => request.time - start);
      h.emulator.clearFaults();
      const sorted = [...times].sort((a, b) => a - b);
      return {
        retriesInOutage: sent.filter((time) => time > 0 && time < OUTAGE).length,
        p95: (sorted[Math.ceil(sorted.length * 0.95) - 1] ?? Number.POSITIVE_INFINITY) - OUTAGE,
      };
    };

    const together = await herd(true);
    const alone = await herd(false);

    // An attempt on the wire stands for the others' while Graph fails, so one goes at a time.
    expect(together.retriesInOutage).toBeLessThanOrEqual(OUTAGE / 1000);
    expect(alone.retriesInOutage).toBeGreaterThan(40);
    // A 503 of an attempt sent before another store got a session does not hold anyone back.
    expect(together.p95).toBeLessThan(2500);
    expect(together.p95).toBeLessThan(alone.p95);
  });

  it("report an attempt they did not send as failed like the one it stands for, and say why", async () => {
    outageFor(OUTAGE);
    const peers = memoryPeers();
    const first = h.store({ keepAlive: false, peers: peers.channel() });
    const second = h.store({ keepAlive: false, peers: peers.channel() });
    const events = recordEvents(second);

    void first.open().catch(() => undefined);
    await runTimersUntil(() => creations().length === 1);
    const sentBefore = creations().length;
    void second.open().catch(() => undefined);
    await settleIo();

    expect(creations()).toHaveLength(sentBefore);
    const [failed] = eventsOf(events, "attempt-failed") as AttemptFailedEvent[];
    expect(failed?.error).toMatchObject({
      kind: "transient",
      operation: "createSession",
      status: 503,
      code: "peerFailed",
      retryable: true,
    });
    expect(failed?.error.message).toMatch(/another store of this workbook/);
    expect(second.getState()).toMatchObject({
      status: "creating",
      attempt: 2,
      lastError: { code: "peerFailed" },
    });
  });

  it("still give up after their retries when Graph keeps failing", async () => {
    outageFor(Number.POSITIVE_INFINITY);
    const peers = memoryPeers();

    const { times, errors } = await openGroup(TABS, () => ({ peers: peers.channel() }));

    expect(times.every((time) => time === Number.POSITIVE_INFINITY)).toBe(true);
    expect(errors).toHaveLength(TABS);
    for (const error of errors) expect(error).toMatchObject({ kind: "transient", attempts: 6 });
    // The first round, then about one attempt per second until the last store gives up (≤ 31 s).
    expect(creations().length).toBeLessThanOrEqual(TABS + 32);
  });

  it("stop waiting when one of them gets a session, however long their own wait", async () => {
    const start = outageFor(20_000);
    const peers = memoryPeers();

    const { times } = await openGroup(3, (tab) => ({
      peers: peers.channel(),
      retry: { retries: 8, baseDelay: 1000, maxDelay: 60_000 },
      random: () => (tab === 0 ? 0 : 0.99),
    }));

    const firstSuccess = Math.min(
      ...creations()
        .filter((r) => r.time >= start + 20_000)
        .map((r) => r.time),
    );
    for (const time of times) expect(start + time - firstSuccess).toBeLessThan(1000);
  });

  it("wait out a Retry-After that another store was given", async () => {
    h.emulator.fault("createSession", { status: 429, retryAfter: 10 });
    const peers = memoryPeers();
    const first = h.store({ keepAlive: false, peers: peers.channel() });
    const second = h.store({ keepAlive: false, peers: peers.channel() });

    const firstOpen = first.open();
    await runTimersUntil(() => creations().length === 1);
    const throttledAt = creations()[0]?.time ?? Number.NaN;
    const secondOpen = second.open();
    await runTimersUntil(
      () => second.getState().status === "active" && first.getState().status === "active",
    );
    await Promise.all([firstOpen, secondOpen]);

    const later = creations().slice(1);
    expect(later).toHaveLength(2);
    for (const request of later) expect(request.time).toBeGreaterThanOrEqual(throttledAt + 10_000);
  });
});

describe("what a store hears", () => {
  /** Opens the store; returns the times its createSession requests were sent, from now. */
  async function openAndWatch(store: SessionStore) {
    const start = Date.now();
    const opened = store.open();
    await runTimersUntil(() => store.getState().status !== "creating");
    await opened;
    return creations().map((request) => request.time - start);
  }

  it("ignores messages of other shapes, other workbooks and cooldowns longer than it accepts", async () => {
    const peers = memoryPeers();
    const store = h.store({ keepAlive: false, peers: peers.channel() });
    const otherWorkbook = "graph-workbook-session https://graph.microsoft.com/me/drive/items/OTHER";

    for (const data of [
      null,
      "create-failed",
      42,
      { ...peerFailure(), workbook: undefined },
      { ...peerFailure(), workbook: otherWorkbook },
      { ...peerFailure(), from: undefined },
      { ...peerFailure(), from: "x".repeat(65) },
      peerFailure({ kind: "fatal" }),
      peerFailure({ status: 42 }),
      peerFailure({ status: "503" }),
      peerFailure({ code: "<script>" }),
      peerFailure({ retryAfterMs: Number.NaN }),
      peerFailure({ retryAfterMs: -1 }),
      peerFailure({ retryAfterMs: 3_600_000 }),
      peerFailure({ triedAt: "now" }),
      JSON.parse(`{"__proto__": ${JSON.stringify(peerFailure())}}`),
      Object.defineProperty({}, "workbook", {
        get() {
          throw new Error("a getter that throws");
        },
      }),
    ]) {
      peers.deliver(data);
    }

    const events = recordEvents(store);
    expect(await openAndWatch(store)).toEqual([0]);
    expect(eventsOf(events, "attempt-failed")).toEqual([]);
  });

  it("takes a well-formed failure for its workbook into account", async () => {
    const peers = memoryPeers();
    const store = h.store({ keepAlive: false, peers: peers.channel() });
    peers.deliver(peerFailure());

    const sent = await openAndWatch(store);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeGreaterThan(0);
  });

  it("ignores a failure of an attempt sent before another store got a session", async () => {
    const peers = memoryPeers();
    const store = h.store({ keepAlive: false, peers: peers.channel() });
    const now = Date.now();
    peers.deliver(fromPeer("created", { at: now }));
    peers.deliver(peerFailure({ triedAt: now - 1 }));

    expect(await openAndWatch(store)).toEqual([0]);
  });

  it("waits for another store's attempt on the wire while Graph is failing, and sends once it succeeds", async () => {
    const peers = memoryPeers();
    const store = h.store({ keepAlive: false, peers: peers.channel() });
    peers.deliver(peerFailure({ triedAt: Date.now() - 5000 }));
    vi.advanceTimersByTime(1000);
    peers.deliver(fromPeer("create-trying", { from: "prober" }));

    const opened = store.open();
    await settleIo();
    vi.advanceTimersByTime(10_000);
    await settleIo();
    expect(creations()).toHaveLength(0);

    const woken = Date.now();
    peers.deliver(fromPeer("created", { from: "prober", at: woken }));
    await runTimersUntil(() => store.getState().status === "active");
    await opened;
    expect(creations()).toHaveLength(1);
    expect((creations()[0]?.time ?? 0) - woken).toBeLessThan(1000);
  });

  it("counts another store's attempt on the wire as its own when that attempt fails", async () => {
    const peers = memoryPeers();
    const store = h.store({ keepAlive: false, peers: peers.channel() });
    const events = recordEvents(store);
    peers.deliver(peerFailure({ triedAt: Date.now() - 5000 }));
    vi.advanceTimersByTime(1000);
    peers.deliver(fromPeer("create-trying", { from: "prober" }));

    const opened = store.open();
    await settleIo();
    peers.deliver(peerFailure({ from: "prober" }));
    await settleIo();

    expect(creations()).toHaveLength(0);
    expect(eventsOf(events, "attempt-failed").map((event) => event.error.code)).toEqual([
      "peerFailed",
    ]);
    await runTimersUntil(() => store.getState().status === "active");
    await opened;
  });

  it("stops waiting for an attempt on the wire after attemptTimeout, or when its store leaves", async () => {
    const peers = memoryPeers();
    const store = h.store({ keepAlive: false, peers: peers.channel(), attemptTimeout: 5000 });
    peers.deliver(peerFailure({ triedAt: Date.now() - 5000 }));
    vi.advanceTimersByTime(1000);
    peers.deliver(fromPeer("create-trying", { from: "gone" }));
    peers.deliver(fromPeer("create-trying", { from: "leaving" }));
    peers.deliver(fromPeer("left", { from: "leaving" }));

    const sent = await openAndWatch(store);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeGreaterThanOrEqual(4900);
    expect(sent[0]).toBeLessThanOrEqual(5000);
  });

  it("stops waiting for another store's attempt as soon as that store gives it up", async () => {
    const peers = memoryPeers();
    const waiting = h.store({ keepAlive: false, peers: peers.channel() });
    const givingUp = h.store({ keepAlive: false, peers: peers.channel() });
    peers.deliver(peerFailure({ triedAt: Date.now() - 5000 }));
    vi.advanceTimersByTime(1000);
    h.emulator.fault("createSession", { hang: true });

    const abandoned = givingUp.open().catch((error: unknown) => error);
    await until(() => creations().length === 1, "the other store's try is on the wire");
    const opened = waiting.open();
    await settleIo();
    expect(creations()).toHaveLength(1);

    const gaveUpAt = Date.now();
    await givingUp.close();
    await runTimersUntil(() => waiting.getState().status === "active");
    await opened;
    expect(await abandoned).toMatchObject({ code: "cancelled" });
    expect(creations()).toHaveLength(2);
    expect(creations()[1]?.time).toBe(gaveUpAt);
  });

  it("tells the others only of attempts that met Graph, and of a success after an outage", async () => {
    outageFor(1500);
    const peers = memoryPeers();
    const store = h.store({ keepAlive: false, peers: peers.channel() });
    peers.channel();

    const opened = store.open();
    await runTimersUntil(() => store.getState().status === "active");
    await opened;

    const types = peers.posted.map((message) => (message as { type: string }).type);
    expect(types).toEqual([
      "graph-workbook-session/create-failed",
      "graph-workbook-session/create-trying",
      "graph-workbook-session/create-failed",
      "graph-workbook-session/create-trying",
      "graph-workbook-session/created",
    ]);
    expect(peers.posted[0]).toEqual({
      type: "graph-workbook-session/create-failed",
      workbook: PEER_KEY,
      from: expect.any(String),
      triedAt: expect.any(Number),
      kind: "transient",
      status: 503,
      code: expect.any(String),
      retryAfterMs: null,
    });
    expect(JSON.stringify(peers.posted)).not.toMatch(/canary|Bearer|token|session-id/i);
  });

  it("tells only that its session opened, when it opens at the first try", async () => {
    const peers = memoryPeers();
    const store = h.store({ keepAlive: false, peers: peers.channel() });
    const opened = store.open();
    await runTimersUntil(() => store.getState().status === "active");
    await opened;
    expect(peers.posted.map((message) => (message as { type: string }).type)).toEqual([
      "graph-workbook-session/created",
    ]);
  });

  it("opens normally when the channel throws on every message", async () => {
    outageFor(1500);
    const broken: PeerChannel = {
      postMessage: () => {
        throw new Error("closed");
      },
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
    };
    const store = h.store({ keepAlive: false, peers: broken });
    const opened = store.open();
    await runTimersUntil(() => store.getState().status === "active");
    await expect(opened).resolves.toMatchObject({ id: expect.any(String) });
  });

  it("is disposed, cancelling open(), even when the channel throws on letting go", async () => {
    h.emulator.fault("createSession", { hang: true });
    const channel: PeerChannel = {
      postMessage: () => undefined,
      addEventListener: () => undefined,
      removeEventListener: () => {
        throw new Error("channel already torn down");
      },
    };
    const store = h.store({ keepAlive: false, peers: channel });
    const opened = store.open().catch((error: unknown) => error);
    await settleIo();

    await store.dispose();
    expect(store.getState().status).toBe("idle");
    expect(await opened).toMatchObject({ kind: "aborted", code: "cancelled" });
  });

  it("refuses a channel that throws when listened to, naming the option", () => {
    const channel: PeerChannel = {
      postMessage: () => undefined,
      addEventListener: () => {
        throw new Error("no listeners here");
      },
      removeEventListener: () => undefined,
    };
    expect(() => h.store({ peers: channel })).toThrow(/^peers could not be listened to/);
  });

  it("stops listening when disposed", async () => {
    const peers = memoryPeers();
    const store = h.store({ keepAlive: false, peers: peers.channel() });
    expect(peers.listenerCount()).toBe(1);
    await store.dispose();
    expect(peers.listenerCount()).toBe(0);
  });

  it("works over Node's BroadcastChannel", async () => {
    const start = outageFor(5000);
    const name = `peers test ${Math.random()}`;
    const channels = [
      new BroadcastChannel(name),
      new BroadcastChannel(name),
      new BroadcastChannel(name),
    ];
    try {
      const { times } = await openGroup(3, (tab) => ({ peers: channels[tab] as PeerChannel }));
      expect(times.every(Number.isFinite)).toBe(true);
      const probes = creations().filter((r) => r.time > start && r.time < start + 5000);
      expect(probes.length).toBeLessThanOrEqual(5);
    } finally {
      for (const channel of channels) channel.close();
    }
  });
});

describe("the default channel", () => {
  class FakeBroadcastChannel {
    static made: FakeBroadcastChannel[] = [];
    closed = false;
    constructor(readonly name: string) {
      FakeBroadcastChannel.made.push(this);
    }
    postMessage() {}
    addEventListener() {}
    removeEventListener() {}
    close() {
      this.closed = true;
    }
  }

  afterEach(() => {
    vi.unstubAllGlobals();
    FakeBroadcastChannel.made = [];
  });

  const pageDocument = {
    visibilityState: "visible",
    addEventListener() {},
    removeEventListener() {},
  };

  /**
   * Runs `make` as in a browser page: a window with a document and a
   * BroadcastChannel, and no Node `process`.
   */
  function inBrowserPage<T>(make: () => T): T {
    vi.stubGlobal("BroadcastChannel", FakeBroadcastChannel);
    vi.stubGlobal("document", pageDocument);
    vi.stubGlobal("addEventListener", () => undefined);
    vi.stubGlobal("removeEventListener", () => undefined);
    const nodeProcess = globalThis.process;
    Object.defineProperty(globalThis, "process", { value: undefined, configurable: true });
    try {
      return make();
    } finally {
      Object.defineProperty(globalThis, "process", { value: nodeProcess, configurable: true });
    }
  }

  it("is a BroadcastChannel per Graph host and workbook in a browser page, closed on dispose", async () => {
    const store = inBrowserPage(
      () =>
        new SessionStore({ client: h.client, workbook: WORKBOOK, environment: quietEnvironment }),
    );
    expect(FakeBroadcastChannel.made.map((channel) => channel.name)).toEqual([PEER_KEY]);
    await store.dispose();
    expect(FakeBroadcastChannel.made[0]?.closed).toBe(true);
  });

  it("is none in a DOM emulated under Node (jsdom, happy-dom), whose channels reach other test files", async () => {
    vi.stubGlobal("BroadcastChannel", FakeBroadcastChannel);
    vi.stubGlobal("document", pageDocument);
    vi.stubGlobal("addEventListener", () => undefined);
    vi.stubGlobal("removeEventListener", () => undefined);
    const store = new SessionStore({
      client: h.client,
      workbook: WORKBOOK,
      environment: quietEnvironment,
    });
    expect(FakeBroadcastChannel.made).toEqual([]);
    await store.dispose();
  });

  it("is none outside a page, or with peers: false", async () => {
    vi.stubGlobal("BroadcastChannel", FakeBroadcastChannel);
    const outside = new SessionStore({ client: h.client, workbook: WORKBOOK });
    vi.stubGlobal("document", pageDocument);
    const off = new SessionStore({
      client: h.client,
      workbook: WORKBOOK,
      peers: false,
      environment: quietEnvironment,
    });
    expect(FakeBroadcastChannel.made).toEqual([]);
    await Promise.all([outside.dispose(), off.dispose()]);
  });

  it("leaves a channel it was given open", async () => {
    const peers = memoryPeers();
    const channel = Object.assign(peers.channel(), { close: vi.fn() });
    const store = h.store({ peers: channel });
    await store.dispose();
    expect(channel.close).not.toHaveBeenCalled();
  });

  it("refuses one channel object for two stores of one workbook, which would never hear each other", async () => {
    const peers = memoryPeers();
    const channel = peers.channel();
    const first = h.store({ peers: channel });
    expect(() => h.store({ peers: channel })).toThrow(
      /^peers is already the channel of another store of this workbook/,
    );
    // Another workbook may share it, and the workbook's next store may have it once the first is gone.
    h.store({ peers: channel, workbook: "/me/drive/items/01OTHERWORKBOOK" });
    await first.dispose();
    expect(() => h.store({ peers: channel })).not.toThrow();
  });

  it("takes null for no channel, as false", () => {
    vi.stubGlobal("BroadcastChannel", FakeBroadcastChannel);
    h.store({ peers: null });
    expect(FakeBroadcastChannel.made).toEqual([]);
  });

  it("refuses something that is not a channel, naming the option", () => {
    expect(() => h.store({ peers: {} as PeerChannel })).toThrow(TypeError);
    expect(() => h.store({ peers: {} as PeerChannel })).toThrow(
      /^peers must be false, null, or have postMessage/,
    );
    expect(() => h.store({ peers: true as unknown as false })).toThrow(/peers/);
  });
});

const quietEnvironment = {
  isVisible: () => true,
  isOnline: () => true,
  watch: () => () => undefined,
};

describe("a tab opened after the outage was last reported", () => {
  it("wakes a tab waiting out a long backoff when it gets a session", async () => {
    const start = Date.now();
    // Graph fails createSession for 16 s, then recovers.
    h.emulator.fault("createSession", {
      status: 503,
      times: Number.POSITIVE_INFINITY,
      match: (request) => request.time < start + 16_000,
    });
    const peers = memoryPeers();
    const waiting = h.store({
      keepAlive: false,
      peers: peers.channel(),
      retry: { retries: 8, baseDelay: 1000, maxDelay: 60_000, jitter: "none" },
    });
    // Tries at 0, 1, 3, 7, 15 s (all 503), then waits 16 s: next try at 31 s.
    const waitingOpened = waiting.open();
    await runTimersUntil(() => h.emulator.requestsTo("createSession").length === 5);
    expect(Date.now() - start).toBe(15_000);

    // Graph has recovered; a new tab of the same workbook opens at 17 s.
    await runTimersUntil(() => Date.now() - start >= 17_000, 2_000);
    const newTab = h.store({ keepAlive: false, peers: peers.channel() });
    const newTabAt = Date.now();
    const newOpened = newTab.open();
    await runTimersUntil(() => newTab.getState().status === "active");
    await newOpened;

    await runTimersUntil(() => waiting.getState().status === "active");
    await waitingOpened;
    const activeAfter = Date.now() - newTabAt;
    // Stops waiting and tries within a base delay of the other tab's success.
    expect(activeAfter).toBeLessThan(1000);
  });
});
