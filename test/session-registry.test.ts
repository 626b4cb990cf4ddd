import {
  parseWorkbookAddress,
  SessionRegistry,
  type SessionRegistryOptions,
  SessionStore,
  type SessionStoreOptions,
} from "graph-workbook-session";
import { VirtualTimeScheduler } from "rxjs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { until, useHarness, useVirtualTime, WORKBOOK } from "./support/harness";

const h = useHarness();

const OTHER_WORKBOOK = "/me/drive/items/01OTHERWORKBOOK";

const registries: SessionRegistry[] = [];

/* Registered after the harness, so it runs before the emulator is closed. */
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(registries.splice(0).map((registry) => registry.dispose()));
});

function newRegistry(options: Partial<SessionRegistryOptions> = {}): SessionRegistry {
  const made = new SessionRegistry({ client: h.client, random: () => 0.5, ...options });
  registries.push(made);
  return made;
}

const createRequests = () => h.emulator.requestsTo("createSession");
const closeRequests = () => h.emulator.requestsTo("closeSession");

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected the action to throw");
}

describe("sharing stores", () => {
  it("lends one store, and one Graph session, to every user of a workbook", async () => {
    const registry = newRegistry();

    const leases = [
      registry.acquire(WORKBOOK),
      registry.acquire("me/drive/items/01TESTWORKBOOK/workbook/"),
      registry.acquire("/ME/Drive/Items/01TESTWORKBOOK"),
    ];
    const sessions = await Promise.all(leases.map((lease) => lease.store.open()));

    expect(new Set(leases.map((lease) => lease.store)).size).toBe(1);
    expect(registry.size).toBe(1);
    expect(createRequests()).toHaveLength(1);
    expect(new Set(sessions.map((session) => session.id)).size).toBe(1);
    expect(h.emulator.sessions()).toHaveLength(1);
  });

  it("lends a store of its own to each workbook", async () => {
    const registry = newRegistry();

    const first = registry.acquire(WORKBOOK);
    const second = registry.acquire(OTHER_WORKBOOK);
    await Promise.all([first.store.open(), second.store.open()]);

    expect(first.store).not.toBe(second.store);
    expect(registry.size).toBe(2);
    expect(createRequests().map((request) => request.workbook)).toEqual(
      expect.arrayContaining(["item:01TESTWORKBOOK", "item:01OTHERWORKBOOK"]),
    );
  });

  it("makes each store from the shared options, the workbook as given, the overrides", async () => {
    const made: SessionStoreOptions[] = [];
    const registry = newRegistry({
      attemptTimeout: 7_000,
      createStore: (options) => {
        made.push(options);
        return new SessionStore(options);
      },
    });

    const lease = registry.acquire("me/drive/items/01TESTWORKBOOK", { persistChanges: false });
    await lease.store.open();

    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({
      client: h.client,
      attemptTimeout: 7_000,
      workbook: "me/drive/items/01TESTWORKBOOK",
      persistChanges: false,
    });
    expect(createRequests()[0]?.body).toEqual({ persistChanges: false });
  });

  it("refuses overrides that differ from those the shared store was made with", () => {
    const registry = newRegistry({ commitExplicitly: true });
    const scratch = registry.acquire(WORKBOOK, { persistChanges: false });

    expect(() => registry.acquire(WORKBOOK)).toThrow(/persistChanges: true.*persistChanges: false/);
    expect(() =>
      registry.acquire(WORKBOOK, { persistChanges: false, commitExplicitly: false }),
    ).toThrow(/commitExplicitly/);
    const same = registry.acquire(WORKBOOK, { persistChanges: false, commitExplicitly: true });
    expect(same.store).toBe(scratch.store);
  });

  it("treats asking for a default as not asking", () => {
    const registry = newRegistry();

    const plain = registry.acquire(WORKBOOK);
    const explicit = registry.acquire(WORKBOOK, { persistChanges: true });

    expect(explicit.store).toBe(plain.store);
  });
});

describe("letting go", () => {
  it("disposes the store, closing its session, a grace period after the last release", async () => {
    useVirtualTime();
    const registry = newRegistry({ gracePeriod: 5_000 });
    const lease = registry.acquire(WORKBOOK);
    const session = await lease.store.open();

    lease.release();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(lease.store.disposed).toBe(false);
    expect(registry.size).toBe(1);

    await vi.advanceTimersByTimeAsync(1);
    expect(lease.store.disposed).toBe(true);
    expect(registry.size).toBe(0);
    await until(() => closeRequests().length === 1, "the session was closed");
    expect(closeRequests()[0]?.sessionId).toBe(session.id);
  });

  it("keeps the store when the workbook is acquired again within the grace period", async () => {
    useVirtualTime();
    const registry = newRegistry({ gracePeriod: 5_000 });
    const first = registry.acquire(WORKBOOK);
    await first.store.open();

    first.release();
    await vi.advanceTimersByTimeAsync(4_000);
    const second = registry.acquire(WORKBOOK);
    await vi.advanceTimersByTimeAsync(10_000);

    expect(second.store).toBe(first.store);
    expect(second.store.disposed).toBe(false);
    expect(createRequests()).toHaveLength(1);
    expect(closeRequests()).toHaveLength(0);

    second.release();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(second.store.disposed).toBe(true);
  });

  it("makes a new store for an acquire after the grace period", async () => {
    useVirtualTime();
    const registry = newRegistry({ gracePeriod: 1_000 });
    const first = registry.acquire(WORKBOOK);

    first.release();
    await vi.advanceTimersByTimeAsync(1_000);
    const second = registry.acquire(WORKBOOK);

    expect(first.store.disposed).toBe(true);
    expect(second.store).not.toBe(first.store);
    expect(second.store.disposed).toBe(false);
  });

  it("counts only the first release of a lease", async () => {
    useVirtualTime();
    const registry = newRegistry({ gracePeriod: 1_000 });
    const first = registry.acquire(WORKBOOK);
    const second = registry.acquire(WORKBOOK);

    first.release();
    first.release();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(second.store.disposed).toBe(false);

    second.release();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(second.store.disposed).toBe(true);
  });

  it("disposes the store at once when the grace period is 0", () => {
    const lease = newRegistry({ gracePeriod: 0 }).acquire(WORKBOOK);

    lease.release();

    expect(lease.store.disposed).toBe(true);
  });

  it("times the grace period on the scheduler it is given", () => {
    const scheduler = new VirtualTimeScheduler();
    const registry = newRegistry({ scheduler, gracePeriod: 2_000 });
    const lease = registry.acquire(WORKBOOK);

    lease.release();
    expect(lease.store.disposed).toBe(false);
    scheduler.flush();

    expect(scheduler.now()).toBe(2_000);
    expect(lease.store.disposed).toBe(true);
    expect(registry.size).toBe(0);
  });

  it("lends a new store to a user who acquires while the old one is disposed", async () => {
    const registry = newRegistry({ gracePeriod: 0 });
    const lease = registry.acquire(WORKBOOK);
    await lease.store.open();
    const reacquired: SessionStore[] = [];
    let releasing = false;
    lease.store.status$.subscribe((status) => {
      if (releasing && status === "idle") reacquired.push(registry.acquire(WORKBOOK).store);
    });

    releasing = true;
    lease.release();

    expect(reacquired).toHaveLength(1);
    expect(reacquired[0]).not.toBe(lease.store);
    expect(reacquired[0]?.disposed).toBe(false);
  });

  it("replaces a store that one of its users disposed", async () => {
    const registry = newRegistry();
    const first = registry.acquire(WORKBOOK);

    await first.store.dispose();
    const second = registry.acquire(WORKBOOK);
    first.release();

    expect(second.store).not.toBe(first.store);
    expect(second.store.disposed).toBe(false);
  });
});

describe("disposing the registry", () => {
  it("disposes every store, held or in its grace period, and closes their sessions", async () => {
    const registry = newRegistry();
    const held = registry.acquire(WORKBOOK);
    const waiting = registry.acquire(OTHER_WORKBOOK);
    await Promise.all([held.store.open(), waiting.store.open()]);
    waiting.release();

    await registry.dispose();

    expect(held.store.disposed).toBe(true);
    expect(waiting.store.disposed).toBe(true);
    expect(registry.size).toBe(0);
    expect(closeRequests()).toHaveLength(2);
    expect(h.emulator.sessions()).toHaveLength(0);
  });

  it("refuses to lend afterwards, and takes a late release or second dispose calmly", async () => {
    const registry = newRegistry();
    const lease = registry.acquire(WORKBOOK);

    const disposal = registry.dispose();

    expect(registry.disposed).toBe(true);
    expect(() => registry.acquire(WORKBOOK)).toThrow(/has been disposed/);
    expect(() => lease.release()).not.toThrow();
    expect(registry.dispose()).toBe(disposal);
    await expect(disposal).resolves.toBeUndefined();
  });
});

describe("bad input", () => {
  it("throws what parseWorkbookAddress throws for a bad address, and makes no store", () => {
    const registry = newRegistry();

    for (const bad of ["not a workbook", "/me/drive/items/../x", 42]) {
      const expected = thrownBy(() => parseWorkbookAddress(bad, "workbook"));
      expect(() => registry.acquire(bad as string)).toThrow(expected as Error);
      expect(thrownBy(() => registry.acquire(bad as string))).toBeInstanceOf(
        (expected as Error).constructor,
      );
    }
    expect(registry.size).toBe(0);
  });

  it.each([
    [-1, RangeError],
    [Number.NaN, RangeError],
    [Number.POSITIVE_INFINITY, RangeError],
    ["5s", TypeError],
  ])("refuses gracePeriod %s with a %o naming it", (gracePeriod, kind) => {
    const make = () =>
      new SessionRegistry({ client: h.client, gracePeriod: gracePeriod as number });

    expect(make).toThrow(kind);
    expect(make).toThrow(/gracePeriod/);
  });

  it("refuses options that are not an object, and bad flags or hooks, at once", () => {
    const make = (options: unknown) => () => new SessionRegistry(options as SessionRegistryOptions);

    expect(make(null)).toThrow(TypeError);
    expect(make({ client: h.client, persistChanges: "no" })).toThrow(/persistChanges/);
    expect(make({ client: h.client, scheduler: {} })).toThrow(/scheduler/);
    expect(make({ client: h.client, createStore: "store" })).toThrow(/createStore/);
  });

  it("refuses bad overrides, naming them", () => {
    const registry = newRegistry();
    const acquire = (overrides: unknown) => () =>
      registry.acquire(WORKBOOK, overrides as { persistChanges: boolean });

    expect(acquire("scratch")).toThrow(TypeError);
    expect(acquire({ persistChanges: "no" })).toThrow(/overrides\.persistChanges/);
  });

  it("throws the store's own error when the shared options cannot make a store", () => {
    const registry = newRegistry({ client: {} as SessionRegistryOptions["client"] });

    expect(() => registry.acquire(WORKBOOK)).toThrow(TypeError);
    expect(() => registry.acquire(WORKBOOK)).toThrow(/client/);
    expect(registry.size).toBe(0);
  });
});
