import { type SessionContext, type SessionEvent, SessionStore } from "graph-workbook-session";
import {
  createTestEnvironment,
  type RecordedRequest,
  type TestEnvironment,
} from "graph-workbook-session/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WORKBOOK, WORKBOOK_KEY } from "../support/harness";
import { seededRandom } from "../support/seeded-random";
import { useReliabilityLedger } from "./ledger";
import { ATTEMPT_TIMEOUT, type FaultKind, faultFor } from "./model-session";
import {
  advanceUntil,
  appendedValue,
  containsCanary,
  countDuplicates,
  earlyArrivals,
  noteSeen,
  sortSessionsLeft,
  startWire,
  stillAlive,
  type Throttle,
  type TrackedCall,
  track,
  type Wire,
} from "./model-wire";

const ledger = useReliabilityLedger("soak");

const CALLS = 10_000;
const FAULT_RATE = 0.05;
const SEED = 0x50a4;
const CALL_FAULTS: readonly FaultKind[] = ["429", "503", "502", "recreate", "drop", "hang", "slow"];
const CREATE_FAULTS: readonly FaultKind[] = ["429", "503", "drop", "hang"];

/* Throttling says how long to wait; an unavailable service does not. */
const faultOf = (kind: FaultKind) => faultFor(kind, { throttled: 1 });

/**
 * Answers about `rate` of the workbook calls and createSession requests with a
 * fault drawn from a seeded PRNG, the same ones on every run. A decider first
 * in the queue draws once per request; each kind's fault then takes the
 * requests it was drawn for.
 */
function injectRandomFaults(wire: Wire, random: () => number, throttles: Throttle[]) {
  const injected: Record<string, number> = {};
  let drawn: { request: RecordedRequest; kind: FaultKind } | null = null;

  wire.inject({
    status: 500,
    times: Number.POSITIVE_INFINITY,
    match: (request) => {
      drawn = null;
      const kinds = request.route === "createSession" ? CREATE_FAULTS : CALL_FAULTS;
      const isTarget = ["createSession", "worksheets", "addRow"].includes(request.route);
      if (isTarget && random() < FAULT_RATE) {
        drawn = { request, kind: kinds[Math.floor(random() * kinds.length)] ?? "503" };
      }
      return false;
    },
  });
  for (const kind of CALL_FAULTS) {
    wire.inject({
      ...faultOf(kind),
      times: Number.POSITIVE_INFINITY,
      match: (request) => {
        if (drawn?.request !== request || drawn.kind !== kind) return false;
        injected[kind] = (injected[kind] ?? 0) + 1;
        // Graph answers invalidSessionReCreatable because it dropped the session.
        if (kind === "recreate" && request.sessionId)
          wire.emulator.expireSession(request.sessionId);
        if (kind === "429")
          throttles.push({ request, deadline: request.time + 1_000, seenAt: null });
        return true;
      },
    });
  }
  return injected;
}

let environment: TestEnvironment;

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
  });
  environment = createTestEnvironment();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("a soak of ten thousand calls through one store", () => {
  it("settles every call once, lands no write twice, and leaves nothing behind", async () => {
    const wire = await startWire();
    const throttles: Throttle[] = [];
    const injected = injectRandomFaults(wire, seededRandom(SEED), throttles);
    const calls: TrackedCall[] = [];
    const writes = new Map<string, TrackedCall>();
    const seen: unknown[] = [];
    let eventsDone = false;
    const learned = new Set<string>();
    const gaveUp = new Map<string, number[]>();
    const left = new Set<string>();
    const noteLeft = () => {
      for (const session of wire.emulator.sessions()) left.add(session.id);
    };

    const storeRef = await (async () => {
      const store = new SessionStore({
        client: wire.client,
        workbook: WORKBOOK,
        environment,
        random: seededRandom(SEED + 1),
        retry: { retries: 5, baseDelay: 100, maxDelay: 2_000, maxRetryAfter: 10_000 },
        attemptTimeout: ATTEMPT_TIMEOUT,
      });
      store.state$.subscribe((state) => {
        if (state.status !== "active") seen.push(state);
      });
      store.events$.subscribe({
        next: (event: SessionEvent) => {
          if (event.type !== "closed" && event.type !== "created") seen.push(event);
          if (event.type === "created") learned.add(event.sessionId);
          if (event.type === "closed" && !event.closed) {
            gaveUp.set(event.sessionId, [...(gaveUp.get(event.sessionId) ?? []), event.at]);
          }
          noteSeen(throttles, event, wire);
        },
        complete: () => {
          eventsDone = true;
        },
      });

      for (let index = 0; index < CALLS; index += 1) {
        const tracked: TrackedCall = {
          label: `call ${index}`,
          settlements: 0,
          outcome: "pending",
          tries: 0,
        };
        const value = `soak-${index}`;
        const isWrite = index % 2 === 1;
        const call = (session: SessionContext) => {
          tracked.tries += 1;
          return isWrite
            ? session.api("/tables('Table1')/rows/add").post({ values: [[value]] })
            : session.api("/worksheets").get();
        };
        if (isWrite) writes.set(value, tracked);
        calls.push(track(tracked, store.request(call, { idempotent: !isWrite })));
        if (calls.length % 250 === 0 || index === CALLS - 1) {
          const batchDone = () => calls.every((one) => one.settlements > 0);
          await advanceUntil(wire, batchDone, 30 * 60_000);
        }
      }

      await store.dispose();
      // Sessions live the moment disposal resolved, before any time passes (the emulator idles
      // sessions out after minutes), and any Graph made after it.
      noteLeft();
      await advanceUntil(wire, () => eventsDone && vi.getTimerCount() === 0, 4 * ATTEMPT_TIMEOUT);
      noteLeft();
      return new WeakRef(store);
    })();

    const settledOnce = calls.filter((call) => call.settlements === 1).length;
    const settledTwice = calls.filter((call) => call.settlements > 1).length;
    const reached = wire.arrivals
      .filter((request) => request.answeredWith === 201 || request.answeredWith === 200)
      .map(appendedValue)
      .filter((value): value is string => value !== undefined);
    const rows = wire.emulator.readTableRows(WORKBOOK_KEY, "Table1").map(String);
    const duplicates = Math.max(countDuplicates(reached), countDuplicates(rows));
    const lostWrites = [...writes].filter(
      ([value, call]) => call.outcome === "resolved" && !rows.includes(value),
    );
    const early = earlyArrivals(wire, throttles);
    const secrets = [...seen, ...calls.map((call) => call.error)].filter(containsCanary).length;
    const timers = vi.getTimerCount();
    const listeners = environment.listenerCount;
    const sessionsLeft = sortSessionsLeft(wire, left, learned, gaveUp, throttles);
    const liveSessions = sessionsLeft.leaked.length;
    // No createSession answer comes late or cut here, so no session can be unknowable.
    const unknowable = sessionsLeft.unknowable.length;

    // Whether the store can be collected is measured once the run's records are let go.
    seen.length = 0;
    wire.emulator.clearRequests();
    const storeAlive = await stillAlive([storeRef]);

    ledger.scenario();
    for (const [kind, count] of Object.entries(injected)) ledger.fault(kind, count);
    ledger.calls(calls.length);
    ledger.settled(settledOnce + settledTwice);
    ledger.duplicates(duplicates + settledTwice);
    ledger.leaks(timers + listeners + storeAlive + liveSessions);
    ledger.cooldownViolations(early.length);
    ledger.secretsFound(secrets);
    await wire.close();

    expect({ settledOnce, settledTwice, duplicates, lostWrites, early, secrets }).toEqual({
      settledOnce: CALLS,
      settledTwice: 0,
      duplicates: 0,
      lostWrites: [],
      early: [],
      secrets: 0,
    });
    expect({ timers, listeners, storeAlive, liveSessions, unknowable }).toEqual({
      timers: 0,
      listeners: 0,
      storeAlive: 0,
      liveSessions: 0,
      unknowable: 0,
    });
    expect(Object.values(injected).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(
      CALLS * FAULT_RATE * 0.5,
    );
  }, 180_000);
});
