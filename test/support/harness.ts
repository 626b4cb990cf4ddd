import { Client } from "@microsoft/microsoft-graph-client";
import {
  type SessionContext,
  type SessionEvent,
  type SessionState,
  SessionStore,
  type SessionStoreOptions,
} from "graph-workbook-session";
import {
  createEmulatorClient,
  type EmulatorOptions,
  startEmulator,
  type WorkbookEmulator,
} from "graph-workbook-session/testing";
import { vi } from "vitest";
import { perTest } from "./per-test";

/** A token no state, error or log may ever contain. */
export const CANARY_TOKEN = "canary-token-5e1f9c0b7d";

export const WORKBOOK = "/me/drive/items/01TESTWORKBOOK";

export interface Harness {
  readonly emulator: WorkbookEmulator;
  readonly client: Client;
  /** A store on the emulator with quick, deterministic retries unless overridden. */
  store(options?: Partial<SessionStoreOptions>): SessionStore;
  /** Disposes every store made here and closes the emulator. */
  close(): Promise<void>;
}

/** An emulator that demands the canary token, and the real Graph client wired to it. */
export async function startHarness(options: EmulatorOptions = {}): Promise<Harness> {
  const emulator = await startEmulator({ requireToken: CANARY_TOKEN, ...options });
  const client = createEmulatorClient(emulator, { token: CANARY_TOKEN });
  const stores: SessionStore[] = [];

  return {
    emulator,
    client,
    store(overrides = {}) {
      const store = new SessionStore({
        client,
        workbook: WORKBOOK,
        random: () => 0.5,
        ...overrides,
      });
      stores.push(store);
      return store;
    },
    async close() {
      await Promise.all(stores.map((store) => store.dispose()));
      await emulator.close();
    },
  };
}

/**
 * A harness started before each test of the file and closed after it (with
 * real timers restored), reachable through the returned object.
 */
export function useHarness(options: EmulatorOptions = {}): Harness {
  const get = perTest(
    () => startHarness(options),
    (harness) => harness.close(),
  );
  return {
    get emulator() {
      return get().emulator;
    },
    get client() {
      return get().client;
    },
    store: (overrides) => get().store(overrides),
    close: () => get().close(),
  };
}

/**
 * Fakes timers and the clock, but not `setImmediate`, so real sockets keep
 * working while every retry wait happens in virtual time.
 */
export function useVirtualTime(): void {
  vi.useFakeTimers({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
  });
}

/**
 * Waits, in real time but only for real I/O, until `condition` holds. Never
 * advances the clock. Fails after `limitMs` of real time.
 */
export async function until(
  condition: () => boolean,
  what: string,
  limitMs = 5_000,
): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Lets pending I/O and promise callbacks run without moving the clock. */
export async function settleIo(rounds = 50): Promise<void> {
  for (let round = 0; round < rounds; round += 1) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Fires timers one at a time, letting real I/O and promise callbacks finish
 * after each, until `done` holds, no timer is left, or `limitMs` of virtual
 * time has passed.
 */
export async function runTimersUntil(done: () => boolean, limitMs = 120_000): Promise<void> {
  const end = Date.now() + limitMs;
  await settleIo();
  while (!done() && Date.now() < end && vi.getTimerCount() > 0) {
    await vi.advanceTimersToNextTimerAsync();
    await settleIo();
  }
}

/** Records every state a store emits, starting with the current one. */
export function recordStates(store: SessionStore): SessionState[] {
  const states: SessionState[] = [];
  store.state$.subscribe((state) => states.push(state));
  return states;
}

/** The statuses of recorded states, with consecutive repeats kept. */
export function statuses(states: readonly SessionState[]): string[] {
  return states.map((state) => state.status);
}

/** A plain Graph client aimed straight at the emulator, as an app without our helper would build. */
export function plainClient(emulator: WorkbookEmulator, token = CANARY_TOKEN): Client {
  return Client.init({
    authProvider: (done) => done(null, token),
    baseUrl: `${emulator.url}/`,
  });
}

/**
 * Moves virtual time forward in steps of `stepMs`, letting real I/O finish
 * between steps, until `promise` settles. Returns how it settled.
 */
export async function driveUntilSettled<T>(
  promise: Promise<T>,
  stepMs: number,
  maxSteps = 1_000,
): Promise<{ value?: T; error?: unknown }> {
  let outcome: { value?: T; error?: unknown } | undefined;
  promise.then(
    (value) => (outcome = { value }),
    (error: unknown) => (outcome = { error }),
  );
  for (let step = 0; step < maxSteps; step += 1) {
    await settleIo();
    if (outcome) return outcome;
    await vi.advanceTimersByTimeAsync(stepMs);
  }
  throw new Error(`still pending after ${maxSteps} steps of ${stepMs} ms`);
}

/** A workbook call that reads the worksheets. */
export const listSheets = (session: SessionContext) => session.api("/worksheets").get();

/** A workbook call that appends a row: a write, not safe to send twice. */
export const addRow = (session: SessionContext) =>
  session.api("/tables('Table1')/rows/add").post({ values: [["x"]] });

/**
 * Sends a worksheets call that Graph answers with 429 and `Retry-After`, and
 * returns the pending call and when the throttled request arrived.
 */
export async function throttleOneCall(
  harness: Harness,
  store: SessionStore,
  retryAfterSeconds: number,
): Promise<{ call: Promise<unknown>; throttledAt: number }> {
  harness.emulator.fault("worksheets", { status: 429, retryAfter: retryAfterSeconds });
  const call = store.request(listSheets).catch((error: unknown) => error);
  await until(
    () => harness.emulator.requestsTo("worksheets").length === 1,
    "the call was throttled",
  );
  await settleIo();
  const throttledAt = harness.emulator.requestsTo("worksheets")[0]?.time ?? Number.NaN;
  return { call, throttledAt };
}

/** The emulator's key for {@link WORKBOOK}, as `readTableRows` and `readRange` take it. */
export const WORKBOOK_KEY = "item:01TESTWORKBOOK";

/** A workbook call that appends one row holding `value` to Table1: a write. */
export const appendRow = (value: string) => (session: SessionContext) =>
  session.api("/tables('Table1')/rows/add").post({ values: [[value]] });

/** Records every event a store reports from now on; nothing is replayed. */
export function recordEvents(store: SessionStore): SessionEvent[] {
  const events: SessionEvent[] = [];
  store.events$.subscribe((event) => events.push(event));
  return events;
}

/** One minute in ms, for tests that span Graph's session lifetimes. */
export const MINUTE = 60_000;

/**
 * Lets `totalMs` of virtual time pass in steps of `stepMs`, letting real I/O
 * finish after each step, as an app left alone that long would see it.
 */
export async function passTime(totalMs: number, stepMs = 10_000): Promise<void> {
  for (let passed = 0; passed < totalMs; passed += stepMs) {
    await vi.advanceTimersByTimeAsync(Math.min(stepMs, totalMs - passed));
    await settleIo();
  }
}

/**
 * Moves the clock forward without firing any timer, as when a hidden tab's
 * timers are held back or the machine sleeps; pending timers move along.
 */
export function skipClockAhead(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}

/** Opens the store's session in virtual time, failing the test if it does not open. */
export async function openSession(store: SessionStore) {
  const { value, error } = await driveUntilSettled(store.open(), 50);
  if (value === undefined) throw error ?? new Error("open() settled without a session");
  return value;
}

/** A storage whose entries the test can read and overwrite, to see what a store remembers. */
export function inspectableStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => {
      items.set(key, value);
    },
    removeItem: (key: string) => {
      items.delete(key);
    },
  };
}

/** The recorded events of one type, typed as that event. */
export function eventsOf<T extends SessionEvent["type"]>(events: readonly SessionEvent[], type: T) {
  return events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);
}

/** Shortcuts to what a harness's emulator recorded, read at call time. */
export function emulatorLog(harness: Harness) {
  return {
    creations: () => harness.emulator.requestsTo("createSession"),
    refreshes: () => harness.emulator.requestsTo("refreshSession"),
    closes: () => harness.emulator.requestsTo("closeSession"),
    liveIds: () => harness.emulator.sessions().map((session) => session.id),
  };
}

/** A 500 GenericFileOpenError answered to every third row append. */
export function fileOpenError() {
  let appends = 0;
  return {
    status: 500,
    code: "internalServerError",
    innerCode: "internalServerErrorUncategorized",
    innermostCode: "GenericFileOpenError",
    times: Number.POSITIVE_INFINITY,
    match: () => {
      appends += 1;
      return appends % 3 === 0;
    },
  };
}

/** Graph's answer for a session it dropped and that may be recreated: 404 invalidSessionReCreatable. */
export const SESSION_RECREATABLE = {
  status: 404,
  code: "itemNotFound",
  innerCode: "invalidSessionReCreatable",
} as const;
