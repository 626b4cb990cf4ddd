import {
  defer,
  type Observable,
  of,
  race,
  type SchedulerLike,
  Subject,
  switchMap,
  take,
  timer,
} from "rxjs";
import type { PeerChannel, PeerMessageEvent } from "../environment/peer-channel";
import { WorkbookError } from "../errors/workbook-error";

/** The code of an attempt not sent because another store's attempt had just failed. */
export const PEER_FAILED_CODE = "peerFailed";

const TRYING = "graph-workbook-session/create-trying";
const FAILED = "graph-workbook-session/create-failed";
const CREATED = "graph-workbook-session/created";
/** This store no longer waits for an attempt it told of: abandoned, or the store is gone. */
const STOPPED = "graph-workbook-session/create-stopped";

/** A createSession failure another store told of, as this store heard it. */
interface HeardFailure {
  /** When it was heard, in the scheduler's ms. */
  readonly at: number;
  readonly kind: "transient" | "throttled";
  readonly status: number | null;
  readonly code: string | null;
  readonly retryAfterMs: number | null;
}

/** What this store's createSession attempt should do now. */
export type Standing =
  | { readonly kind: "send" }
  /** Fail as the attempt another store just made failed. */
  | { readonly kind: "failed"; readonly error: WorkbookError }
  /** Another store's attempt is on the wire: ask again once `changed$` emits. */
  | { readonly kind: "wait"; readonly changed$: Observable<unknown> };

export interface PeerOutagesConfig {
  readonly channel: PeerChannel;
  /** The Graph host and workbook the store opens: messages about others are ignored. */
  readonly workbook: string;
  /** Close the channel on dispose: the store opened it. */
  readonly owned: boolean;
  /**
   * Every store of a group must read the same clock (the page's, in a browser):
   * messages carry times, which other stores compare with their own.
   */
  readonly scheduler: SchedulerLike;
  /**
   * How long another store's failure stands for this store's own attempts, and
   * the longest random spread after another store's success, in ms.
   */
  readonly window: number;
  /** How long another store's attempt may stay on the wire before it no longer counts, in ms. */
  readonly attemptTimeout: number;
  /** The longest Retry-After the store waits out; a longer one heard is not taken up. */
  readonly maxRetryAfter: number;
  readonly random: () => number;
}

const SEND: Standing = { kind: "send" };

/**
 * What the stores of one workbook tell each other about `createSession`, so
 * that many tabs meet an outage like one tab does.
 *
 * Each store says when it sends an attempt, how it failed, and when it got a
 * session. While an outage is known (a failure heard or met since the last
 * success), an attempt waits for another store's attempt on the wire, and an
 * attempt due less than `window` ms after another store's attempt failed (or
 * while that failure's Retry-After lasts) is not sent and fails the same way.
 * Once any store gets a session the others stop waiting and try again, spread
 * over `window`; a failure of an attempt sent before that success is old news
 * and ignored. Only an attempt that really met Graph is told.
 */
export class PeerOutages {
  readonly #config: PeerOutagesConfig;
  /** Names this store in messages, so that the others can match an outcome with its attempt. */
  readonly #id = Math.random().toString(36).slice(2);
  readonly #recovered = new Subject<void>();
  /** Emits on every message heard for the workbook: true for a success, false otherwise. */
  readonly #changed = new Subject<boolean>();
  /** Other stores' attempts on the wire: until when each still counts, in the scheduler's ms. */
  readonly #onTheWire = new Map<string, number>();
  #failure: HeardFailure | null = null;
  /** A failure was met or heard since the last success: Graph is having trouble. */
  #outage = false;
  /** When a store of the group last got a session, in the scheduler's ms. */
  #createdAt = Number.NEGATIVE_INFINITY;
  /** The others were told of an attempt of this store whose outcome they have not heard. */
  #toldTrying = false;
  /** This store holds the channel for its workbook. */
  #claimed = false;

  readonly #listener = (event: PeerMessageEvent) => this.#hearSafely(event);

  /**
   * Throws a TypeError when the channel serves another live store of the same
   * workbook, or cannot be listened to.
   */
  constructor(config: PeerOutagesConfig) {
    this.#config = config;
    claim(config.channel, config.workbook);
    this.#claimed = true;
    try {
      config.channel.addEventListener("message", this.#listener);
    } catch (error) {
      this.release();
      throw new TypeError("peers could not be listened to: its addEventListener threw.", {
        cause: error,
      });
    }
  }

  /** What an attempt of this store should do now. */
  standing(): Standing {
    const failure = this.#recentFailure();
    if (failure !== null) return { kind: "failed", error: failure };
    if (!this.#outage) return SEND;

    const until = this.#lastOnTheWire();
    if (until === null) return SEND;
    const changed$ = race(
      this.#changed.pipe(
        take(1),
        switchMap((recovered) => (recovered ? this.#spread() : of(0))),
      ),
      timer(until - this.#now(), this.#config.scheduler),
    );
    return { kind: "wait", changed$ };
  }

  /**
   * Emits once another store got a session after `since` (at once if one
   * already did), after a random share of `window`.
   */
  recoveredAfter(since: () => number): Observable<unknown> {
    return defer(() =>
      this.#createdAt > since()
        ? this.#spread()
        : this.#recovered.pipe(
            take(1),
            switchMap(() => this.#spread()),
          ),
    );
  }

  /* After a success, the others try again spread over `window`, not in one instant. */
  #spread(): Observable<unknown> {
    return timer(Math.floor(this.#config.random() * this.#config.window), this.#config.scheduler);
  }

  /**
   * Tells the other stores, while Graph is having trouble, that this store
   * sends an attempt now; returns the time.
   */
  tellTrying(): number {
    if (this.#outage) {
      this.#post({ type: TRYING });
      this.#toldTrying = true;
    }
    return this.#now();
  }

  /** Tells the other stores that the attempt this store sent at `triedAt` failed with `error`. */
  tellFailed(error: WorkbookError, triedAt: number): void {
    if (!worthTelling(error) || triedAt < this.#createdAt) {
      this.tellStopped();
      return;
    }
    this.#toldTrying = false;
    this.#outage = true;
    this.#post({
      type: FAILED,
      triedAt,
      kind: error.kind,
      status: error.status,
      code: error.code,
      retryAfterMs: error.retryAfterMs,
    });
  }

  /**
   * Tells the other stores that this store got a session. Always: a store that
   * opened after the outage was last reported heard nothing of it, while others
   * may still be waiting out a long backoff.
   */
  tellCreated(): void {
    const at = this.#now();
    this.#toldTrying = false;
    this.#recover(at);
    this.#post({ type: CREATED, at });
  }

  /** Tells the other stores that an attempt this store told of will tell them nothing more. */
  tellStopped(): void {
    if (this.#toldTrying) this.#post({ type: STOPPED });
    this.#toldTrying = false;
  }

  /** Lets another store of the workbook have the channel; done first when a store is disposed. */
  release(): void {
    // Once only: by the second call another store of the workbook may hold the channel.
    if (!this.#claimed) return;
    this.#claimed = false;
    release(this.#config.channel, this.#config.workbook);
  }

  dispose(): void {
    this.tellStopped();
    this.release();
    try {
      this.#config.channel.removeEventListener("message", this.#listener);
      if (this.#config.owned) (this.#config.channel as { close?: () => void }).close?.();
    } catch {
      // A channel that fails to let go must not keep the store from being disposed.
    }
    this.#recovered.complete();
    this.#changed.complete();
  }

  #now(): number {
    return this.#config.scheduler.now();
  }

  /** Another store's failure, as the outcome of this store's attempt now; null if none stands. */
  #recentFailure(): WorkbookError | null {
    const failure = this.#failure;
    if (failure === null) return null;

    const age = this.#now() - failure.at;
    const stands = Math.max(this.#config.window, failure.retryAfterMs ?? 0);
    if (age < 0 || age >= stands) return null;
    return peerFailed(failure, age);
  }

  /** Until when the latest attempt of another store on the wire counts; null if there is none. */
  #lastOnTheWire(): number | null {
    const now = this.#now();
    let last: number | null = null;
    for (const [id, until] of this.#onTheWire) {
      if (until <= now) this.#onTheWire.delete(id);
      else last = Math.max(last ?? until, until);
    }
    return last;
  }

  #recover(at: number): void {
    this.#createdAt = Math.max(this.#createdAt, at);
    this.#failure = null;
    this.#outage = false;
    // Graph answers again: no attempt of another store is worth waiting for now.
    this.#onTheWire.clear();
  }

  #post(message: Record<string, unknown>): void {
    try {
      this.#config.channel.postMessage({
        ...message,
        workbook: this.#config.workbook,
        from: this.#id,
      });
    } catch {
      // A closed or broken channel costs the group its coordination, nothing more.
    }
  }

  /* A channel may hand over anything, even an object whose getters throw. */
  #hearSafely(event: PeerMessageEvent): void {
    try {
      this.#hear(event.data);
    } catch {
      // What cannot be read is not a message of this library.
    }
  }

  #hear(data: unknown): void {
    const message = readEnvelope(data, this.#config.workbook);
    if (message === null) return;
    const { type, from } = message;

    if (type === TRYING) {
      this.#lastOnTheWire(); // drops attempts past their time, so the map stays small
      this.#onTheWire.set(from, this.#now() + this.#config.attemptTimeout);
    } else if (type === STOPPED) {
      this.#onTheWire.delete(from);
    } else if (type === CREATED) {
      this.#onTheWire.delete(from);
      this.#recover(heardTime(message.at, this.#now()));
      this.#recovered.next();
    } else if (type === FAILED) {
      this.#onTheWire.delete(from);
      this.#takeFailure(message);
    } else {
      return;
    }
    this.#changed.next(type === CREATED);
  }

  #takeFailure(message: Record<string, unknown>): void {
    const failure = readFailure(message, this.#now());
    if (failure === null || !Number.isFinite(message.triedAt)) return;
    // An attempt sent before the group last got a session says nothing about Graph now.
    if (heardTime(message.triedAt, this.#now()) < this.#createdAt) return;
    // A cooldown longer than this store waits out is not taken on hearsay: the
    // store tries, and meets that cooldown itself if it is real.
    if ((failure.retryAfterMs ?? 0) > this.#config.maxRetryAfter) return;

    this.#failure = failure;
    this.#outage = true;
  }
}

/*
 * A time another store sent, on the clock the group shares: a value that is not
 * a finite number counts as now, and none may lie ahead of now, so one odd
 * message cannot make a store ignore the others for good.
 */
function heardTime(value: unknown, now: number): number {
  return typeof value === "number" && Number.isFinite(value) ? Math.min(value, now) : now;
}

/** The workbooks each channel serves a live store for. */
const channelsInUse = new WeakMap<PeerChannel, Set<string>>();

/*
 * A channel never hears its own messages, so two stores of one workbook on one
 * channel object would never hear each other: refused rather than left silent.
 * Stores of different workbooks may share one, since messages name theirs.
 */
function claim(channel: PeerChannel, workbook: string): void {
  const workbooks = channelsInUse.get(channel) ?? new Set<string>();
  if (workbooks.has(workbook)) {
    throw new TypeError(
      "peers is already the channel of another store of this workbook; give each store a " +
        "channel object of its own (a BroadcastChannel never hears its own messages).",
    );
  }
  workbooks.add(workbook);
  channelsInUse.set(channel, workbooks);
}

function release(channel: PeerChannel, workbook: string): void {
  channelsInUse.get(channel)?.delete(workbook);
}

/* Only failures that met Graph, and that a retry could get past, say anything about Graph. */
function worthTelling(error: WorkbookError): boolean {
  if (error.operation !== "createSession" || !error.retryable) return false;
  return error.code !== PEER_FAILED_CODE && error.code !== "cooldown";
}

/*
 * Messages come from other tabs, perhaps running another version of this
 * library: anything that is not exactly the expected shape is ignored.
 */
function readEnvelope(
  data: unknown,
  workbook: string,
): (Record<string, unknown> & { type: string; from: string }) | null {
  if (typeof data !== "object" || data === null) return null;
  const message = data as Record<string, unknown>;
  if (message.workbook !== workbook || typeof message.type !== "string") return null;
  if (typeof message.from !== "string" || message.from.length > 64) return null;
  return message as Record<string, unknown> & { type: string; from: string };
}

function readFailure(message: Record<string, unknown>, at: number): HeardFailure | null {
  const { kind, status, code, retryAfterMs } = message;
  if (kind !== "transient" && kind !== "throttled") return null;

  const validStatus =
    status === null || (Number.isInteger(status) && Number(status) >= 100 && Number(status) <= 599);
  const validCode = code === null || (typeof code === "string" && /^[\w.-]{1,64}$/.test(code));
  const validCooldown =
    retryAfterMs === null ||
    (typeof retryAfterMs === "number" && retryAfterMs >= 0 && retryAfterMs < Infinity);
  if (!validStatus || !validCode || !validCooldown) return null;

  return {
    at,
    kind,
    status: status as number | null,
    code: code as string | null,
    retryAfterMs: retryAfterMs as number | null,
  };
}

function peerFailed(failure: HeardFailure, age: number): WorkbookError {
  const answer =
    failure.status === null ? "no answer" : `${failure.status} ${failure.code ?? ""}`.trim();
  return new WorkbookError({
    kind: failure.kind,
    operation: "createSession",
    status: failure.status,
    code: PEER_FAILED_CODE,
    innerCode: null,
    retryAfterMs: failure.retryAfterMs === null ? null : Math.max(0, failure.retryAfterMs - age),
    detail:
      `Not sent: another store of this workbook (in another tab, or in this page) got ` +
      `${answer} from createSession ${Math.round(age)} ms ago, so this attempt counts as ` +
      "failed the same way. The stores take turns trying until one gets a session.",
  });
}
