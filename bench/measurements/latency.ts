import { RetryHandlerOptions } from "@microsoft/microsoft-graph-client";
import { SESSION_HEADER, SessionStore } from "graph-workbook-session";
import { createEmulatorClient } from "graph-workbook-session/testing";
import { GUARDS, TARGETS } from "../budgets";
import { ms, ratio } from "../format";
import type { RemoteEmulator } from "../support/remote-emulator";
import { median } from "../support/stats";
import { judge, type Row } from "../table";

const WORKBOOK = "/me/drive/items/01LATENCY";
const WARM_UP_PAIRS = 100;
const MEASURED_PAIRS = 400;

/**
 * Latency overhead, in real time over loopback: `store.open()` until the
 * session is active, against the bare Graph client's createSession POST with
 * the same client, headers and body, and the client's retry off as the store
 * has it. Pairs alternate their order; each session is closed, untimed. The
 * figure is the median of the pairs' ratios, which a machine's changing load
 * affects less than a ratio of two medians.
 */
export async function measureLatency(emulator: RemoteEmulator): Promise<Row[]> {
  const client = createEmulatorClient(emulator.url);
  const retriesOff = [new RetryHandlerOptions(0, 0)];
  const sessionPath = `${WORKBOOK}/workbook`;

  const viaStore = async () => {
    const store = new SessionStore({ client, workbook: WORKBOOK });
    const started = performance.now();
    await store.open();
    const elapsed = performance.now() - started;
    await store.dispose();
    return elapsed;
  };

  const bare = async () => {
    const started = performance.now();
    const session = (await client
      .api(`${sessionPath}/createSession`)
      .middlewareOptions(retriesOff)
      .header("Prefer", "respond-async")
      .post({ persistChanges: true })) as { id: string };
    const elapsed = performance.now() - started;
    await client
      .api(`${sessionPath}/closeSession`)
      .middlewareOptions(retriesOff)
      .header(SESSION_HEADER, session.id)
      .post({});
    return elapsed;
  };

  const storeTimes: number[] = [];
  const bareTimes: number[] = [];
  for (let pair = 0; pair < WARM_UP_PAIRS + MEASURED_PAIRS; pair += 1) {
    const storeFirst = pair % 2 === 0;
    const first = await (storeFirst ? viaStore() : bare());
    const second = await (storeFirst ? bare() : viaStore());
    if (pair < WARM_UP_PAIRS) continue;
    storeTimes.push(storeFirst ? first : second);
    bareTimes.push(storeFirst ? second : first);
  }

  const ours = median(storeTimes);
  const floor = median(bareTimes);
  const pairRatio = median(storeTimes.map((time, pair) => time / (bareTimes[pair] ?? Number.NaN)));
  return [
    {
      measurement: "latency: open() to active",
      figure: `${ratio(pairRatio)} (${ms(ours)} vs ${ms(floor)})`,
      target: `≤ ${ratio(TARGETS.latency)}`,
      guard: `≤ ${ratio(GUARDS.latency)}`,
      verdict: judge(pairRatio <= TARGETS.latency, pairRatio <= GUARDS.latency),
      note:
        "Latency: store.open() until the session is active, against the bare Graph client's " +
        "createSession POST (same client, headers and body, its retries off as the store has " +
        `them), over loopback to an emulator in its own process. Real time; ${MEASURED_PAIRS} ` +
        "pairs in alternating order after a warm-up; the figure is the median of the pairs' " +
        "ratios, then the medians of each side.",
    },
  ];
}
