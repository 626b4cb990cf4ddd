import { SessionRegistry, SessionStore, type WorkbookError } from "graph-workbook-session";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runTimersUntil, settleIo, useHarness, useVirtualTime, WORKBOOK } from "./support/harness";
import { fromPeer, memoryPeers, peerFailure } from "./support/memory-peers";

/*
 * The stores of a workbook trust each other's messages only so far: a time from
 * another store is never taken as later than now, an attempt a store told of is
 * always followed by its outcome or by word that it stopped, and a channel is
 * let go of whatever happens to the store that held it.
 */

const h = useHarness();
beforeEach(useVirtualTime);

const creations = () => h.emulator.requestsTo("createSession");
const typesPosted = (posted: readonly unknown[]) =>
  posted.map((message) => (message as { type: string }).type);

describe.each([
  ["NaN", () => Number.NaN],
  ["Infinity", () => Number.POSITIVE_INFINITY],
  ["a day ahead", () => Date.now() + 86_400_000],
])("a created message whose time is %s", (_name, at) => {
  it("leaves the store hearing later failures", async () => {
    const peers = memoryPeers();
    const store = h.store({ keepAlive: false, peers: peers.channel() });
    peers.deliver(fromPeer("created", { at: at() }));
    vi.advanceTimersByTime(5000);
    peers.deliver(peerFailure());

    const start = Date.now();
    const opened = store.open();
    await runTimersUntil(() => store.getState().status === "active");
    await opened;
    expect((creations()[0]?.time ?? start) - start).toBeGreaterThan(0);
  });

  it("is not passed on in the store's own created message", async () => {
    const peers = memoryPeers();
    const store = h.store({ keepAlive: false, peers: peers.channel() });
    peers.channel();
    peers.deliver(fromPeer("created", { at: at() }));
    vi.advanceTimersByTime(5000);
    peers.deliver(peerFailure());
    vi.advanceTimersByTime(1000);
    h.emulator.fault("createSession", { status: 503 });

    const opened = store.open();
    await runTimersUntil(() => store.getState().status === "active");
    await opened;
    const created = peers.posted.filter(
      (message) => (message as { type: string }).type === "graph-workbook-session/created",
    );
    expect(created).toHaveLength(1);
    expect((created[0] as { at: number }).at).toBe(Date.now());
  });

  it("leaves a store's backoff as it is alone, so it outlasts an 8 s outage", async () => {
    const start = Date.now();
    h.emulator.fault("createSession", {
      status: 503,
      times: Number.POSITIVE_INFINITY,
      match: (request) => request.time < start + 8000,
    });
    const peers = memoryPeers();
    const store = h.store({ keepAlive: false, peers: peers.channel() });
    peers.deliver(fromPeer("created", { at: at() }));

    const opened = store.open().then(
      () => "active",
      () => "gave up",
    );
    await runTimersUntil(() => store.getState().status !== "creating");
    expect(await opened).toBe("active");
  });
});

describe("an attempt a store told of while Graph failed", () => {
  it("is followed by its success even when another store's success came first", async () => {
    const peers = memoryPeers();
    const early = h.store({ keepAlive: false, peers: peers.channel() });
    const later = h.store({ keepAlive: false, peers: peers.channel() });
    peers.deliver(peerFailure({ from: "other" }));
    vi.advanceTimersByTime(1000);
    h.emulator.fault("createSession", { delayMs: 2000 });

    const earlyOpened = early.open();
    await settleIo();
    expect(typesPosted(peers.posted)).toEqual(["graph-workbook-session/create-trying"]);
    peers.deliver(fromPeer("created", { from: "other", at: Date.now() }));
    await runTimersUntil(() => early.getState().status === "active");
    await earlyOpened;
    expect(typesPosted(peers.posted)).toEqual([
      "graph-workbook-session/create-trying",
      "graph-workbook-session/created",
    ]);

    // A later blip: once its window has passed, the other store sends at once.
    vi.advanceTimersByTime(3000);
    peers.deliver(peerFailure({ from: "other" }));
    vi.advanceTimersByTime(1000);
    const asked = Date.now();
    const laterOpened = later.open();
    await runTimersUntil(() => later.getState().status === "active");
    await laterOpened;
    expect(creations().at(-1)?.time).toBe(asked);
  });
});

describe("stores waiting on another store's attempt", () => {
  it("try again spread over the base delay when it succeeds, not all at once", async () => {
    const peers = memoryPeers();
    const stores = [0.1, 0.9].map((draw) =>
      h.store({ keepAlive: false, peers: peers.channel(), random: () => draw }),
    );
    peers.deliver(peerFailure({ triedAt: Date.now() - 5000 }));
    vi.advanceTimersByTime(1000);
    peers.deliver(fromPeer("create-trying", { from: "prober" }));

    const opened = stores.map((store) => store.open());
    await settleIo();
    const succeededAt = Date.now();
    peers.deliver(fromPeer("created", { from: "prober", at: succeededAt }));
    await runTimersUntil(() => stores.every((store) => store.getState().status === "active"));
    await Promise.all(opened);

    expect(creations().map((request) => request.time - succeededAt)).toEqual([100, 900]);
  });
});

describe("tries a store does not send", () => {
  it("back off like tries it sends, even after a success it heard long ago", async () => {
    const peers = memoryPeers();
    const store = h.store({ keepAlive: false, peers: peers.channel(), random: () => 0.1 });
    peers.deliver(fromPeer("created", { at: Date.now() }));
    vi.advanceTimersByTime(60_000);
    peers.deliver(peerFailure());

    const opened = store.open().then(
      () => "active",
      (error: { code?: string }) => `gave up: ${error.code}`,
    );
    await runTimersUntil(() => store.getState().status !== "creating");
    expect(await opened).toBe("active");
  });
});

describe("the claim on a channel", () => {
  const registries: SessionRegistry[] = [];
  afterEach(async () => {
    await Promise.all(registries.splice(0).map((registry) => registry.dispose()));
  });

  it("is let go first when a store is disposed, so a registry can lend the workbook again meanwhile", async () => {
    const peers = memoryPeers();
    const registry = new SessionRegistry({
      client: h.client,
      random: () => 0.5,
      gracePeriod: 0,
      peers: peers.channel(),
    });
    registries.push(registry);
    const lease = registry.acquire(WORKBOOK);
    const acquired: unknown[] = [];
    let releasing = false;
    lease.store.status$.subscribe((status) => {
      if (!releasing || status !== "idle") return;
      try {
        acquired.push(registry.acquire(WORKBOOK).store);
      } catch (error) {
        acquired.push(error);
      }
    });
    const opened = lease.store.open();
    await runTimersUntil(() => lease.store.getState().status === "active");
    await opened;

    releasing = true;
    lease.release();

    expect(acquired).toHaveLength(1);
    expect(acquired[0]).toBeInstanceOf(SessionStore);
  });

  it("is let go only once, so a store made while the last one is disposed keeps it", async () => {
    const peers = memoryPeers();
    const channel = peers.channel();
    const first = h.store({ keepAlive: false, peers: channel });
    const opened = first.open();
    await runTimersUntil(() => first.getState().status === "active");
    await opened;

    let next: SessionStore | null = null;
    first.status$.subscribe((status) => {
      if (first.disposed && status === "idle" && next === null) {
        next = h.store({ keepAlive: false, peers: channel });
      }
    });
    await first.dispose();

    expect(next).toBeInstanceOf(SessionStore);
    expect(() => h.store({ keepAlive: false, peers: channel })).toThrow(
      /^peers is already the channel of another store of this workbook/,
    );
  });

  it("is let go when the store's constructor fails after making it", () => {
    const peers = memoryPeers();
    const channel = peers.channel();
    const failingEnvironment = {
      isVisible: () => true,
      isOnline: () => true,
      watch: () => {
        throw new Error("no page events here");
      },
    };

    expect(() => h.store({ peers: channel, environment: failingEnvironment })).toThrow(
      /no page events/,
    );
    expect(peers.listenerCount()).toBe(0);
    expect(() => h.store({ peers: channel })).not.toThrow();
  });
});

describe("openTimeout while another tab's attempt is on the wire", () => {
  it("says that no attempt of this store was sent", async () => {
    const peers = memoryPeers();
    const store = h.store({ keepAlive: false, peers: peers.channel(), openTimeout: 3000 });
    // Graph is failing (another tab says so), and another tab's try is on the wire.
    peers.deliver(peerFailure({ triedAt: Date.now() - 5000 }));
    vi.advanceTimersByTime(1000);
    peers.deliver(fromPeer("create-trying", { from: "prober" }));

    const opened = store.open().then(
      () => null,
      (error: unknown) => error as WorkbookError,
    );
    await settleIo();
    await runTimersUntil(() => store.getState().status !== "creating");
    const error = await opened;

    expect(h.emulator.requestsTo("createSession")).toHaveLength(0);
    expect(error).toMatchObject({ code: "openTimeout" });
    expect(error?.message).toContain("No attempt had been sent yet");
    expect(error?.message).not.toContain("still waiting for Graph");
  });
});
