import type { Client } from "@microsoft/microsoft-graph-client";
import { type BackoffOptions, SessionStore } from "graph-workbook-session";
import { createEmulatorClient, startEmulator } from "graph-workbook-session/testing";
import { TARGETS } from "../budgets";
import { count, ratio, seconds } from "../format";
import { percentile, seededRandom } from "../support/stats";
import type { VirtualScheduler } from "../support/virtual-scheduler";
import { VirtualTime } from "../support/virtual-time";
import { judge, type Row } from "../table";

const TABS = 100;
const WORKBOOK = "/me/drive/items/01HERD";
/** The emulator answers createSession with 503 for this long, then accepts. */
const OUTAGE = 10_000;
/** Long enough for every policy to finish or give up (the store's open timeout is 3 minutes). */
const HORIZON = 600_000;
const SEED = 20_260_101;

/** The outcome of one herd: requests sent, and each tab's time to active (Infinity: never). */
export interface HerdOutcome {
  readonly creates: number;
  readonly timesToActive: readonly number[];
}

/**
 * How a tab opens the workbook: resolves once it has a session, rejects when it
 * gives up. `herdName` is unique to the herd, for a channel between its tabs.
 */
type OpenTab = (
  client: Client,
  scheduler: VirtualScheduler,
  tab: number,
  herdName: string,
) => Promise<unknown>;

/** Names each herd's channel apart, so that herds never hear each other. */
let herdsRun = 0;

/**
 * The thundering herd, in virtual time: 100 tabs open the same workbook while
 * the emulator (on the same clock) answers 503 for 10 s. The library with its
 * defaults, the Graph client's own RetryHandler as apps use it, and the
 * library with jitter off. Random sources are seeded so runs repeat.
 */
export async function measureThunderingHerd(): Promise<Row[]> {
  const ours = await herd(storeTab());
  const alone = await herd(storeTab({ peers: false }));
  const slowOurs = await herd(storeTab(), slowGraph);
  const slowAlone = await herd(storeTab({ peers: false }), slowGraph);
  const graph = await herd(graphClientTab);
  const unjittered = await herd(storeTab({ peers: false, retry: { jitter: "none" } }));
  const gaveUp = neverActive(ours);
  const p95Ours = p95(ours);

  return [
    requestsRow("herd: requests vs Graph retry", ours, graph),
    requestsRow("herd: requests vs no jitter", ours, unjittered),
    {
      measurement: "herd: p95 time to active",
      figure: `${seconds(p95Ours)} (${gaveUp}/${TABS} gave up)`,
      target: `≤ ${seconds(TARGETS.herdP95)}`,
      guard: "—",
      verdict: judge(p95Ours <= TARGETS.herdP95),
      note:
        `Herd: the time until each tab has a session, from the start of the ${seconds(OUTAGE)} ` +
        "outage (virtual time); a tab that gives up never gets one, and then counts as never " +
        "in the p95. For comparison, the Graph " +
        `client: ${describeTimes(graph)}; no jitter: ${describeTimes(unjittered)}; the ` +
        `library with each tab alone (no channel): ${count(alone.creates)} requests, ` +
        `${describeTimes(alone)}.`,
    },
    {
      measurement: "herd: Graph slow to answer",
      figure: `${count(slowOurs.creates)} vs ${count(slowAlone.creates)} alone; p95 ${seconds(p95(slowOurs))} vs ${seconds(p95(slowAlone))}`,
      target: "—",
      guard: "—",
      verdict: "info",
      note:
        "Herd, with Graph taking 0.5 to 2 s (seeded) to answer each createSession, as it does " +
        "when it opens a workbook: the library with its browser defaults against the same tabs " +
        "each alone (no channel), createSession requests and p95 time to active.",
    },
  ];
}

/** Graph's time to answer a createSession: seeded, 0.5 to 2 s; other requests at once. */
function slowGraph(): (url: string) => number {
  const random = seededRandom(SEED);
  return (url) => (url.endsWith("/createSession") ? 500 + Math.floor(random() * 1500) : 0);
}

/** Runs one herd and counts what it cost. */
export async function herd(
  openTab: OpenTab,
  answerTime?: () => (url: string) => number,
): Promise<HerdOutcome> {
  const run = new VirtualTime(answerTime?.());
  const start = run.now();
  const emulator = await startEmulator({ now: () => run.now() });
  emulator.fault("createSession", {
    status: 503,
    times: Number.POSITIVE_INFINITY,
    match: (request) => request.time < start + OUTAGE,
  });
  const client = createEmulatorClient(emulator);
  const restoreRandom = seedMathRandom(SEED);

  const timesToActive: number[] = new Array(TABS).fill(Number.POSITIVE_INFINITY);
  const herdName = `herd ${herdsRun++}`;
  let settled = 0;
  for (let tab = 0; tab < TABS; tab += 1) {
    openTab(client, run.scheduler, tab, herdName)
      .then(
        () => {
          timesToActive[tab] = run.now() - start;
        },
        () => undefined,
      )
      .finally(() => {
        settled += 1;
      });
  }
  await run.runUntil(start + HORIZON, () => settled === TABS);
  restoreRandom();

  const creates = emulator.requestsTo("createSession").length;
  await run.stop();
  await emulator.close();
  return { creates, timesToActive };
}

/** How a store tab differs from the library's browser defaults. */
interface TabChanges {
  readonly retry?: BackoffOptions;
  /** `false`: the tab hears no other tab. */
  readonly peers?: false;
}

/**
 * A tab running a `SessionStore` with the options it has by default in a
 * browser page, apart from `changes`. There its tabs share a BroadcastChannel
 * per workbook; Node has no page, so each store is given one explicitly.
 */
export function storeTab(changes: TabChanges = {}): OpenTab {
  return async (client, scheduler, tab, herdName) => {
    const channel = changes.peers === false ? null : new BroadcastChannel(herdName);
    const store = new SessionStore({
      client,
      workbook: WORKBOOK,
      scheduler,
      random: seededRandom(SEED + tab),
      keepAlive: false,
      peers: channel ?? false,
      ...(changes.retry ? { retry: changes.retry } : {}),
    });
    try {
      await store.open();
    } finally {
      await store.dispose().catch(() => undefined);
      channel?.close();
    }
  };
}

/**
 * A tab that sends createSession through the Graph client as apps do, its
 * RetryHandler left on with default options (3 retries, 3 s plus a growing
 * backoff). Only the handler's sleep is moved onto the virtual clock.
 */
const graphClientTab: OpenTab = async (client, scheduler) => {
  sleepOnVirtualClock(client, scheduler);
  await client
    .api(`${WORKBOOK}/workbook/createSession`)
    .header("Prefer", "respond-async")
    .post({ persistChanges: true });
};

/** Replaces the `sleep` of the client's RetryHandler (a `setTimeout`) with a virtual one. */
function sleepOnVirtualClock(client: Client, scheduler: VirtualScheduler): void {
  type Link = { nextMiddleware?: Link; sleep?: (seconds: number) => Promise<void> };
  let link = (client as unknown as { httpClient?: { middleware?: Link } }).httpClient?.middleware;
  while (link) {
    if (typeof link.sleep === "function") {
      link.sleep = (delaySeconds: number) => scheduler.sleep(delaySeconds * 1000);
      return;
    }
    link = link.nextMiddleware;
  }
  throw new Error("The client has no RetryHandler to put on the virtual clock.");
}

/** Seeds `Math.random` (used by the Graph client's RetryHandler); call the result to undo. */
function seedMathRandom(seed: number): () => void {
  const original = Math.random;
  Math.random = seededRandom(seed);
  return () => {
    Math.random = original;
  };
}

function p95(outcome: HerdOutcome): number {
  return percentile(outcome.timesToActive, 95);
}

function neverActive(outcome: HerdOutcome): number {
  return outcome.timesToActive.filter((time) => !Number.isFinite(time)).length;
}

/** The p95, e.g. `16.9 s`, and how many tabs never became active. */
export function describeTimes(outcome: HerdOutcome): string {
  return `${seconds(p95(outcome))}, ${neverActive(outcome)}/${TABS} never active`;
}

function requestsRow(measurement: string, ours: HerdOutcome, other: HerdOutcome): Row {
  const share = ours.creates / other.creates;
  return {
    measurement,
    figure: `${ratio(share)} (${count(ours.creates)} vs ${count(other.creates)})`,
    target: `< ${ratio(TARGETS.herdRequests)}`,
    guard: "—",
    verdict: judge(share < TARGETS.herdRequests),
    note:
      `Herd: ${TABS} tabs open the same workbook while Graph answers createSession with 503 ` +
      `for ${seconds(OUTAGE)} (virtual time, seeded randomness); createSession requests sent ` +
      "by the library with its browser defaults (tabs share createSession outcomes over a " +
      "BroadcastChannel), against the Graph client's own RetryHandler as apps use it (default " +
      "options) and against un-jittered exponential backoff (the library with jitter off, each " +
      "tab alone).",
  };
}
