import { SessionStore } from "graph-workbook-session";
import {
  createEmulatorClient,
  startEmulator,
  type WorkbookEmulator,
} from "graph-workbook-session/testing";
import { count } from "../format";
import { VirtualTime } from "../support/virtual-time";
import { judge, type Row } from "../table";

const WORKBOOK = "/me/drive/items/01REQUESTS";
const HOUR = 3_600_000;
const CALLERS = 1_000;
const BUSY_INTERVAL = 30_000;
/** Default keep-alive: refresh after 4 minutes idle, so an idle hour needs 60 / 4 refreshes. */
const IDLE_REFRESH_BUDGET = HOUR / 240_000;
const NOTE =
  "Requests per outcome (virtual time, an in-process emulator on the same clock): " +
  `${count(CALLERS)} calls made before the session exists share one createSession and all ` +
  "succeed; a session idle for an hour is refreshed once per keep-alive period (4 min by " +
  "default) and kept; one used every 30 s for an hour is never refreshed.";

/** Requests per outcome, in virtual time against an in-process emulator on the same clock. */
export async function measureRequestsPerOutcome(): Promise<Row[]> {
  return [await concurrentCallers(), await idleHour(), await busyHour()];
}

/** 1,000 calls made before the session exists share one createSession. */
async function concurrentCallers(): Promise<Row> {
  const { run, emulator, store, finish } = await setUp();
  let settled = 0;
  let failed = 0;
  for (let caller = 0; caller < CALLERS; caller += 1) {
    store
      .request((ctx) => ctx.api("/worksheets").get(), { idempotent: true })
      .catch(() => {
        failed += 1;
      })
      .finally(() => {
        settled += 1;
      });
  }
  await run.runUntil(run.now() + HOUR, () => settled === CALLERS);
  const creates = emulator.requestsTo("createSession").length;
  await finish();

  const ok = creates === 1 && settled === CALLERS && failed === 0;
  return {
    measurement: `requests: ${count(CALLERS)} early callers`,
    figure: `${creates} createSession (${count(settled - failed)} calls done)`,
    target: "= 1",
    guard: "—",
    verdict: judge(ok),
    note: NOTE,
  };
}

/** An active session left idle for an hour is refreshed once per keep-alive period. */
async function idleHour(): Promise<Row> {
  const { run, emulator, store, finish } = await setUp();
  await openIn(run, store);
  await run.runFor(HOUR);
  const refreshes = emulator.requestsTo("refreshSession").length;
  const creates = emulator.requestsTo("createSession").length;
  const active = store.getState().status === "active";
  await finish();

  const ok = refreshes <= IDLE_REFRESH_BUDGET && active && creates === 1;
  return {
    measurement: "requests: idle hour",
    figure: `${refreshes} refreshSession (session ${active && creates === 1 ? "kept" : "lost"})`,
    target: `≤ ${IDLE_REFRESH_BUDGET}`,
    guard: "—",
    verdict: judge(ok),
    note: NOTE,
  };
}

/** A session used every 30 s for an hour is never refreshed. */
async function busyHour(): Promise<Row> {
  const { run, emulator, store, finish } = await setUp();
  await openIn(run, store);
  const calls = HOUR / BUSY_INTERVAL;
  let done = 0;
  for (let call = 1; call <= calls; call += 1) {
    run.scheduler.schedule(() => {
      void store
        .request((ctx) => ctx.api("/worksheets").get(), { idempotent: true })
        .then(() => {
          done += 1;
        });
    }, call * BUSY_INTERVAL);
  }
  await run.runFor(HOUR);
  const refreshes = emulator.requestsTo("refreshSession").length;
  await finish();

  return {
    measurement: "requests: busy hour",
    figure: `${refreshes} refreshSession (${done}/${calls} calls done)`,
    target: "= 0",
    guard: "—",
    verdict: judge(refreshes === 0 && done === calls),
    note: NOTE,
  };
}

interface Setup {
  readonly run: VirtualTime;
  readonly emulator: WorkbookEmulator;
  readonly store: SessionStore;
  finish(): Promise<void>;
}

/** A store with default options on a virtual clock, and an emulator reading the same clock. */
async function setUp(): Promise<Setup> {
  const run = new VirtualTime();
  const emulator = await startEmulator({ now: () => run.now() });
  const client = createEmulatorClient(emulator);
  const store = new SessionStore({ client, workbook: WORKBOOK, scheduler: run.scheduler });
  const finish = async () => {
    await store.dispose();
    await run.stop();
    await emulator.close();
  };
  return { run, emulator, store, finish };
}

async function openIn(run: VirtualTime, store: SessionStore): Promise<void> {
  let opened = false;
  void store.open().then(() => {
    opened = true;
  });
  await run.runUntil(run.now() + HOUR, () => opened);
}
