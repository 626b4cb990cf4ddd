import type { Fault } from "./fault";

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
  const windowMs = options.windowMs ?? 1000;
  const accepted: number[] = [];
  const isOverLimit = (time: number): boolean => {
    while (accepted.length > 0 && time - (accepted[0] ?? time) >= windowMs) accepted.shift();
    if (accepted.length >= options.limit) return true;

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
