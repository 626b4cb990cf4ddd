import { createTestEnvironment } from "graph-workbook-session/testing";
import { beforeEach, expect, it } from "vitest";
import {
  driveUntilSettled,
  emulatorLog,
  openSession,
  settleIo,
  useHarness,
  useVirtualTime,
} from "./support/harness";

const h = useHarness();
beforeEach(useVirtualTime);
const { liveIds, closes } = emulatorLog(h);

/** A sessionStorage that fills up: reads work, writes throw once `full` is set (quota). */
function fillingStorage() {
  const items = new Map<string, string>();
  const storage = {
    full: false,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => {
      if (storage.full) throw new DOMException("quota exceeded", "QuotaExceededError");
      items.set(key, value);
    },
    removeItem: (key: string) => {
      items.delete(key);
    },
  };
  return storage;
}

it("takes its own session back from the back-forward cache when the hand-over could not be written", async () => {
  const storage = fillingStorage();
  const environment = createTestEnvironment();
  const store = h.store({ storage, environment });
  const session = await openSession(store);

  storage.full = true; // the app filled sessionStorage meanwhile
  environment.hide();
  environment.leavePage(); // the hand-over write throws: nobody can take the session up
  environment.show(); // back from the back-forward cache
  await settleIo();

  // README: "A page restored from the back-forward cache takes its session back,
  // unless another page took it up meanwhile". Nobody did.
  expect(store.getState()).toMatchObject({ status: "active", session: { id: session.id } });
});

it("closes its session on dispose when the hand-over could not be written", async () => {
  const storage = fillingStorage();
  const environment = createTestEnvironment();
  const store = h.store({ storage, environment });
  const session = await openSession(store);

  storage.full = true;
  environment.leavePage();
  await driveUntilSettled(store.dispose(), 50);

  // README: the page that handed it over closes it when nobody took it up.
  expect(closes().map((close) => close.sessionId)).toEqual([session.id]);
  expect(liveIds()).not.toContain(session.id);
});

it("lets only one of two stores take up a handed-over session when the claim cannot be written", async () => {
  const storage = fillingStorage();
  const earlier = createTestEnvironment();
  const session = await openSession(h.store({ storage, environment: earlier }));
  earlier.leavePage(); // handed over: written while storage had room

  storage.full = true; // the reloaded page filled sessionStorage before opening its stores
  const a = await openSession(h.store({ storage }));
  const b = await openSession(h.store({ storage }));

  // README: "Only a handed-over session is taken up, and only once".
  expect([a.id, b.id].filter((id) => id === session.id)).toHaveLength(1);
});
