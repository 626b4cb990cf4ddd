import type { SessionStore } from "graph-workbook-session";
import type { RecordedRequest } from "graph-workbook-session/testing";
import { describe, expect, it } from "vitest";
import {
  driveUntilSettled,
  emulatorLog,
  listSheets,
  openSession,
  useHarness,
  useVirtualTime,
} from "../support/harness";
import { CLEAN, Observation, rowsHolding, uniqueRow } from "./fault-kit";
import { useReliabilityLedger } from "./ledger";

const ledger = useReliabilityLedger("fault-matrix-retry-after");
const h = useHarness();
const log = emulatorLog(h);

const DAY_S = 24 * 60 * 60;
/** The store's own backoff when no usable Retry-After came: half of a 1 s ceiling. */
const BACKOFF_MS = 500;

/** An HTTP date `seconds` from the virtual now, on a whole second as the header has it. */
function httpDate(seconds: number): string {
  return new Date(Math.ceil(Date.now() / 1000) * 1000 + seconds * 1000).toUTCString();
}

interface Form {
  readonly name: string;
  /** The header value, made at the time the fault is queued. */
  readonly value: () => string | number;
  /**
   * `wait`: the retry is held at least `floorMs` after the throttled answer, and at most a
   * backoff step more; `backoff`: the value is no pause, the store's backoff decides;
   * `refuse`: the pause is longer than `retry.maxRetryAfter`, the request fails at once.
   */
  readonly expect: "wait" | "backoff" | "refuse";
  readonly floorMs: number;
}

const FORMS: readonly Form[] = [
  { name: "integer seconds", value: () => 5, expect: "wait", floorMs: 5_000 },
  { name: "fractional seconds", value: () => "2.128", expect: "wait", floorMs: 2_128 },
  { name: "an HTTP date", value: () => httpDate(7), expect: "wait", floorMs: 6_000 },
  { name: "an HTTP date in the past", value: () => httpDate(-60), expect: "backoff", floorMs: 0 },
  { name: "zero", value: () => 0, expect: "backoff", floorMs: 0 },
  { name: "a negative number", value: () => "-5", expect: "backoff", floorMs: 0 },
  { name: "garbage", value: () => "soon, please", expect: "backoff", floorMs: 0 },
  { name: "an empty value", value: () => "", expect: "backoff", floorMs: 0 },
  { name: "three days", value: () => 3 * DAY_S, expect: "refuse", floorMs: 3 * DAY_S * 1000 },
  { name: "a date days ahead", value: () => httpDate(2 * DAY_S), expect: "refuse", floorMs: 0 },
  { name: "a huge number", value: () => "1e308", expect: "backoff", floorMs: 0 },
  {
    name: "more digits than a double holds",
    value: () => "9".repeat(40),
    expect: "refuse",
    floorMs: 0,
  },
];

/** Checks the gap between a throttled request and the one sent after it. */
function expectPaced(form: Form, throttled: RecordedRequest, next: RecordedRequest): void {
  const gap = next.time - throttled.time;
  if (form.expect === "wait") {
    expect(gap).toBeGreaterThanOrEqual(form.floorMs);
    expect(gap).toBeLessThanOrEqual(form.floorMs + 2_000);
  } else {
    expect(gap).toBeGreaterThanOrEqual(BACKOFF_MS);
    expect(gap).toBeLessThanOrEqual(BACKOFF_MS + 250);
  }
}

/** A refused pause fails at once, with an error that says how long Graph asked to wait. */
async function expectRefusedAtOnce(outcome: { error?: unknown }, started: number) {
  expect(outcome.error).toMatchObject({ kind: "throttled" });
  expect((outcome.error as Error).message).toMatch(/Retry-After|maxRetryAfter/);
  expect(Date.now() - started).toBeLessThan(1_000);
}

describe.each(FORMS.map((form) => [form.name, form] as const))("Retry-After as %s", (_, form) => {
  it(`on createSession: ${form.expect}`, async () => {
    useVirtualTime();
    const obs = new Observation(ledger, h);
    obs.fault("createSession", "429", { status: 429, retryAfter: form.value() });
    const store: SessionStore = obs.watch(h.store());
    const started = Date.now();

    const outcome = await driveUntilSettled(store.open(), 100);

    if (form.expect === "refuse") {
      await expectRefusedAtOnce(outcome, started);
      expect(log.creations()).toHaveLength(1);
      // The pause holds later requests back too: they fail at once, unsent.
      const again = await driveUntilSettled(store.open(), 100);
      expect(again.error).toMatchObject({ kind: "throttled", code: "cooldown" });
      expect(log.creations()).toHaveLength(1);
    } else {
      expect(outcome.error).toBeUndefined();
      const [throttled, next] = log.creations();
      expectPaced(form, throttled!, next!);
    }
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it(`on a write inside a session: ${form.expect}`, async () => {
    useVirtualTime();
    const obs = new Observation(ledger, h);
    const store = obs.watch(h.store());
    await openSession(store);
    obs.fault("addRow", "429", { status: 429, retryAfter: form.value() });
    const started = Date.now();

    const { value: outcome } = await driveUntilSettled(obs.call(store, uniqueRow("ra", 1)), 100);

    const writes = h.emulator.requestsTo("addRow");
    if (form.expect === "refuse") {
      await expectRefusedAtOnce(outcome ?? {}, started);
      expect(writes).toHaveLength(1);
      expect(rowsHolding(h, "ra#1")).toBe(0);
      // The session stays; the next call, a read, fails at once without being sent.
      const { value: read } = await driveUntilSettled(obs.call(store, listSheets), 100);
      expect(read?.error).toMatchObject({ kind: "throttled", code: "cooldown" });
      expect(h.emulator.requestsTo("worksheets")).toHaveLength(0);
      expect(store.getState().status).toBe("active");
    } else {
      expect(outcome?.error).toBeUndefined();
      expectPaced(form, writes[0]!, writes[1]!);
      expect(rowsHolding(h, "ra#1")).toBe(1);
    }
    // A store held by a long pause sends no closeSession; Graph ends that session by itself.
    expect(await obs.finish([store])).toEqual({
      ...CLEAN,
      leftToGraph: form.expect === "refuse" ? 1 : 0,
    });
    ledger.scenario();
  });
});
