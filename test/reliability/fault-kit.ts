import { inspect } from "node:util";
import {
  AuthenticationHandler,
  Client,
  type Context,
  type Middleware,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
} from "@microsoft/microsoft-graph-client";
import type {
  SessionContext,
  SessionEvent,
  SessionState,
  SessionStore,
  WorkbookCall,
} from "graph-workbook-session";
import type { Fault, FaultTarget, RecordedRequest } from "graph-workbook-session/testing";
import { afterEach, beforeEach, vi } from "vitest";
import { EmulatorForwardingHandler } from "../../src/testing/emulator-forwarding-handler";
import { CANARY_TOKEN, type Harness, passTime, WORKBOOK_KEY } from "../support/harness";
import type { ReliabilityLedger } from "./ledger";

/** A pause Graph asked for: no request may arrive before `until`, after the one at `from`. */
export interface Cooldown {
  readonly seq: number;
  readonly from: number;
  readonly until: number;
}

/**
 * What one test saw: faults as the emulator served them, cooldowns they asked for, calls and how
 * they settled, and every state and event of the stores watched.
 */
export class Observation {
  readonly cooldowns: Cooldown[] = [];
  readonly states: SessionState[] = [];
  readonly events: SessionEvent[] = [];
  readonly outcomes: { value?: unknown; error?: unknown }[] = [];
  calls = 0;
  settled = 0;

  constructor(
    readonly ledger: ReliabilityLedger,
    readonly harness: Harness,
  ) {}

  /**
   * Queues faults on a route, each one counted under `kind` when a request consumes it, and its
   * `Retry-After` (when it is one a client can read) remembered as a cooldown.
   */
  fault(route: FaultTarget, kind: string, ...faults: Fault[]): void {
    this.harness.emulator.fault(route, ...faults.map((fault) => this.counted(kind, fault)));
  }

  /** A fault that notes each request it is played on. */
  counted(kind: string, fault: Fault): Fault {
    return {
      ...fault,
      match: (request) => {
        const taken = fault.match?.(request) ?? true;
        if (taken) {
          this.served(kind, request, fault.retryAfter);
          // Graph answers so only for a session it no longer has: make the emulator agree.
          if (request.sessionId !== null && declaresSessionGone(fault)) {
            this.harness.emulator.expireSession(request.sessionId);
          }
        }
        return taken;
      },
    };
  }

  /** Notes a fault served to `request` outside the fault script. */
  served(kind: string, request: RecordedRequest, retryAfter?: string | number): void {
    this.ledger.fault(kind);
    const pause = retryAfterMs(retryAfter, request.time);
    if (pause > 0) {
      this.cooldowns.push({ seq: request.seq, from: request.time, until: request.time + pause });
    }
  }

  /** Records a store's states and events from now on. */
  watch(store: SessionStore): SessionStore {
    store.state$.subscribe((state) => this.states.push(state));
    store.events$.subscribe((event) => this.events.push(event));
    return store;
  }

  /** Hands a call to the store, counting it, and counting its settling once. */
  call<T>(
    store: SessionStore,
    call: WorkbookCall<T>,
    options?: Parameters<SessionStore["request"]>[1],
  ): Promise<{ value?: T; error?: unknown }> {
    this.calls += 1;
    this.ledger.calls();
    const outcome: { value?: T; error?: unknown } = {};
    let settledBefore = false;
    const settle = (result: { value?: T; error?: unknown }) => {
      if (settledBefore) throw new Error("a call settled twice");
      settledBefore = true;
      this.settled += 1;
      this.ledger.settled();
      Object.assign(outcome, result);
      this.outcomes.push(outcome);
      return outcome;
    };
    return store.request(call, options).then(
      (value) => settle({ value }),
      (error: unknown) => settle({ error }),
    );
  }

  /**
   * Counts, into the ledger, the requests that arrived before a cooldown had passed and the rows
   * of Table1 whose value was written more than once; returns both.
   */
  audit(): { cooldownViolations: number; duplicates: number } {
    const cooldownViolations = countCooldownViolations(
      this.harness.emulator.requests,
      this.cooldowns,
    );
    const duplicates = countDuplicateRows(this.harness);
    this.ledger.cooldownViolations(cooldownViolations);
    this.ledger.duplicates(duplicates);
    return { cooldownViolations, duplicates };
  }

  /**
   * Disposes the stores and counts the sessions they left behind: those live on the emulator the
   * moment disposal resolved, before any time passes (the emulator idles sessions out after 5 to
   * 7 minutes, so a count after the quiet period would see none), plus any session Graph makes
   * later, sampled each virtual minute of the ten quiet minutes that follow. Sessions a fault
   * declared gone were expired on the emulator when it was served, as Graph would have. Each one
   * left behind falls in one class:
   * - `unknowable`: its id never reached the client (a createSession answer cut or given up on);
   *   no store can close it (README, Limits);
   * - `leftToGraph`: the store reported giving up on closing it (`closed: false`) while a
   *   cooldown held it (README: no closeSession while a Retry-After lasts) or after Graph refused
   *   the close; the wire is checked for either;
   * - otherwise, beyond `allowedSessions` (sessions a test names the store as leaving to Graph,
   *   e.g. after a refused token), a leak.
   * Leaks also count any request sent in the quiet minutes (a timer, keep-alive or retry that
   * outlived the store), other than closes and the polls of a creation let go of. Only leaks go to the ledger; tests assert the
   * exact `unknowable` and `leftToGraph` counts.
   */
  async leaksAfterDispose(
    stores: readonly SessionStore[],
    options: LeakOptions = {},
  ): Promise<{ leaks: number; unknowable: number; leftToGraph: number }> {
    await Promise.all(stores.map((store) => store.dispose()));
    const liveNow = () => this.harness.emulator.sessions().map((session) => session.id);
    const left = new Set(liveNow());
    const sentAtDispose = this.harness.emulator.requests.length;
    if (vi.isFakeTimers()) {
      // A session Graph makes after disposal (a late createSession answer) is left behind too;
      // sampled every minute, it cannot idle out unseen.
      // Real I/O settles between steps, so an answer awaited after disposal does arrive.
      for (let minute = 0; minute < 10; minute += 1) {
        await passTime(60_000, 10_000);
        for (const id of liveNow()) left.add(id);
      }
    }
    // A session the store closed after disposal (a late one it awaited) is not left behind.
    for (const id of this.closedSessions()) if (!liveNow().includes(id)) left.delete(id);
    const learned = this.learnedSessions();
    const known = [...left].filter((id) => learned.has(id));
    const unknowable = left.size - known.length;
    const leftToGraph = known.filter((id) => this.gaveUpClosing(id, options.wire)).length;
    const unclosed = known.length - leftToGraph;
    const lateRequests = this.harness.emulator.requests
      .slice(sentAtDispose)
      .filter((request) => !FOLLOWED_AFTER_DISPOSE.has(request.route)).length;
    const leaks = Math.max(0, unclosed - (options.allowedSessions ?? 0)) + lateRequests;
    this.ledger.leaks(leaks);
    return { leaks, unknowable, leftToGraph };
  }

  /** Session ids Graph confirmed closing. */
  closedSessions(): Set<string> {
    const closes = this.harness.emulator.requestsTo("closeSession");
    return new Set(
      closes
        .filter((request) => request.answeredWith === 204 && request.sessionId !== null)
        .map((request) => request.sessionId as string),
    );
  }

  /** Session ids the client was seen to hold: in states, events, or sent in a request. */
  learnedSessions(): Set<string> {
    const ids = new Set<string>();
    for (const state of this.states) if (state.status === "active") ids.add(state.session.id);
    for (const event of this.events) {
      const id = (event as { sessionId?: unknown }).sessionId;
      if (typeof id === "string") ids.add(id);
    }
    for (const request of this.harness.emulator.requests) {
      if (request.sessionId !== null) ids.add(request.sessionId);
    }
    return ids;
  }

  /**
   * Whether the store reported not closing `id` for a reason the wire bears out: a cooldown was
   * running when it gave up (one the faults asked for, or one the `wire` saw), or a closeSession
   * for it was sent and not confirmed.
   */
  gaveUpClosing(id: string, wire?: WireRecorder): boolean {
    const gaveUp = this.events.filter(
      (event) => event.type === "closed" && event.sessionId === id && !event.closed,
    );
    if (gaveUp.length === 0) return false;
    const pauses = [
      ...this.cooldowns,
      ...(wire?.exchanges ?? [])
        .filter((exchange) => exchange.retryAfter !== null)
        .map((exchange) => ({
          from: exchange.answeredAt,
          until: exchange.answeredAt + retryAfterMs(exchange.retryAfter ?? "", exchange.answeredAt),
        })),
    ];
    const held = gaveUp.some((event) =>
      pauses.some((pause) => pause.from <= event.at && event.at < pause.until),
    );
    const refusedHere = this.harness.emulator
      .requestsTo("closeSession")
      .some((request) => request.sessionId === id && request.answeredWith !== 204);
    const refusedOnWire = (wire?.exchanges ?? []).some(
      (exchange) =>
        exchange.url.includes("closeSession") &&
        sessionHeader(exchange.headers) === id &&
        (exchange.status === null || exchange.status >= 300),
    );
    return held || refusedHere || refusedOnWire;
  }

  /**
   * Ends a test: disposes the stores, then audits everything observed. Every count of the result
   * should be zero, except `unknowable` and `leftToGraph`, which must equal what the test made;
   * `unsettled` counts calls handed over that never settled.
   */
  async finish(
    stores: readonly SessionStore[],
    options: LeakOptions & { console?: readonly string[] } = {},
  ): Promise<Audit> {
    const { leaks, unknowable, leftToGraph } = await this.leaksAfterDispose(stores, options);
    const { cooldownViolations, duplicates } = this.audit();
    const secrets = this.secrets([...(options.console ?? [])]);
    const unsettled = this.calls - this.settled;
    return { cooldownViolations, duplicates, leaks, leftToGraph, secrets, unknowable, unsettled };
  }

  /** Counts canary sightings in everything observed plus `extra`, into the ledger. */
  secrets(extra: unknown[] = []): number {
    const found = countSecrets([
      ...this.states,
      ...this.events,
      ...this.outcomes.map((outcome) => outcome.error),
      ...extra,
    ]);
    this.ledger.secretsFound(found);
    return found;
  }
}

/** What {@link Observation.finish} found; each count should be zero. */
export interface Audit {
  readonly cooldownViolations: number;
  readonly duplicates: number;
  readonly leaks: number;
  /** Sessions the store gave up closing while a cooldown held it or after a refused close. */
  readonly leftToGraph: number;
  readonly secrets: number;
  /** Sessions live on Graph whose id never reached the client (a documented limit, not a leak). */
  readonly unknowable: number;
  readonly unsettled: number;
}

/** How {@link Observation.leaksAfterDispose} judges the sessions left behind. */
export interface LeakOptions {
  /** Sessions the test names the store as knowingly leaving to Graph (e.g. a refused token). */
  readonly allowedSessions?: number;
  /** The wire of a client whose middleware may answer in Graph's place (the ChaosHandler). */
  readonly wire?: WireRecorder;
}

function sessionHeader(headers: Readonly<Record<string, string>>): string | undefined {
  const name = Object.keys(headers).find((key) => key.toLowerCase() === "workbook-session-id");
  return name === undefined ? undefined : headers[name];
}

/** The audit of a test in which nothing went wrong. */
export const CLEAN: Audit = {
  cooldownViolations: 0,
  duplicates: 0,
  leaks: 0,
  leftToGraph: 0,
  secrets: 0,
  unknowable: 0,
  unsettled: 0,
};

/**
 * Whether Graph gives this answer only for a session it no longer holds: an `invalidSession*`
 * code. (A 404 may name another missing item; 401 and other refusals leave the session to Graph.)
 */
export function declaresSessionGone(fault: Fault): boolean {
  if (fault.drop || fault.hang || (fault.status === undefined && fault.body === undefined)) {
    return false;
  }
  const codes = [fault.code, fault.innerCode, fault.innermostCode];
  return codes.some((code) => typeof code === "string" && /^invalidSession/i.test(code));
}

/** A `Retry-After` value as a client reads it, in ms from `now`; 0 when it asks for no pause. */
export function retryAfterMs(value: string | number | undefined, now: number): number {
  if (value === undefined) return 0;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const date = /^[A-Z][a-z]{2}, /.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? 0 : Math.max(0, date - now);
}

/** Requests that arrived after a throttled one but before its cooldown had passed. */
export function countCooldownViolations(
  requests: readonly RecordedRequest[],
  cooldowns: readonly Cooldown[],
): number {
  return requests.filter((request) =>
    cooldowns.some((pause) => request.seq > pause.seq && request.time < pause.until),
  ).length;
}

/** Rows of Table1 whose value appears more than once (each extra copy counts). */
export function countDuplicateRows(harness: Harness): number {
  const rows = harness.emulator.readTableRows(WORKBOOK_KEY, "Table1");
  const seen = new Map<string, number>();
  for (const row of rows) {
    const key = JSON.stringify(row);
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  let duplicates = 0;
  for (const [key, count] of seen) if (key.includes("#") && count > 1) duplicates += count - 1;
  return duplicates;
}

/** How many rows of Table1 hold `value`. */
export function rowsHolding(harness: Harness, value: string): number {
  const rows = harness.emulator.readTableRows(WORKBOOK_KEY, "Table1");
  return rows.filter((row) => row.includes(value)).length;
}

/** A write whose value is unique to the test: `tag#n`, so duplicates can be found. */
export const uniqueRow = (tag: string, n: number) => (session: SessionContext) =>
  session.api("/tables('Table1')/rows/add").post({ values: [[`${tag}#${n}`]] });

/**
 * Every place the canary shows in `values`: their JSON, `inspect` output, and for errors their
 * message, `toString()` and stack.
 */
export function countSecrets(values: readonly unknown[], secret = CANARY_TOKEN): number {
  let found = 0;
  for (const value of values) {
    for (const text of renderings(value)) if (text.includes(secret)) found += 1;
  }
  return found;
}

function renderings(value: unknown): string[] {
  const texts = [inspect(value, { depth: 8, showHidden: true })];
  try {
    texts.push(JSON.stringify(value) ?? "");
  } catch {
    texts.push("");
  }
  if (value instanceof Error) {
    texts.push(value.message, String(value), value.stack ?? "");
    const cause: unknown = (value as { cause?: unknown }).cause;
    if (cause !== undefined) texts.push(inspect(cause, { depth: 8 }));
  } else if (typeof value === "string") {
    texts.push(value);
  }
  return texts;
}

/*
 * What a store may still send after dispose(): closes, and the polls of a long-running
 * creation it let go of, followed to close the session that creation makes.
 */
export const FOLLOWED_AFTER_DISPOSE: ReadonlySet<string> = new Set([
  "closeSession",
  "operation",
  "sessionInfo",
]);

const CONSOLE_METHODS = ["log", "info", "warn", "error", "debug", "trace"] as const;

/**
 * Captures every console line of each test (nothing is printed), readable through the returned
 * array, which is emptied before each test.
 */
export function useConsoleCapture(): string[] {
  const lines: string[] = [];
  beforeEach(() => {
    lines.length = 0;
    for (const method of CONSOLE_METHODS) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map((arg) => (typeof arg === "string" ? arg : inspect(arg))).join(" "));
      });
    }
  });
  afterEach(() => {
    for (const method of CONSOLE_METHODS) vi.mocked(console[method]).mockRestore?.();
  });
  return lines;
}

/** The statuses a store went through, consecutive repeats merged. */
export function path(states: readonly SessionState[]): string[] {
  return states
    .map((state) => state.status)
    .filter((status, index, all) => index === 0 || all[index - 1] !== status);
}

/** One request as it left the Graph client's chain, and how it was answered. */
export interface WireExchange {
  /** Virtual time the request was sent. */
  readonly time: number;
  readonly method: string;
  readonly url: string;
  /** Header names as the client wrote them (casing kept), with their values. */
  readonly headers: Readonly<Record<string, string>>;
  /** Order in which requests were sent and answers came back, on one counter. */
  readonly sentOrder: number;
  answeredOrder: number;
  /** Virtual time the answer came back. */
  answeredAt: number;
  status: number | null;
  retryAfter: string | null;
  /** Whether the Graph client's ChaosHandler made the answer up. */
  chaos: boolean;
}

/**
 * A middleware that notes every request passing through it and the answer that comes back,
 * including answers made up by middleware placed after it.
 */
export class WireRecorder implements Middleware {
  readonly exchanges: WireExchange[] = [];
  #next: Middleware | undefined;
  #order = 0;

  async execute(context: Context): Promise<void> {
    const request = context.request;
    const entry: WireExchange = {
      time: Date.now(),
      method: context.options?.method ?? "GET",
      url: typeof request === "string" ? request : request.url,
      headers: headerRecord(context.options?.headers),
      sentOrder: ++this.#order,
      answeredOrder: Number.POSITIVE_INFINITY,
      answeredAt: Number.POSITIVE_INFINITY,
      status: null,
      retryAfter: null,
      chaos: false,
    };
    this.exchanges.push(entry);
    try {
      await this.#next?.execute(context);
    } finally {
      const response = context.response;
      entry.answeredOrder = ++this.#order;
      entry.answeredAt = Date.now();
      entry.status = response?.status ?? null;
      entry.retryAfter = response?.headers.get("retry-after") ?? null;
      entry.chaos = response?.headers.has("x-ms-ags-diagnostic") ?? false;
    }
  }

  setNext(next: Middleware): void {
    this.#next = next;
  }

  /**
   * Requests sent after an answer with `Retry-After` had arrived but before its pause had
   * passed. A request already on its way when that answer came could not have known of it.
   */
  cooldownViolations(): number {
    const pauses = this.exchanges.filter((exchange) => exchange.retryAfter !== null);
    return this.exchanges.filter((exchange) =>
      pauses.some(
        (pause) =>
          exchange.sentOrder > pause.answeredOrder &&
          exchange.time < pause.answeredAt + retryAfterMs(pause.retryAfter ?? "", pause.answeredAt),
      ),
    ).length;
  }
}

function headerRecord(headers: unknown): Record<string, string> {
  if (headers === undefined || headers === null) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers.entries());
  if (Array.isArray(headers)) return Object.fromEntries(headers as [string, string][]);
  return { ...(headers as Record<string, string>) };
}

/**
 * The real Graph client as {@link createEmulatorClient} builds it (authentication with the
 * canary token, the client's own retry handler at its defaults, telemetry), with `extra`
 * middleware and a {@link WireRecorder} placed just before the handler that forwards to the
 * emulator.
 */
export function wiredClient(
  harness: Harness,
  extra: readonly Middleware[] = [],
): { client: Client; wire: WireRecorder } {
  const graphBaseUrl = "https://graph.microsoft.com/";
  const wire = new WireRecorder();
  const client = Client.initWithMiddleware({
    baseUrl: graphBaseUrl,
    customHosts: new Set(["graph.microsoft.com"]),
    middleware: [
      new AuthenticationHandler({ getAccessToken: async () => CANARY_TOKEN }),
      new RetryHandler(new RetryHandlerOptions()),
      new TelemetryHandler(),
      wire,
      ...extra,
      new EmulatorForwardingHandler(harness.emulator.url, graphBaseUrl),
    ],
  });
  return { client, wire };
}
