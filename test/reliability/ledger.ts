import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll } from "vitest";

/**
 * What one reliability test file observed. `npm run test:reliability` sums the tallies of
 * every file into one table; every count except the first three must end at zero.
 */
export interface ReliabilityTally {
  /** Named situations run to the end (a scenario, a fault-matrix row, a property run). */
  scenarios: number;
  /** Faults injected, by kind (e.g. `429`, `503`, `reset`, `hang`, `malformed-json`, `chaos`). */
  faults: Record<string, number>;
  /** Workbook calls handed to a store. */
  calls: number;
  /** Calls that resolved or rejected, each counted once. */
  settled: number;
  /** Writes that reached the workbook more than once. */
  duplicates: number;
  /** Timers, listeners, subscriptions, sessions or heap left behind. */
  leaks: number;
  /** Requests sent before a Retry-After cooldown had passed. */
  cooldownViolations: number;
  /** Places a canary secret was found: a state, an event, an error, a log line. */
  secretsFound: number;
}

/** The folder tallies are written to; unset, nothing is written. */
export const REPORT_DIR_VARIABLE = "RELIABILITY_REPORT_DIR";

export function emptyTally(): ReliabilityTally {
  return {
    scenarios: 0,
    faults: {},
    calls: 0,
    settled: 0,
    duplicates: 0,
    leaks: 0,
    cooldownViolations: 0,
    secretsFound: 0,
  };
}

export interface ReliabilityLedger {
  readonly tally: ReliabilityTally;
  scenario(count?: number): void;
  fault(kind: string, count?: number): void;
  calls(count?: number): void;
  settled(count?: number): void;
  duplicates(count: number): void;
  leaks(count: number): void;
  cooldownViolations(count: number): void;
  secretsFound(count: number): void;
}

/**
 * A tally for one test file, written as `<name>.json` to `$RELIABILITY_REPORT_DIR` after the
 * file's tests. Record what the test observed, never what it expects: the table is only as
 * honest as the counts fed to it.
 */
export function useReliabilityLedger(name: string): ReliabilityLedger {
  const tally = emptyTally();

  afterAll(() => {
    const folder = process.env[REPORT_DIR_VARIABLE];
    if (!folder) return;
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${name}.json`), JSON.stringify(tally, null, 2));
  });

  return {
    tally,
    scenario: (count = 1) => {
      tally.scenarios += count;
    },
    fault: (kind, count = 1) => {
      tally.faults[kind] = (tally.faults[kind] ?? 0) + count;
    },
    calls: (count = 1) => {
      tally.calls += count;
    },
    settled: (count = 1) => {
      tally.settled += count;
    },
    duplicates: (count) => {
      tally.duplicates += count;
    },
    leaks: (count) => {
      tally.leaks += count;
    },
    cooldownViolations: (count) => {
      tally.cooldownViolations += count;
    },
    secretsFound: (count) => {
      tally.secretsFound += count;
    },
  };
}
