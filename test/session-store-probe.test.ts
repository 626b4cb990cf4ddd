import { memoryStorage } from "graph-workbook-session";
import { beforeEach, expect, it } from "vitest";
import { MINUTE, openSession, passTime, recordEvents, eventsOf, until, useHarness, useVirtualTime } from "./support/harness";

const h = useHarness();
beforeEach(useVirtualTime);

it("probe: keep-alive on resumed session", async () => {
  const storage = memoryStorage();
  const a = await openSession(h.store({ storage, keepAlive: false }));
  await passTime(2 * MINUTE);
  const store = h.store({ storage });
  const resumedAt = Date.now();
  await openSession(store);
  await passTime(5 * MINUTE, 1000);
  const r = h.emulator.requestsTo("refreshSession");
  console.log(r.map((x) => [x.time - resumedAt, x.sessionId === a.id, x.answeredWith]));
});

it("probe: open right after close while late create on wire", async () => {
  h.emulator.fault("createSession", { delayMs: 5_000 });
  const store = h.store();
  const events = recordEvents(store);
  const first = store.open().catch((e: unknown) => e);
  await until(() => h.emulator.requestsTo("createSession").length === 1, "wire");
  await store.close();
  const second = store.open();
  await passTime(6_000, 1_000);
  const s = await second;
  await until(() => eventsOf(events, "closed").length === 1, "closed");
  console.log(await first, s, h.emulator.sessions().map((x) => x.id), eventsOf(events, "closed"));
  expect(h.emulator.sessions().map((x) => x.id)).toEqual([s.id]);
});
