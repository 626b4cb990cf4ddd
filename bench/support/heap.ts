import { setImmediate as nextTurn } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * The garbage collector, as `--expose-gc` exposes it. When the flag was not
 * given, it is switched on at run time and the function read from a fresh
 * context, which V8 allows once the flag is set.
 */
function exposedGc(): () => void {
  const global = globalThis as { gc?: () => void };
  if (typeof global.gc === "function") return global.gc;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

const gc = exposedGc();

/** Used heap in bytes after full collections, with event-loop turns between them for finalizers. */
export async function settledHeap(): Promise<number> {
  let lowest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 4; round += 1) {
    gc();
    await nextTurn();
    lowest = Math.min(lowest, process.memoryUsage().heapUsed);
  }
  return lowest;
}
