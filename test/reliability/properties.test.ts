import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { useReliabilityLedger } from "./ledger";
import { type Action, type RunReport, runScenario, type Scenario } from "./model-session";

const ledger = useReliabilityLedger("properties");

/**
 * Fixed, so that CI runs the same sequences every time; a failure prints its
 * seed and path. PROPERTY_SEED and PROPERTY_RUNS explore other sequences locally.
 */
const SEED = Number(process.env.PROPERTY_SEED ?? 0x5e551);
const NUM_RUNS = Number(process.env.PROPERTY_RUNS ?? 150);

const faultAction = fc.record({
  kind: fc.constant("fault" as const),
  route: fc.constantFrom(
    "createSession",
    "operation",
    "refreshSession",
    "worksheets",
    "addRow" as const,
  ),
  fault: fc.constantFrom("429", "503", "502", "recreate", "drop", "hang", "slow" as const),
  retryAfter: fc.integer({ min: 1, max: 4 }),
});

const advanceAction = fc.record({
  kind: fc.constant("advance" as const),
  ms: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 2_000 }) },
    { weight: 2, arbitrary: fc.integer({ min: 2_000, max: 30_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 330_000 }) },
  ),
});

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("read" as const), idempotent: fc.boolean() }),
  },
  { weight: 4, arbitrary: fc.constant({ kind: "write" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "open" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "close" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "expire" as const }) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom("offline", "online", "hide", "show" as const)
      .map((kind) => ({ kind })),
  },
  { weight: 5, arbitrary: faultAction },
  { weight: 5, arbitrary: advanceAction },
);

const scenario: fc.Arbitrary<Scenario> = fc.record({
  persistChanges: fc.boolean(),
  asyncCreate: fc.boolean(),
  retries: fc.integer({ min: 1, max: 3 }),
  concurrency: fc.constantFrom(1, 2),
  jitterSeed: fc.integer({ min: 0, max: 0xffff }),
  actions: fc
    .tuple(
      fc.array(action, { minLength: 4, maxLength: 40, size: "max" }),
      fc.option(fc.nat(), { nil: undefined, freq: 6 }),
    )
    .map(([actions, disposeAt]) => withDispose(actions, disposeAt)),
});

/** Puts a dispose() in the middle of some sequences, so that what follows it is checked too. */
function withDispose(actions: Action[], at: number | undefined): Action[] {
  if (at === undefined) return actions;
  const index = at % (actions.length + 1);
  return [...actions.slice(0, index), { kind: "dispose" }, ...actions.slice(index)];
}

let runs = 0;

function record(report: RunReport): void {
  ledger.scenario();
  for (const [kind, count] of Object.entries(report.faults)) ledger.fault(kind, count);
  ledger.calls(report.calls);
  ledger.settled(report.settled);
  ledger.duplicates(report.duplicates);
  ledger.leaks(report.leaks);
  ledger.cooldownViolations(report.cooldownViolations);
  ledger.secretsFound(report.secretsFound);
}

async function check(input: Scenario): Promise<void> {
  runs += 1;
  const report = await runScenario(input, `run${runs}`);
  record(report);
  expect(report.problems).toEqual([]);
}

describe("a store under random faults and user actions", () => {
  it("keeps every invariant after every step", async () => {
    await fc.assert(fc.asyncProperty(scenario, check), {
      seed: SEED,
      numRuns: NUM_RUNS,
    });
  }, 120_000);
});

/*
 * Sequences the property once failed on, kept verbatim so that a regression
 * fails here by name. The seed and path in a name replay the failure only with
 * the generators of the day it was found; the sequence itself always does.
 */
describe("sequences that once broke an invariant", () => {
  it("a call's Retry-After holds the polls of a long-running creation (seed 3, path 99:0:1:2:5:6:12:14:15:14:14:17:19:19:19:18:18:18:20:18:18:20:29)", async () => {
    await check({
      persistChanges: false,
      asyncCreate: true,
      retries: 1,
      concurrency: 2,
      jitterSeed: 0,
      actions: [
        { kind: "fault", route: "addRow", fault: "502", retryAfter: 1 },
        { kind: "fault", route: "addRow", fault: "429", retryAfter: 1 },
        { kind: "write" },
        { kind: "write" },
        { kind: "advance", ms: 498 },
        { kind: "advance", ms: 1002 },
        { kind: "fault", route: "createSession", fault: "429", retryAfter: 1 },
        { kind: "write" },
        { kind: "fault", route: "createSession", fault: "429", retryAfter: 1 },
        { kind: "read", idempotent: false },
      ],
    });
  });
});
