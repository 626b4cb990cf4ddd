import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Client } from "@microsoft/microsoft-graph-client";
import type { SessionEvent } from "graph-workbook-session";
import {
  createEmulatorClient,
  type EmulatorOptions,
  type Fault,
  type RecordedRequest,
  startEmulator,
  type WorkbookEmulator,
} from "graph-workbook-session/testing";
import { vi } from "vitest";
import { CANARY_TOKEN } from "../support/harness";

/**
 * An emulator and a real Graph client wired to it, with both ends of the wire
 * counted: every request the client starts (its token is asked for) and every
 * request the emulator receives (in arrival order, records kept live). The
 * counts tell when the network is quiet, which is when virtual time may move
 * without cutting an exchange short.
 */
export interface Wire {
  readonly emulator: WorkbookEmulator;
  readonly client: Client;
  /** Requests the client started to send. */
  readonly sent: () => number;
  /** Every request the emulator received, as it records them (answers fill in later). */
  readonly arrivals: readonly RecordedRequest[];
  /** Received requests answered so far, hung and dropped ones included. */
  readonly answered: () => number;
  /**
   * Queues a fault that only requests `accepts` lets through may consume. All
   * faults share one queue behind the arrival counter, in the order added.
   */
  readonly inject: (fault: Fault, accepts?: (request: RecordedRequest) => boolean) => void;
  /** Drops every injected fault, keeping the arrival counter. */
  readonly clearFaults: () => void;
  readonly close: () => Promise<void>;
}

export async function startWire(options: EmulatorOptions = {}): Promise<Wire> {
  const emulator = await startEmulator({ requireToken: CANARY_TOKEN, ...options });
  let sent = 0;
  const client = createEmulatorClient(emulator, {
    token: async () => {
      sent += 1;
      return CANARY_TOKEN;
    },
  });
  const arrivals: RecordedRequest[] = [];
  const unanswered = new Set<RecordedRequest>();

  /* The counter comes first in the "*" queue and never consumes: it sees every request. */
  const counter: Fault = {
    status: 500,
    times: Number.POSITIVE_INFINITY,
    match: (request) => {
      arrivals.push(request);
      unanswered.add(request);
      return false;
    },
  };
  emulator.fault("*", counter);

  return {
    emulator,
    client,
    sent: () => sent,
    arrivals,
    answered: () => {
      for (const request of unanswered) {
        if (request.answeredWith !== null) unanswered.delete(request);
      }
      return arrivals.length - unanswered.size;
    },
    inject: (fault, accepts) => {
      const { match } = fault;
      emulator.fault("*", {
        ...fault,
        match: (request) => (accepts?.(request) ?? true) && (match?.(request) ?? true),
      });
    },
    clearFaults: () => {
      emulator.clearFaults();
      emulator.fault("*", counter);
    },
    close: () => emulator.close(),
  };
}

/** Rounds of the event loop with no change on the wire before it counts as quiet. */
const QUIET_ROUNDS = 12;
/** Rounds after which a request the client started but never delivered is given up on. */
const STUCK_ROUNDS = 400;

/**
 * Lets real I/O run, without moving the clock, until the wire is quiet: every
 * request the client started has arrived and nothing has changed for a while.
 * A request that was started and then aborted before reaching the emulator
 * never arrives; after `STUCK_ROUNDS` the wire counts as quiet anyway.
 */
export async function settleWire(wire: Wire): Promise<void> {
  let quiet = 0;
  let rounds = 0;
  let last = signature(wire);
  while (true) {
    await new Promise((resolve) => setImmediate(resolve));
    rounds += 1;
    const now = signature(wire);
    quiet = now === last ? quiet + 1 : 0;
    last = now;
    const delivered = wire.sent() <= wire.arrivals.length;
    if (quiet >= QUIET_ROUNDS && (delivered || quiet >= STUCK_ROUNDS)) return;
    if (rounds > STUCK_ROUNDS * 10) return;
  }
}

function signature(wire: Wire): string {
  return `${wire.sent()}/${wire.arrivals.length}/${wire.answered()}`;
}

/**
 * When the next fake timer is due, in ms on the fake clock, or undefined when
 * none is pending. Reads the clock that vitest's fake timers hang on the faked
 * `setTimeout`; without it, time moves in fixed steps instead.
 */
function nextTimerAt(): number | undefined | null {
  const faked = globalThis.setTimeout as unknown as {
    clock?: { timers?: Record<string, { callAt: number }> };
  };
  const timers = faked.clock?.timers;
  if (timers === undefined) return null;
  let next: number | undefined;
  for (const timer of Object.values(timers)) {
    if (next === undefined || timer.callAt < next) next = timer.callAt;
  }
  return next;
}

/** Fallback step when the fake clock cannot be read. */
const FIXED_STEP = 50;

/**
 * Moves virtual time forward by `ms`, stopping at every timer on the way and
 * letting the wire settle after it, so that a request a timer sends is answered
 * at the time it was sent rather than at the end of the stretch.
 */
export async function advance(wire: Wire, ms: number): Promise<void> {
  const target = Date.now() + ms;
  await settleWire(wire);
  for (let step = 0; step < 100_000 && Date.now() < target; step += 1) {
    const next = nextTimerAt();
    const to = next === null ? Math.min(target, Date.now() + FIXED_STEP) : (next ?? target);
    await vi.advanceTimersByTimeAsync(Math.max(0, Math.min(to, target) - Date.now()));
    await settleWire(wire);
  }
}

/**
 * Moves virtual time forward, as {@link advance} does, until `done()` holds or
 * `limitMs` of virtual time has passed. Returns whether `done()` held.
 */
export async function advanceUntil(
  wire: Wire,
  done: () => boolean,
  limitMs: number,
): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  await settleWire(wire);
  for (let step = 0; step < 1_000_000 && !done() && Date.now() < deadline; step += 1) {
    const next = nextTimerAt();
    const to = next === null ? Date.now() + FIXED_STEP : (next ?? deadline);
    await vi.advanceTimersByTimeAsync(Math.max(0, Math.min(to, deadline) - Date.now()));
    await settleWire(wire);
  }
  return done();
}

/** A promise watched for how many times, and how, it settled. */
export interface TrackedCall {
  readonly label: string;
  settlements: number;
  outcome: "pending" | "resolved" | "rejected";
  error?: unknown;
  /** Times the workbook call itself was run (one per try). */
  tries: number;
}

/** Watches `promise`, counting its settlements on `tracked`. */
export function track(tracked: TrackedCall, promise: Promise<unknown>): TrackedCall {
  promise.then(
    () => {
      tracked.settlements += 1;
      tracked.outcome = "resolved";
    },
    (error: unknown) => {
      tracked.settlements += 1;
      tracked.outcome = "rejected";
      tracked.error = error;
    },
  );
  return tracked;
}

/** The canary token's appearances in a value, as JSON or as text. */
export function containsCanary(value: unknown): boolean {
  if (value instanceof Error) {
    const text = `${value.message} ${value.stack ?? ""} ${safeJson(value)}`;
    return text.includes(CANARY_TOKEN);
  }
  return safeJson(value).includes(CANARY_TOKEN) || String(value).includes(CANARY_TOKEN);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "";
  }
}

/** The value an appendRow request carried, or undefined for other requests. */
export function appendedValue(request: RecordedRequest): string | undefined {
  if (request.route !== "addRow") return undefined;
  const body = request.body as { values?: unknown[][] } | undefined;
  const value = body?.values?.[0]?.[0];
  return typeof value === "string" ? value : undefined;
}

/** Counts writes that reached the workbook more than once, by their unique value. */
export function countDuplicates(values: Iterable<string>): number {
  const seen = new Map<string, number>();
  for (const value of values) seen.set(value, (seen.get(value) ?? 0) + 1);
  let duplicates = 0;
  for (const count of seen.values()) duplicates += Math.max(0, count - 1);
  return duplicates;
}

/** A throttled answer Graph gave: nothing may arrive before its deadline once it was seen. */
export interface Throttle {
  readonly request: RecordedRequest;
  /** When Graph's Retry-After ends, in ms on the emulator clock. */
  readonly deadline: number;
  /** Requests the client had started when the store reported the failure. */
  seenAt: number | null;
}

/** Marks the latest throttle not yet seen as seen, when the store reports a Retry-After. */
export function noteSeen(throttles: Throttle[], event: SessionEvent, wire: Wire): void {
  if (event.type !== "attempt-failed" || event.error.retryAfterMs === null) return;
  const unseen = throttles.filter((candidate) => candidate.seenAt === null);
  const throttle = unseen[unseen.length - 1];
  if (throttle) throttle.seenAt = wire.sent();
}

/**
 * Requests that arrived before a Retry-After had passed, each described. A
 * request counts when it arrived at a later virtual time than the throttled
 * answer, or at the same time but sent after the store had read that answer:
 * the n-th arrival was the n-th request sent or a later one.
 */
export function earlyArrivals(wire: Wire, throttles: readonly Throttle[]): string[] {
  const early: string[] = [];
  for (const { request, deadline, seenAt } of throttles) {
    for (const [index, later] of wire.arrivals.entries()) {
      const sentAfter = later.time > request.time || (seenAt !== null && index >= seenAt);
      if (later.seq > request.seq && later.time < deadline && sentAfter) {
        early.push(
          `${later.route} arrived ${deadline - later.time} ms before the Retry-After of ` +
            `${request.route} #${request.seq} had passed`,
        );
      }
    }
  }
  return early;
}

/** How the sessions a store left live on Graph after dispose() divide. */
export interface SessionsLeft {
  /** Known to the store and neither closed nor given up for a reason the wire bears out. */
  readonly leaked: string[];
  /** Given up by the store (a `closed: false`) while a Retry-After held it, or after a refused close. */
  readonly leftToGraph: string[];
  /** Never known to the client: a createSession answer that did not reach it. */
  readonly unknowable: string[];
}

/**
 * Sorts the sessions live on Graph after disposal. `learned` holds every id the store was seen
 * with; `gaveUp` the times (store clock) it reported a close of that id as not confirmed.
 */
export function sortSessionsLeft(
  wire: Wire,
  left: Iterable<string>,
  learned: ReadonlySet<string>,
  gaveUp: ReadonlyMap<string, readonly number[]>,
  throttles: readonly Throttle[],
): SessionsLeft {
  const sorted: SessionsLeft = { leaked: [], leftToGraph: [], unknowable: [] };
  for (const id of new Set(left)) {
    const known = learned.has(id) || wire.arrivals.some((request) => request.sessionId === id);
    if (!known) {
      sorted.unknowable.push(id);
      continue;
    }
    const held = (gaveUp.get(id) ?? []).some((at) =>
      throttles.some(({ request, deadline }) => request.time <= at && at < deadline),
    );
    const refused =
      gaveUp.has(id) &&
      wire.arrivals.some(
        (request) =>
          request.route === "closeSession" &&
          request.sessionId === id &&
          request.answeredWith !== 204,
      );
    (held || refused ? sorted.leftToGraph : sorted.leaked).push(id);
  }
  return sorted;
}

/*
 * `global.gc` without a command-line flag: V8 accepts --expose-gc at run time,
 * and a fresh context then has `gc` on its global object.
 */
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * How many referents are still alive after a few collections. A `deref()`
 * keeps its target alive until the current job ends, so each collection runs
 * in a later turn of the loop than the look before it.
 */
export async function stillAlive(refs: readonly WeakRef<object>[]): Promise<number> {
  let alive = refs.length;
  for (let round = 0; round < 10 && alive > 0; round += 1) {
    await nextTurn();
    collectGarbage();
    await nextTurn();
    alive = refs.filter((ref) => ref.deref() !== undefined).length;
  }
  return alive;
}
