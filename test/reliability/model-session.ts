import {
  type SessionContext,
  type SessionEvent,
  type SessionState,
  SessionStore,
} from "graph-workbook-session";
import {
  createTestEnvironment,
  type Fault,
  type RecordedRequest,
  type RouteName,
} from "graph-workbook-session/testing";
import { vi } from "vitest";
import { WORKBOOK, WORKBOOK_KEY } from "../support/harness";
import { seededRandom } from "../support/seeded-random";
import { FOLLOWED_AFTER_DISPOSE } from "./fault-kit";
import {
  advance,
  advanceUntil,
  appendedValue,
  containsCanary,
  countDuplicates,
  earlyArrivals,
  noteSeen,
  settleWire,
  sortSessionsLeft,
  startWire,
  type Throttle,
  type TrackedCall,
  track,
  type Wire,
} from "./model-wire";

export type FaultKind = "429" | "503" | "502" | "recreate" | "drop" | "hang" | "slow";
export type FaultRoute = Extract<
  RouteName,
  "createSession" | "operation" | "refreshSession" | "worksheets" | "addRow"
>;

/** One thing a user, the network or Graph does to a store. */
export type Action =
  | { readonly kind: "open" }
  | { readonly kind: "read"; readonly idempotent: boolean }
  | { readonly kind: "write" }
  | { readonly kind: "close" }
  | { readonly kind: "dispose" }
  | { readonly kind: "offline" | "online" | "hide" | "show" }
  | {
      readonly kind: "fault";
      readonly route: FaultRoute;
      readonly fault: FaultKind;
      readonly retryAfter: number;
    }
  | { readonly kind: "expire" }
  | { readonly kind: "advance"; readonly ms: number };

/** A store's settings and what happens to it, in order. */
export interface Scenario {
  readonly persistChanges: boolean;
  /** Graph answers createSession with 202 and an operation to poll. */
  readonly asyncCreate: boolean;
  readonly retries: number;
  readonly concurrency: number;
  /** Seed of the store's jitter. */
  readonly jitterSeed: number;
  readonly actions: readonly Action[];
}

/** What one run observed; `problems` names every invariant that did not hold. */
export interface RunReport {
  readonly faults: Record<string, number>;
  readonly calls: number;
  readonly settled: number;
  readonly duplicates: number;
  readonly leaks: number;
  readonly cooldownViolations: number;
  readonly secretsFound: number;
  readonly problems: string[];
}

/** Longest wait for one answer, in virtual ms; a "slow" fault answers later than this. */
export const ATTEMPT_TIMEOUT = 5_000;
const OPEN_TIMEOUT = 60_000;
const MAX_RETRY_AFTER = 10_000;
const STATUSES = new Set(["idle", "creating", "active", "failed"]);

/** The Retry-After, in seconds, a kind's fault carries: on 429s, and on 503s when set. */
export interface FaultCooldowns {
  readonly throttled: number;
  readonly unavailable?: number;
}

/** The emulator fault of each kind. */
export function faultFor(kind: FaultKind, cooldowns: FaultCooldowns): Fault {
  switch (kind) {
    case "429":
      return { status: 429, retryAfter: cooldowns.throttled };
    case "503": {
      const unavailable = { status: 503, innerCode: "serviceUnavailableUncategorized" };
      const { unavailable: retryAfter } = cooldowns;
      return retryAfter === undefined ? unavailable : { ...unavailable, retryAfter };
    }
    case "502":
      return { status: 502, innerCode: null };
    case "recreate":
      return { status: 404, code: "itemNotFound", innerCode: "invalidSessionReCreatable" };
    case "drop":
      return { drop: true };
    case "hang":
      return { hang: true };
    case "slow":
      return { delayMs: ATTEMPT_TIMEOUT + 1_000 };
  }
}

/**
 * Runs a scenario against a fresh emulator in virtual time, checking the
 * invariants after every step and once more after the store is disposed.
 * Fake timers are on while it runs and off when it returns.
 */
export async function runScenario(scenario: Scenario, runId: string): Promise<RunReport> {
  vi.useFakeTimers({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
  });
  const wire = await startWire(
    scenario.asyncCreate ? { asyncCreate: { mode: "async", runningPolls: 1 } } : {},
  );
  try {
    return await new ScenarioRun(scenario, wire, runId).run();
  } finally {
    vi.useRealTimers();
    await wire.close();
  }
}

class ScenarioRun {
  readonly #scenario: Scenario;
  readonly #wire: Wire;
  readonly #runId: string;
  readonly #environment = createTestEnvironment();
  readonly #store: SessionStore;
  readonly #problems: string[] = [];
  readonly #faults: Record<string, number> = {};
  readonly #requests: TrackedCall[] = [];
  readonly #others: TrackedCall[] = [];
  readonly #writes = new Map<string, TrackedCall>();
  readonly #throttles: Throttle[] = [];
  /** Arrivals counted at each create-requested event. */
  readonly #openings: number[] = [];
  /** Sessions the store reported closing, and whether Graph confirmed. */
  readonly #closed = new Map<string, boolean>();
  readonly #learned = new Set<string>();
  /** Times the store reported a close it could not confirm, by session. */
  readonly #gaveUp = new Map<string, number[]>();
  /** Sessions live on Graph when a dispose() resolved, and any Graph made after it. */
  readonly #left = new Set<string>();
  readonly #seen: unknown[] = [];
  #disposedAt: number | null = null;
  #stateCompleted = false;
  #eventsCompleted = false;

  constructor(scenario: Scenario, wire: Wire, runId: string) {
    this.#scenario = scenario;
    this.#wire = wire;
    this.#runId = runId;
    this.#store = new SessionStore({
      client: wire.client,
      workbook: WORKBOOK,
      persistChanges: scenario.persistChanges,
      concurrency: scenario.concurrency,
      environment: this.#environment,
      random: seededRandom(scenario.jitterSeed),
      retry: {
        retries: scenario.retries,
        baseDelay: 200,
        maxDelay: 2_000,
        maxRetryAfter: MAX_RETRY_AFTER,
      },
      attemptTimeout: ATTEMPT_TIMEOUT,
      openTimeout: OPEN_TIMEOUT,
      poll: { initialInterval: 500, maxInterval: 2_000 },
    });
    this.#store.state$.subscribe({
      next: (state) => this.#onState(state),
      error: (error: unknown) => this.#problem(`state$ errored: ${String(error)}`),
      complete: () => {
        this.#stateCompleted = true;
      },
    });
    this.#store.events$.subscribe({
      next: (event) => this.#onEvent(event),
      complete: () => {
        this.#eventsCompleted = true;
      },
    });
  }

  async run(): Promise<RunReport> {
    for (const [index, action] of this.#scenario.actions.entries()) {
      await this.#perform(action, index);
      if (action.kind !== "advance") await settleWire(this.#wire);
      this.#checkStep(`after step ${index} (${action.kind})`);
    }
    await this.#finish();
    return this.#report();
  }

  /* ---------------------------------------------------------------- actions */

  async #perform(action: Action, index: number): Promise<void> {
    const store = this.#store;
    switch (action.kind) {
      case "open":
        this.#others.push(this.#tracked(`open ${index}`, store.open()));
        return;
      case "read":
        this.#read(index, action.idempotent);
        return;
      case "write":
        this.#write(index);
        return;
      case "close":
        this.#others.push(this.#tracked(`close ${index}`, store.close()));
        return;
      case "dispose":
        if (this.#disposedAt === null) this.#disposedAt = this.#wire.arrivals.length;
        this.#others.push(this.#tracked(`dispose ${index}`, this.#dispose()));
        return;
      case "offline":
        this.#environment.goOffline();
        return;
      case "online":
        this.#environment.goOnline();
        return;
      case "hide":
        this.#environment.hide();
        return;
      case "show":
        this.#environment.show();
        return;
      case "fault":
        this.#inject(action.route, action.fault, action.retryAfter);
        return;
      case "expire":
        this.#expire();
        return;
      case "advance":
        await advance(this.#wire, action.ms);
        return;
    }
  }

  /**
   * Disposes the store and notes the sessions live on Graph the moment disposal resolved, before
   * any time passes: the emulator idles sessions out after minutes, so a later look sees none.
   */
  #dispose(): Promise<void> {
    return this.#store.dispose().then(() => this.#noteLeft());
  }

  #noteLeft(): void {
    for (const session of this.#wire.emulator.sessions()) this.#left.add(session.id);
  }

  #tracked(label: string, promise: Promise<unknown>): TrackedCall {
    return track({ label, settlements: 0, outcome: "pending", tries: 0 }, promise);
  }

  #read(index: number, idempotent: boolean): void {
    const tracked: TrackedCall = {
      label: `read ${index}`,
      settlements: 0,
      outcome: "pending",
      tries: 0,
    };
    const call = (session: SessionContext) => {
      tracked.tries += 1;
      return session.api("/worksheets").get();
    };
    this.#requests.push(track(tracked, this.#store.request(call, { idempotent })));
  }

  #write(index: number): void {
    const value = `${this.#runId}-w${index}`;
    const tracked: TrackedCall = {
      label: `write ${value}`,
      settlements: 0,
      outcome: "pending",
      tries: 0,
    };
    const call = (session: SessionContext) => {
      tracked.tries += 1;
      return session.api("/tables('Table1')/rows/add").post({ values: [[value]] });
    };
    this.#writes.set(value, tracked);
    this.#requests.push(track(tracked, this.#store.request(call)));
  }

  #inject(route: FaultRoute, kind: FaultKind, retryAfter: number): void {
    // A late answer to createSession would bring a session no one can know of.
    if (kind === "slow" && route !== "worksheets" && route !== "addRow") return;

    const fault = faultFor(kind, { throttled: retryAfter, unavailable: retryAfter });
    const throttles = this.#throttles;
    const onTake = (request: RecordedRequest) => {
      this.#faults[kind] = (this.#faults[kind] ?? 0) + 1;
      // Graph answers invalidSessionReCreatable because it dropped the session.
      if (kind === "recreate" && request.sessionId !== null) {
        this.#wire.emulator.expireSession(request.sessionId);
      }
      if (fault.retryAfter !== undefined) {
        throttles.push({ request, deadline: request.time + retryAfter * 1_000, seenAt: null });
      }
      return true;
    };
    this.#wire.inject({ ...fault, match: onTake }, (request) => request.route === route);
  }

  #expire(): void {
    const state = this.#store.getState();
    const expired =
      state.status === "active"
        ? Number(this.#wire.emulator.expireSession(state.session.id))
        : this.#wire.emulator.expireAllSessions();
    if (expired > 0) this.#faults.expiry = (this.#faults.expiry ?? 0) + expired;
  }

  /* --------------------------------------------------------------- watching */

  #onState(state: SessionState): void {
    if (!STATUSES.has(state.status)) this.#problem(`unknown status ${String(state.status)}`);
    this.#seen.push(state);
  }

  #onEvent(event: SessionEvent): void {
    this.#seen.push(event);
    if (event.type === "create-requested") this.#openings.push(this.#wire.arrivals.length);
    if (event.type === "created") this.#learned.add(event.sessionId);
    if (event.type === "closed") this.#closed.set(event.sessionId, event.closed);
    if (event.type === "closed" && !event.closed) {
      this.#gaveUp.set(event.sessionId, [...(this.#gaveUp.get(event.sessionId) ?? []), event.at]);
    }
    if (event.type === "attempt-failed") noteSeen(this.#throttles, event, this.#wire);
  }

  #problem(text: string): void {
    this.#problems.push(text);
  }

  /* ------------------------------------------------------------- invariants */

  #checkStep(when: string): void {
    const unclaimed = this.#openSessions();
    if (unclaimed.length > 1) {
      this.#problem(`${when}: ${unclaimed.length} live sessions the store still holds`);
    }
    for (const [id, confirmed] of this.#closed) {
      if (confirmed && this.#isLive(id)) this.#problem(`${when}: session reported closed is live`);
    }
    for (const call of [...this.#requests, ...this.#others]) {
      if (call.settlements > 1)
        this.#problem(`${when}: ${call.label} settled ${call.settlements}×`);
    }
    const budget = (this.#scenario.retries + 1) * 2;
    for (const call of this.#requests) {
      if (call.tries > budget)
        this.#problem(`${when}: ${call.label} ran ${call.tries}× > ${budget}`);
    }
    this.#checkOpenings(when);
  }

  /** Live sessions not let go of: neither closed nor left to expire after a refused close. */
  #openSessions(): string[] {
    return this.#wire.emulator
      .sessions()
      .map((session) => session.id)
      .filter((id) => this.#closed.get(id) !== false);
  }

  #isLive(id: string): boolean {
    return this.#wire.emulator.sessions().some((session) => session.id === id);
  }

  #checkOpenings(when: string): void {
    const arrivals = this.#wire.arrivals;
    for (const [index, from] of this.#openings.entries()) {
      const to = this.#openings[index + 1] ?? arrivals.length;
      const creates = arrivals.slice(from, to).filter((r) => r.route === "createSession").length;
      if (creates > this.#scenario.retries + 1) {
        this.#problem(`${when}: one opening sent ${creates} createSession requests`);
      }
    }
  }

  async #finish(): Promise<void> {
    this.#wire.clearFaults();
    this.#environment.show();
    this.#environment.goOnline();

    const allSettled = () => this.#requests.every((call) => call.settlements > 0);
    if (!(await advanceUntil(this.#wire, allSettled, 10 * 60_000))) {
      const pending = this.#requests.filter((call) => call.settlements === 0);
      this.#problem(`calls never settled: ${pending.map((call) => call.label).join(", ")}`);
    }
    this.#checkStep("before disposal");

    if (this.#disposedAt === null) this.#disposedAt = this.#wire.arrivals.length;
    this.#others.push(this.#tracked("final dispose", this.#dispose()));
    const drained = () => this.#eventsCompleted && vi.getTimerCount() === 0;
    // A creation nobody waits for any more (a hung createSession) is followed for up to openTimeout.
    await advanceUntil(this.#wire, drained, OPEN_TIMEOUT + 4 * ATTEMPT_TIMEOUT);
    // A session Graph made after disposal (a late createSession answer) is left behind too.
    this.#noteLeft();
    this.#checkStep("after disposal");
  }

  #report(): RunReport {
    const settled = this.#requests.filter((call) => call.settlements > 0).length;
    for (const call of this.#others) {
      if (call.settlements !== 1) this.#problem(`${call.label} settled ${call.settlements}×`);
    }
    return {
      faults: this.#faults,
      calls: this.#requests.length,
      settled,
      duplicates: this.#duplicates(),
      leaks: this.#leaks(),
      cooldownViolations: this.#cooldownViolations(),
      secretsFound: this.#secrets(),
      problems: this.#problems,
    };
  }

  #duplicates(): number {
    const reached = this.#wire.arrivals
      .filter((request) => request.answeredWith === 200 || request.answeredWith === 201)
      .map(appendedValue)
      .filter((value): value is string => value !== undefined);
    const rows = this.#wire.emulator.readTableRows(WORKBOOK_KEY, "Table1").map(String);
    const duplicates = Math.max(countDuplicates(reached), countDuplicates(rows));
    if (duplicates > 0) this.#problem(`${duplicates} write(s) reached the workbook twice`);

    if (this.#scenario.persistChanges) {
      for (const [value, call] of this.#writes) {
        if (call.outcome === "resolved" && !rows.includes(value)) {
          this.#problem(`write ${value} resolved but is not in the table`);
        }
      }
    }
    return duplicates;
  }

  #leaks(): number {
    const left = sortSessionsLeft(
      this.#wire,
      this.#left,
      this.#learned,
      this.#gaveUp,
      this.#throttles,
    );
    const leftOpen = left.leaked.length;
    const timers = vi.getTimerCount();
    const listeners = this.#environment.listenerCount;
    const streams = Number(!this.#stateCompleted) + Number(!this.#eventsCompleted);
    // After dispose() the store may still close sessions, and follow a long-running
    // creation it let go of (its polls) to close the session that creation makes.
    const late = this.#wire.arrivals
      .slice(this.#disposedAt ?? this.#wire.arrivals.length)
      .filter((request) => !FOLLOWED_AFTER_DISPOSE.has(request.route));
    if (leftOpen > 0) this.#problem(`${leftOpen} session(s) left open after disposal`);
    // The model lets no createSession answer come late or cut: none can be unknowable.
    if (left.unknowable.length > 0) {
      this.#problem(`${left.unknowable.length} session(s) Graph made that the store never knew`);
    }
    if (timers > 0) this.#problem(`${timers} timer(s) left after disposal`);
    if (listeners > 0) this.#problem(`${listeners} environment listener(s) left after disposal`);
    if (streams > 0) this.#problem("state$ or events$ did not complete on disposal");
    if (late.length > 0) {
      const routes = late.map((request) => request.route).join(", ");
      this.#problem(`requests sent after dispose(): ${routes}`);
    }
    return leftOpen + timers + listeners + streams;
  }

  #cooldownViolations(): number {
    const early = earlyArrivals(this.#wire, this.#throttles);
    for (const text of early) this.#problem(text);
    return early.length;
  }

  #secrets(): number {
    const errors = [...this.#requests, ...this.#others].map((call) => call.error);
    const found = [...this.#seen, ...errors].filter(containsCanary).length;
    if (found > 0) this.#problem(`the token appeared ${found} time(s) in states, events or errors`);
    return found;
  }
}
