import { isWorkbookError, type SessionStore } from "graph-workbook-session";
import { describe, expect, it } from "vitest";
import { driveUntilSettled, listSheets, useHarness, useVirtualTime } from "../support/harness";
import { memoryPeers } from "../support/memory-peers";
import { seededRandom } from "../support/seeded-random";
import {
  CLEAN,
  countSecrets,
  Observation,
  rowsHolding,
  uniqueRow,
  useConsoleCapture,
} from "./fault-kit";
import { useReliabilityLedger } from "./ledger";

/*
 * Tabs of one workbook that share a channel, through an outage of createSession
 * and then seeded faults on it and on their writes, while they make calls and
 * some of them are disposed and replaced by new tabs: the coordination must
 * cost nothing of what every store promises alone.
 */

const ledger = useReliabilityLedger("peers");
const h = useHarness();
const consoleLines = useConsoleCapture();

const TABS = 6;
const ROUNDS = 5;
const OUTAGE = 4_000;
const BASE_DELAY = 200;

describe.each([[11], [23], [37]])(
  "six tabs of one workbook sharing a channel (seed %i)",
  (seed) => {
    it("settle every call once, duplicate no write, leave no session and tell no secret", async () => {
      useVirtualTime();
      const random = seededRandom(seed);
      const obs = new Observation(ledger, h);
      const hub = memoryPeers();
      const start = Date.now();
      obs.fault("createSession", "peers-outage-503", {
        status: 503,
        times: Number.POSITIVE_INFINITY,
        match: (request) => request.time < start + OUTAGE,
      });
      obs.fault("createSession", "peers-drop", {
        drop: true,
        times: Number.POSITIVE_INFINITY,
        match: () => random() < 0.15,
      });
      obs.fault("createSession", "peers-500", {
        status: 500,
        times: Number.POSITIVE_INFINITY,
        match: () => random() < 0.25,
      });
      obs.fault("addRow", "peers-write-503", {
        status: 503,
        times: Number.POSITIVE_INFINITY,
        match: () => random() < 0.1,
      });

      const allStores: SessionStore[] = [];
      const newTab = (tab: number) => {
        const store = h.store({
          peers: hub.channel(),
          random: seededRandom(seed * 100 + tab + allStores.length),
          retry: { retries: 6, baseDelay: BASE_DELAY, maxDelay: 2_000 },
          attemptTimeout: 5_000,
        });
        allStores.push(obs.watch(store));
        return store;
      };
      const tabs = Array.from({ length: TABS }, (_, tab) => newTab(tab));

      const writes: { tag: string; outcome: { value?: unknown; error?: unknown } }[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const calls = tabs.flatMap((store, tab) => {
          const tag = `peers-${seed}-${round}-${tab}`;
          const write = obs.call(store, uniqueRow(tag, 0)).then((outcome) => {
            writes.push({ tag, outcome });
            return outcome;
          });
          return [write, obs.call(store, listSheets, { idempotent: true })];
        });
        const { value } = await driveUntilSettled(Promise.all(calls), 250, 2_000);
        for (const outcome of value ?? []) {
          if (outcome.error !== undefined) expect(isWorkbookError(outcome.error)).toBe(true);
        }

        // A tab is closed and another opened in its place, as users do.
        const replaced = Math.floor(random() * TABS);
        void tabs[replaced]?.dispose();
        tabs[replaced] = newTab(replaced);
      }

      // Every call settled once; a write that succeeded is in the table once, a failed one never.
      expect(obs.settled).toBe(obs.calls);
      expect(writes).toHaveLength(TABS * ROUNDS);
      for (const { tag, outcome } of writes) {
        expect(rowsHolding(h, `${tag}#0`)).toBe(outcome.error === undefined ? 1 : 0);
      }

      // While Graph failed, the tabs took turns: past each tab's first try, about one try per
      // base delay for the whole group (a few more where two tabs' tries crossed).
      const duringOutage = h.emulator
        .requestsTo("createSession")
        .filter((request) => request.time < start + OUTAGE);
      expect(duringOutage.length).toBeLessThanOrEqual(TABS + OUTAGE / BASE_DELAY);

      // What the tabs told each other holds no token and no session id.
      const told = JSON.stringify(hub.posted);
      expect(countSecrets([told])).toBe(0);
      for (const id of obs.learnedSessions()) expect(told).not.toContain(id);

      expect(consoleLines).toEqual([]);
      const audit = await obs.finish(allStores, { console: consoleLines });
      expect(audit).toEqual(CLEAN);
      ledger.scenario();
    });
  },
);
