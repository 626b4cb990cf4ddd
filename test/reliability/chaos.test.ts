import {
  ChaosHandler,
  ChaosHandlerOptions,
  ChaosStrategy,
} from "@microsoft/microsoft-graph-client";
import { isWorkbookError, type SessionStore } from "graph-workbook-session";
import { describe, expect, it, vi } from "vitest";
import { driveUntilSettled, listSheets, useHarness, useVirtualTime } from "../support/harness";
import { seededRandom as seeded } from "../support/seeded-random";
import {
  CLEAN,
  countSecrets,
  Observation,
  rowsHolding,
  uniqueRow,
  useConsoleCapture,
  type WireRecorder,
  wiredClient,
} from "./fault-kit";
import { useReliabilityLedger } from "./ledger";

const ledger = useReliabilityLedger("chaos");
const h = useHarness();
const consoleLines = useConsoleCapture();

/** Counts each answer the ChaosHandler made up as a fault of kind `chaos-<status>`. */
function recordChaos(wire: WireRecorder): number {
  const made = wire.exchanges.filter((exchange) => exchange.chaos);
  for (const exchange of made) ledger.fault(`chaos-${exchange.status}`);
  return made.length;
}

const CALLS = 60;
const BATCH = 4;

describe.each([
  [1, 35],
  [7, 50],
  [42, 25],
])(
  "the Graph client's ChaosHandler (seed %i, %i percent) in the real chain",
  (seed, percentage) => {
    it("settles every call once, typed, duplicates no write, keeps every cooldown and ends sane", async () => {
      useVirtualTime();
      let chaosOn = true;
      const random = seeded(seed);
      // The ChaosHandler decides with Math.random; a value of 0.99 never reaches its percentage.
      vi.spyOn(Math, "random").mockImplementation(() => (chaosOn ? random() : 0.99));
      const chaos = new ChaosHandler(
        new ChaosHandlerOptions(ChaosStrategy.RANDOM, "chaos", undefined, percentage),
      );
      const { client, wire } = wiredClient(h, [chaos]);
      const obs = new Observation(ledger, h);
      const store: SessionStore = obs.watch(
        h.store({ client, retry: { retries: 3, baseDelay: 200 }, attemptTimeout: 5_000 }),
      );

      // Batches of calls made together, so that one failed creation does not fail them all.
      const outcomes: { value?: unknown; error?: unknown }[] = [];
      for (let batch = 0; batch < CALLS; batch += BATCH) {
        const calls = Array.from({ length: BATCH }, (_, index) => {
          const n = batch + index;
          return n % 3 === 2
            ? obs.call(store, listSheets, { idempotent: true })
            : obs.call(store, uniqueRow(`chaos-${seed}`, n));
        });
        const { value } = await driveUntilSettled(Promise.all(calls), 250, 1_000);
        outcomes.push(...(value ?? []));
      }
      chaosOn = false;

      // Every call settled once, with a value or a WorkbookError.
      expect(outcomes).toHaveLength(CALLS);
      expect(obs.settled).toBe(CALLS);
      const failures = outcomes.filter((outcome) => outcome.error !== undefined);
      for (const failure of failures) expect(isWorkbookError(failure.error)).toBe(true);

      // A write that succeeded is in the table once; one that failed never reached it.
      outcomes.forEach((outcome, n) => {
        if (n % 3 === 2) return;
        expect(rowsHolding(h, `chaos-${seed}#${n}`)).toBe(outcome.error === undefined ? 1 : 0);
      });

      // Chaos did strike, and the store still works once it stops.
      const injected = recordChaos(wire);
      expect(injected).toBeGreaterThan(0);
      const after = await driveUntilSettled(obs.call(store, listSheets), 250);
      expect(after.value?.error).toBeUndefined();
      expect(store.getState().status).toBe("active");

      const violations = wire.cooldownViolations();
      ledger.cooldownViolations(violations);
      expect(violations).toBe(0);
      const printed = countSecrets(consoleLines);
      expect(consoleLines).toEqual([]);
      // Sessions replaced after a made-up 502/503 are not closed while its Retry-After lasts.
      const audit = await obs.finish([store], { console: consoleLines, wire });
      expect(audit).toEqual({ ...CLEAN, leftToGraph: audit.leftToGraph });
      expect(printed).toBe(0);
      ledger.scenario();
    });
  },
);
