import type { RecordedRequest } from "./recorded-request";
import type { RouteName } from "./route-name";

/** A Graph error object: a code, a message and optionally a more specific nested error. */
export interface FaultError {
  /** Error code, for example `internalServerError`. */
  readonly code: string;
  /** Human-readable message; a generic one is used when omitted. */
  readonly message?: string;
  /** The next, more specific level of the error. */
  readonly innerError?: FaultError;
}

/**
 * One scripted misbehaviour of a route. A fault with only `delayMs` (and optionally `headers`)
 * delays the request and then serves it normally, adding those headers; any other field makes the
 * emulator answer with the fault instead of the route. `fault()` checks every field when the fault
 * is queued and throws a TypeError or RangeError naming the field, and keeps a copy of it. It also
 * throws a RangeError for a fault that changes nothing (only `match` and `times`, a `delayMs` of 0,
 * empty `headers`) and for `hang` or `drop` with a field they would leave unused.
 */
export interface Fault {
  /** HTTP status to answer with, an integer from 200 to 599. Default 500 when the fault answers. */
  readonly status?: number;
  /** Top-level error code. Default: the code Graph documents for `status`. */
  readonly code?: string;
  /**
   * Second-level (`innerError`) code. Default: the code Graph documents for `status`; `null`
   * sends an `innerError` without any code, as Graph does for some 502/503 answers.
   */
  readonly innerCode?: string | null;
  /** Third-level code nested inside the second level, for example `GenericFileOpenError`. */
  readonly innermostCode?: string;
  /** Top-level error message. Default: a generic message for `status`. */
  readonly message?: string;
  /**
   * Value of the `Retry-After` header, sent verbatim: seconds (`5`, `"2.128"`) or an HTTP date.
   * A number must be finite and ≥ 0; any other value can be sent as a string, which must not hold
   * line breaks, control characters or characters past U+00FF. Default: no header.
   */
  readonly retryAfter?: string | number;
  /**
   * Extra response headers: names are HTTP tokens, values strings without line breaks, control
   * characters or characters past U+00FF. Default: none.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** Raw body sent verbatim instead of the Graph error envelope, e.g. HTML or broken JSON. */
  readonly body?: string;
  /**
   * Content type of the answer. Default `application/json` for the envelope and
   * `text/plain; charset=utf-8` for a raw `body`.
   */
  readonly contentType?: string;
  /**
   * Wait this many ms (0 up to 2147483647, the longest timer delay) before answering, with the
   * global `setTimeout` (fake timers drive it).
   */
  readonly delayMs?: number;
  /**
   * Never answer; the socket stays open until the client gives up or the emulator closes. Goes
   * with `delayMs`, `match` and `times` only, as no answer is ever sent.
   */
  readonly hang?: true;
  /**
   * Destroy the socket without sending any response. Goes with `delayMs`, `match` and `times`
   * only, as no answer is ever sent.
   */
  readonly drop?: true;
  /**
   * Reset the connection mid-response: send the status line and headers (announcing the whole
   * body's `content-length`), then only this many bytes (an integer ≥ 0) of the body, then
   * destroy the socket; `0` resets right after the headers. With answering fields it cuts that
   * answer; alone (or with `delayMs` and `headers`) it cuts the route's own answer, whose work
   * has then been done.
   */
  readonly truncateAfter?: number;
  /** Only requests this predicate accepts consume the fault. Default: every request. */
  readonly match?: (request: RecordedRequest) => boolean;
  /** How many requests the fault applies to; `Infinity` for all of them. Default 1. */
  readonly times?: number;
}

/** A route name, or `"*"` for faults that apply to requests on every route. */
export type FaultTarget = RouteName | "*";
