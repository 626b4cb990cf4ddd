import { describeValue } from "../options/read-option";
import type { Fault } from "./fault";
import { invalid, readCount, readRecord, refuseUnknownKeys } from "./read-setting";

/** Options of {@link rateLimitFault}. */
export interface RateLimitOptions {
  /** Requests let through per window before the fault starts answering. */
  readonly limit: number;
  /** Length of the sliding window, in ms of the emulator clock. Default 1000. */
  readonly windowMs?: number;
  /** `Retry-After` value sent with each 429, verbatim. Default: no header. */
  readonly retryAfter?: string | number;
  /** Only requests this predicate accepts are counted and limited. Default: all. */
  readonly match?: Fault["match"];
}

/**
 * A fault that never runs out and answers 429 `tooManyRequests` / `tooManyRequestsUncategorized`
 * to every request beyond `limit` within a sliding window; refused requests do not count towards
 * the window. Queue it with `emulator.fault(route, rateLimitFault({ … }))`.
 */
export function rateLimitFault(options: RateLimitOptions): Fault {
  const { limit, windowMs } = checkLimits(options);
  const accepted: number[] = [];
  const isOverLimit = (time: number): boolean => {
    while (accepted.length > 0 && time - (accepted[0] ?? time) >= windowMs) accepted.shift();
    if (accepted.length >= limit) return true;

    accepted.push(time);
    return false;
  };
  return {
    status: 429,
    times: Number.POSITIVE_INFINITY,
    ...(options.retryAfter === undefined ? {} : { retryAfter: options.retryAfter }),
    match: (request) => (options.match?.(request) ?? true) && isOverLimit(request.time),
  };
}

/** Checks the numbers here; `fault()` checks `retryAfter` and `match` when the fault is queued. */
function checkLimits(options: unknown): { limit: number; windowMs: number } {
  const record = readRecord(options, "rateLimitFault's options") ?? {};
  const known = ["limit", "windowMs", "retryAfter", "match"];
  refuseUnknownKeys(record, known, "rateLimitFault", "option");

  const limit = readCount(record.limit, "rateLimitFault's limit", { unit: "requests" });
  if (limit === undefined) {
    throw new TypeError(
      "rateLimitFault needs a limit, the whole number of requests let through per window.",
    );
  }
  return { limit, windowMs: checkWindow(record.windowMs) };
}

/** The window is measured on the emulator clock, not waited for, so no timer limit applies. */
function checkWindow(value: unknown): number {
  if (value === undefined) return 1000;
  if (typeof value === "number" && Number.isFinite(value) && value > 0) return value;
  throw invalid(
    value,
    `rateLimitFault's windowMs must be a finite number of milliseconds > 0, ` +
      `got ${describeValue(value)}.`,
  );
}
