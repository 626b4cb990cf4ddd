import { type Observable, type SchedulerLike, Subject, switchMap, timer } from "rxjs";
import type { PeerChannel, PeerMessageEvent } from "../environment/peer-channel";
import type { ErrorKind } from "../errors/error-kind";
import { WorkbookError } from "../errors/workbook-error";

/** The code of an attempt not sent because another store's attempt had just failed. */
export const PEER_FAILED_CODE = "peerFailed";

const FAILED = "graph-workbook-session/create-failed";
const CREATED = "graph-workbook-session/created";

/** A createSession failure another store told of, as this store heard it. */
interface HeardFailure {
  /** When it was heard, in the scheduler's ms. */
  readonly at: number;
  readonly kind: "transient" | "throttled";
  readonly status: number | null;
  readonly code: string | null;
  readonly retryAfterMs: number | null;
}

export interface PeerOutagesConfig {
  readonly channel: PeerChannel;
  /** The Graph host and workbook the store opens: messages about others are ignored. */
  readonly workbook: string;
  /** The longest Retry-After the store waits out; a longer one heard is not taken up. */
  readonly maxRetryAfter: number;
  /** Close the channel on dispose: the store opened it. */
  readonly owned: boolean;
  readonly scheduler: SchedulerLike;
  /**
   * How long another store's failure stands for this store's own attempts, and
   * the longest random spread after another store's success, in ms.
   */
  readonly window: number;
  readonly random: () => number;
}

/**
 * What the stores of one workbook tell each other about `createSession`, so
 * that many tabs meet an outage like one tab does: an attempt that comes due
 * less than `window` ms after another store's attempt failed (or while that
 * failure's Retry-After lasts) is not sent and fails the same way, and once
 * any store gets a session the others stop waiting and try again, spread over
 * `window`. Only an attempt that really met Graph is told.
 */
export class PeerOutages {
  readonly #config: PeerOutagesConfig;
  readonly #recovered = new Subject<void>();
  #failure: HeardFailure | null = null;
  /** A failure was told or heard since the last success told: peers may be waiting. */
  #outageSeen = false;

  readonly #listener = (event: PeerMessageEvent) => this.#hear(event.data);

  /** Emits when another store has just got a session, after a random share of `window`. */
  readonly recovered$: Observable<unknown>;

  constructor(config: PeerOutagesConfig) {
    this.#config = config;
    const { scheduler, window, random } = config;
    this.recovered$ = this.#recovered.pipe(
      switchMap(() => timer(Math.floor(random() * window), scheduler)),
    );
    config.channel.addEventListener("message", this.#listener);
  }

  /** Another store's failure, as the outcome of this store's attempt now; null to send it. */
  recentFailure(): WorkbookError | null {
    const failure = this.#failure;
    if (failure === null) return null;

    const age = this.#config.scheduler.now() - failure.at;
    const stands = Math.max(this.#config.window, failure.retryAfterMs ?? 0);
    if (age < 0 || age >= stands) return null;
    return peerFailed(failure, age);
  }

  /** Tells the other stores that a createSession that met Graph failed with `error`. */
  tellFailed(error: WorkbookError): void {
    if (!worthTelling(error)) return;
    this.#outageSeen = true;
    this.#post({
      type: FAILED,
      workbook: this.#config.workbook,
      kind: error.kind,
      status: error.status,
      code: error.code,
      retryAfterMs: error.retryAfterMs,
    });
  }

  /** Tells the other stores that a session was created, when any of them may be waiting. */
  tellCreated(): void {
    this.#failure = null;
    if (!this.#outageSeen) return;
    this.#outageSeen = false;
    this.#post({ type: CREATED, workbook: this.#config.workbook });
  }

  dispose(): void {
    this.#config.channel.removeEventListener("message", this.#listener);
    if (this.#config.owned) (this.#config.channel as { close?: () => void }).close?.();
    this.#recovered.complete();
  }

  #post(message: object): void {
    try {
      this.#config.channel.postMessage(message);
    } catch {
      // A closed or broken channel costs the group its coordination, nothing more.
    }
  }

  #hear(data: unknown): void {
    if (typeof data !== "object" || data === null) return;
    const message = data as Record<string, unknown>;
    if (message.workbook !== this.#config.workbook) return;

    if (message.type === CREATED) {
      this.#failure = null;
      this.#outageSeen = false;
      this.#recovered.next();
      return;
    }
    if (message.type !== FAILED) return;

    const failure = readFailure(message, this.#config.scheduler.now());
    // A cooldown longer than this store waits out is not taken on hearsay: the
    // store tries, and meets that cooldown itself if it is real.
    if (failure === null || (failure.retryAfterMs ?? 0) > this.#config.maxRetryAfter) return;
    this.#failure = failure;
    this.#outageSeen = true;
  }
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
function readFailure(message: Record<string, unknown>, at: number): HeardFailure | null {
  const { kind, status, code, retryAfterMs } = message;
  if (kind !== "transient" && kind !== "throttled") return null;

  const validStatus =
    status === null ||
    (Number.isInteger(status) && (status as number) >= 100 && (status as number) <= 599);
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
  const kind: ErrorKind = failure.kind;
  return new WorkbookError({
    kind,
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
