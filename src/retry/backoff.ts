import type { WorkbookError } from "../errors/workbook-error";
import { describeValue, readDelay } from "../options/read-option";

/**
 * How often and how long to wait before sending a failed request again.
 *
 * Waits grow exponentially with "equal jitter" by default: half of each wait is fixed and half
 * random, which spreads many clients apart while keeping every retry a real pause, as Graph
 * asks of throttled clients. Every delay option is at most 2_147_483_647 ms, the longest wait a
 * JavaScript timer supports.
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 * @see https://learn.microsoft.com/en-us/graph/throttling
 */
export interface BackoffOptions {
  /**
   * Retries after the first attempt, an integer ≥ 0. Default 5, so at most 6 attempts; with
   * the default delays the retries span 15.5 to 31 s.
   */
  retries?: number;
  /**
   * The longest wait before the first retry (jitter picks the wait at or below it), doubled
   * for each later retry, in ms. Default 1000.
   */
  baseDelay?: number;
  /** The longest computed wait for one retry, in ms. Default 30_000. */
  maxDelay?: number;
  /**
   * `"equal"` waits half the computed wait plus a uniformly random share of the other half;
   * `"full"` waits a uniformly random time between 0 and the computed wait (except after a
   * throttling error with no readable cooldown, which always waits at least half); `"none"`
   * waits exactly the computed wait. Default `"equal"`.
   */
  jitter?: Jitter;
  /**
   * The longest cooldown the server may ask for (Retry-After) that is still waited out, in ms.
   * A longer one ends the retries at once with the throttling error, since a cooldown is never
   * shortened. Default 300_000 (5 minutes).
   */
  maxRetryAfter?: number;
}

/** How much of each backoff wait is random; see {@link BackoffOptions.jitter}. */
export type Jitter = "equal" | "full" | "none";

const JITTERS: readonly Jitter[] = ["equal", "full", "none"];

/** {@link BackoffOptions} checked and with every default filled in. */
export interface ResolvedBackoff {
  retries: number;
  baseDelay: number;
  maxDelay: number;
  jitter: Jitter;
  maxRetryAfter: number;
}

/** The default backoff policy. */
export const DEFAULT_BACKOFF: Readonly<ResolvedBackoff> = Object.freeze({
  retries: 5,
  baseDelay: 1000,
  maxDelay: 30_000,
  jitter: "equal",
  maxRetryAfter: 300_000,
});

/**
 * Checks `options` and fills in the defaults. Throws a TypeError for a value of the wrong
 * type and a RangeError for one out of range, naming the option as `${optionName}.key`.
 * Keys it does not know are ignored. `optionName` defaults to `"options"`.
 */
export function resolveBackoff(
  options: BackoffOptions | undefined,
  optionName = "options",
): ResolvedBackoff {
  if (options === undefined) return { ...DEFAULT_BACKOFF };
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${optionName} must be an object, got ${describeValue(options)}.`);
  }

  const policy: ResolvedBackoff = {
    retries: readRetries(options.retries, `${optionName}.retries`),
    baseDelay: readDelay(options.baseDelay, `${optionName}.baseDelay`, DEFAULT_BACKOFF.baseDelay),
    maxDelay: readDelay(options.maxDelay, `${optionName}.maxDelay`, DEFAULT_BACKOFF.maxDelay),
    jitter: readJitter(options.jitter, `${optionName}.jitter`),
    maxRetryAfter: readDelay(
      options.maxRetryAfter,
      `${optionName}.maxRetryAfter`,
      DEFAULT_BACKOFF.maxRetryAfter,
    ),
  };
  if (policy.baseDelay > policy.maxDelay) {
    throw new RangeError(
      `${optionName}.baseDelay must not exceed ${optionName}.maxDelay, ` +
        `got ${policy.baseDelay} > ${policy.maxDelay}${defaultNamed(options, optionName)}.`,
    );
  }
  return policy;
}

/* Names the delay left at its default, which the caller may not know it has to raise or lower. */
function defaultNamed(options: BackoffOptions, optionName: string): string {
  if (options.maxDelay === undefined) return ` (the default ${optionName}.maxDelay); set it too`;
  if (options.baseDelay === undefined) return ` (the default ${optionName}.baseDelay); set it too`;
  return "";
}

/**
 * The computed wait before retry number `retryIndex + 1` (0 for the first retry), in whole ms.
 * Its ceiling is `min(maxDelay, baseDelay · 2^retryIndex)`; with equal jitter the wait is a
 * uniformly random whole number between half the ceiling and the ceiling, with full jitter
 * between 0 and the ceiling. `random` returns a number in [0, 1).
 */
export function backoffDelay(
  retryIndex: number,
  policy: ResolvedBackoff,
  random: () => number,
  jitter: Jitter = policy.jitter,
): number {
  const ceiling = backoffCeiling(retryIndex, policy);
  if (jitter === "none") return ceiling;

  const floor = jitter === "equal" ? Math.ceil(ceiling / 2) : 0;
  return Math.min(ceiling, floor + Math.floor(clampUnit(random()) * (ceiling - floor + 1)));
}

/**
 * The wait before sending the request that failed with `error` again, in whole ms: the
 * backoff wait, but never shorter than the server's cooldown (`error.retryAfterMs`). Null
 * when that cooldown exceeds `policy.maxRetryAfter`, meaning: give up now. A throttling error
 * without a cooldown waits at least half the backoff ceiling.
 */
export function nextDelay(
  error: WorkbookError,
  retryIndex: number,
  policy: ResolvedBackoff,
  random: () => number,
): number | null {
  // Graph asks throttled clients not to retry at once, and browsers cannot read its
  // Retry-After (CORS does not expose it), so full jitter must not wait next to nothing here.
  if (error.retryAfterMs === null && error.kind === "throttled" && policy.jitter === "full") {
    return backoffDelay(retryIndex, policy, random, "equal");
  }

  const cooldown = Math.ceil(error.retryAfterMs ?? 0);
  if (cooldown > policy.maxRetryAfter) return null;
  return Math.max(backoffDelay(retryIndex, policy, random), cooldown);
}

/** `min(maxDelay, baseDelay · 2^retryIndex)`, in whole ms. */
function backoffCeiling(retryIndex: number, policy: ResolvedBackoff): number {
  if (!Number.isInteger(retryIndex) || retryIndex < 0) {
    throw new RangeError(`retryIndex must be an integer ≥ 0, got ${describeValue(retryIndex)}.`);
  }
  // Past 2^31 ms every ceiling is maxDelay; capping the exponent also keeps a zero baseDelay
  // from meeting an infinite power (0 · ∞ is NaN).
  return Math.floor(Math.min(policy.maxDelay, policy.baseDelay * 2 ** Math.min(retryIndex, 31)));
}

function readRetries(value: unknown, name: string): number {
  if (value === undefined) return DEFAULT_BACKOFF.retries;
  if (typeof value !== "number") {
    throw new TypeError(`${name} must be a number of retries, got ${describeValue(value)}.`);
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be an integer ≥ 0, got ${describeValue(value)}.`);
  }
  return value;
}

function readJitter(value: unknown, name: string): Jitter {
  if (value === undefined) return DEFAULT_BACKOFF.jitter;
  if (typeof value !== "string") {
    throw new TypeError(`${name} must be "equal", "full" or "none", got ${describeValue(value)}.`);
  }
  if (!(JITTERS as readonly string[]).includes(value)) {
    throw new RangeError(`${name} must be "equal", "full" or "none", got ${describeValue(value)}.`);
  }
  return value as Jitter;
}

/** Keeps a faulty random source from producing a wait outside the allowed range. */
function clampUnit(value: number): number {
  if (!(value > 0)) return 0;
  return Math.min(value, 1);
}
