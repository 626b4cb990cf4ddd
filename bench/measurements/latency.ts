import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { GUARDS, TARGETS } from "../budgets";
import { ms, ratio } from "../format";
import type { RemoteEmulator } from "../support/remote-emulator";
import { median } from "../support/stats";
import { judge, type Row } from "../table";

const run = promisify(execFile);
const WARM_UP_PAIRS = 100;
const MEASURED_PAIRS = 400;

/**
 * Latency overhead, in real time over loopback: `store.open()` until the
 * session is active, against the bare Graph client's createSession POST with
 * the same client, headers and body, and the client's retry off as the store
 * has it. Pairs alternate their order; each session is closed, untimed. The
 * pairs run in a plain Node process on the built package (`latency-pairs.mjs`).
 * The figure is the median of the pairs' ratios, which a machine's changing
 * load affects less than a ratio of two medians.
 */
export async function measureLatency(emulator: RemoteEmulator): Promise<Row[]> {
  const { storeTimes, bareTimes } = await runPairs(emulator.url);

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
        "them), over loopback to an emulator in its own process, both in a plain Node process " +
        `on the built package. Real time; ${MEASURED_PAIRS} ` +
        "pairs in alternating order after a warm-up; the figure is the median of the pairs' " +
        "ratios, then the medians of each side.",
    },
  ];
}

/** Runs the pairs in a plain Node process, as an app runs the built package. */
async function runPairs(url: string): Promise<{ storeTimes: number[]; bareTimes: number[] }> {
  const script = fileURLToPath(new URL("./latency-pairs.mjs", import.meta.url));
  const args = [script, url, String(WARM_UP_PAIRS), String(MEASURED_PAIRS)];
  const { stdout } = await run(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as { storeTimes: number[]; bareTimes: number[] };
}
