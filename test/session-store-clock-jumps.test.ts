import { beforeEach, expect, it, vi } from "vitest";
import {
  driveUntilSettled,
  emulatorLog,
  listSheets,
  MINUTE,
  openSession,
  passTime,
  throttleOneCall,
  useHarness,
  useVirtualTime,
} from "./support/harness";

/*
 * The system clock set back, as NTP or a user may do. Graph's clock does not
 * follow the laptop's: the emulator keeps counting forward.
 */
let graphOffset = 0;
const h = useHarness({ now: () => Date.now() + graphOffset });

beforeEach(() => {
  graphOffset = 0;
  useVirtualTime();
});

const { refreshes, liveIds } = emulatorLog(h);

it("keeps refreshing an idle session after the wall clock is set back an hour", async () => {
  const store = h.store();
  const session = await openSession(store);
  await passTime(MINUTE);

  // The system clock is corrected backwards (NTP, user) by one hour; Graph's is not.
  vi.setSystemTime(Date.now() - 60 * MINUTE);
  graphOffset += 60 * MINUTE;

  await passTime(20 * MINUTE);

  // README: "an idle one costs one refresh per 4 minutes"; the session is kept.
  expect(refreshes().length).toBeGreaterThanOrEqual(4);
  expect(liveIds()).toContain(session.id);
});

it("counts a call as use after the wall clock is set back", async () => {
  const store = h.store();
  const session = await openSession(store);

  vi.setSystemTime(Date.now() - 60 * MINUTE);
  graphOffset += 60 * MINUTE;

  // A call now, then 10 idle minutes: a refresh is due 4 minutes after the call.
  const call = await driveUntilSettled(store.request(listSheets), 50);
  expect(call.error).toBeUndefined();
  await passTime(10 * MINUTE);

  expect(refreshes().length).toBeGreaterThanOrEqual(1);
  expect(liveIds()).toContain(session.id);
});

it("waits out a 2 s Retry-After, not an hour, when the wall clock is set back meanwhile", async () => {
  const store = h.store();
  await openSession(store);
  const { call } = await throttleOneCall(h, store, 2);

  // The system clock is corrected backwards by an hour during the 2 s pause.
  vi.setSystemTime(Date.now() - 60 * MINUTE);
  graphOffset += 60 * MINUTE;

  const outcome = await driveUntilSettled(call, 250);
  // README: the store waits "at least the Retry-After" and sends the call again.
  expect(outcome.value).toMatchObject({ value: [{ name: "Sheet1" }] });

  const later = await driveUntilSettled(store.request(listSheets), 250);
  expect(later.error).toBeUndefined();
});
