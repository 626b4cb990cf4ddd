import {
  asyncScheduler,
  type MonoTypeOperatorFunction,
  type Observable,
  retry,
  type SchedulerLike,
  throwError,
  timer,
} from "rxjs";
import { classifyError } from "../errors/classify";
import { formatSeconds } from "../errors/error-message";
import {
  isWorkbookError,
  WorkbookError,
  type WorkbookErrorInit,
  workbookErrorInit,
} from "../errors/workbook-error";
import {
  type BackoffOptions,
  describeValue,
  nextDelay,
  type ResolvedBackoff,
  resolveBackoff,
} from "./backoff";

/** What {@link RetryOptions.onRetry} is told before each wait. */
export interface RetryEvent {
  /** The failure of the attempt, with `attempts` set to `attempt`. */
  error: WorkbookError;
  /** The attempt that failed, counting from 1. */
  attempt: number;
  /** How long the operator waits before the next attempt, in ms. */
  delay: number;
  /** When the next attempt starts, in the scheduler's ms: `scheduler.now() + delay`. */
  nextAttemptAt: number;
}

/** Options of {@link retryWithBackoff}: the backoff policy, and how to observe and adjust it. */
export interface RetryOptions extends BackoffOptions {
  /**
   * Decides whether an error is worth another attempt, given the attempt that failed
   * (counting from 1). It is asked only while retries remain. Default: `error.retryable`,
   * which is true for the `throttled` and `transient` kinds.
   */
  shouldRetry?: (error: WorkbookError, attempt: number) => boolean;
  /**
   * Turns whatever the source threw into a {@link WorkbookError}. Default: `classifyError`
   * for a call outside a session (`{ operation: "request", sessionful: false }`).
   */
  classify?: (error: unknown) => WorkbookError;
  /** The rxjs scheduler for waits and for `now()`. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
  /** A uniformly random number in [0, 1), for the jitter. Default `Math.random`. */
  random?: () => number;
  /**
   * Called before each wait, to observe retries. Like the other callbacks, an exception it
   * throws ends the stream with that exception. Default: none.
   */
  onRetry?: (event: RetryEvent) => void;
}

const defaultContext = { operation: "request", sessionful: false } as const;

interface RetrySettings {
  policy: ResolvedBackoff;
  shouldRetry: (error: WorkbookError, attempt: number) => boolean;
  classify: (error: unknown) => WorkbookError;
  scheduler: SchedulerLike;
  random: () => number;
  onRetry: ((event: RetryEvent) => void) | null;
}

/**
 * Subscribes to the source again when it fails with a retryable error, after an exponential
 * backoff with jitter that is never shorter than the server's cooldown (Retry-After).
 *
 * Whatever the source throws is classified into a {@link WorkbookError}. The operator gives up
 * when the error is not worth retrying, when the retries are used up, or when the server asks
 * for a longer cooldown than `maxRetryAfter`; the error it then emits always reports in
 * `attempts` how many attempts were made. Unsubscribing during a wait cancels the wait.
 *
 * Options are checked when the operator is created: a TypeError or RangeError names the
 * option and the value that was wrong.
 *
 * @example
 * ```ts
 * const rows$ = defer(() => client.api(url).get()).pipe(
 *   retryWithBackoff({ retries: 3, onRetry: ({ delay }) => showBanner(delay) }),
 * );
 * ```
 */
export function retryWithBackoff<T>(options?: RetryOptions): MonoTypeOperatorFunction<T> {
  const settings = resolveRetryOptions(options);
  return retry<T>({
    delay: (error: unknown, attempt: number) => planRetry(error, attempt, settings),
  });
}

/**
 * Decides what follows the failure of attempt `attempt`: a timer that ends the wait, or an
 * error that ends the stream.
 */
function planRetry(thrown: unknown, attempt: number, settings: RetrySettings): Observable<0> {
  const error = withAttempts(toWorkbookError(thrown, settings.classify), attempt);
  const retryIndex = attempt - 1;
  if (retryIndex >= settings.policy.retries || !settings.shouldRetry(error, attempt)) {
    return throwError(() => error);
  }

  const delay = nextDelay(error, retryIndex, settings.policy, settings.random);
  if (delay === null) return throwError(() => cooldownTooLong(error, settings.policy));

  const nextAttemptAt = settings.scheduler.now() + delay;
  settings.onRetry?.({ error, attempt, delay, nextAttemptAt });
  return timer(delay, settings.scheduler);
}

function toWorkbookError(thrown: unknown, classify: (error: unknown) => WorkbookError) {
  const error: unknown = classify(thrown);
  return isWorkbookError(error) ? error : classifyError(error, defaultContext);
}

/** Keeps the same instance when the count is already right, else copies it. */
function withAttempts(error: WorkbookError, attempts: number): WorkbookError {
  if (error.attempts === attempts) return error;
  return new WorkbookError({ ...workbookErrorInit(error), attempts });
}

function cooldownTooLong(error: WorkbookError, policy: ResolvedBackoff): WorkbookError {
  const asked = formatSeconds(error.retryAfterMs ?? 0);
  const limit = formatSeconds(policy.maxRetryAfter);
  const reason =
    `The server asked to wait ${asked}, longer than the ${limit} this retry policy accepts ` +
    "(maxRetryAfter), so the request was not sent again.";

  const init: WorkbookErrorInit = workbookErrorInit(error);
  init.detail = error.detail === null ? reason : `${reason} ${error.detail}`;
  return new WorkbookError(init);
}

function defaultClassify(error: unknown): WorkbookError {
  return classifyError(error, defaultContext);
}

function isRetryable(error: WorkbookError): boolean {
  return error.retryable;
}

function resolveRetryOptions(options: RetryOptions | undefined): RetrySettings {
  const policy = resolveBackoff(options, "options");
  const given: RetryOptions = options ?? {};
  return {
    policy,
    shouldRetry: readFunction(given.shouldRetry, "shouldRetry") ?? isRetryable,
    classify: readFunction(given.classify, "classify") ?? defaultClassify,
    scheduler: readScheduler(given.scheduler) ?? asyncScheduler,
    random: readFunction(given.random, "random") ?? Math.random,
    onRetry: readFunction(given.onRetry, "onRetry"),
  };
}

function readFunction<F>(value: F | undefined, name: string): F | null {
  if (value === undefined) return null;
  if (typeof value !== "function") {
    throw new TypeError(`options.${name} must be a function, got ${describeValue(value)}.`);
  }
  return value;
}

function readScheduler(value: SchedulerLike | undefined): SchedulerLike | null {
  if (value === undefined) return null;
  const candidate = value as Partial<SchedulerLike> | null;
  const valid =
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.now === "function" &&
    typeof candidate.schedule === "function";
  if (!valid) {
    throw new TypeError(
      `options.scheduler must be an rxjs scheduler with now() and schedule(), ` +
        `got ${describeValue(value)}.`,
    );
  }
  return value;
}
