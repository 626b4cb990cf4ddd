import {
  asyncScheduler,
  catchError,
  concat,
  EMPTY,
  isObservable,
  type MonoTypeOperatorFunction,
  map,
  NEVER,
  type Observable,
  race,
  retry,
  type SchedulerLike,
  switchMap,
  take,
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
import { describeValue, readFunction, readScheduler } from "../options/read-option";
import { type BackoffOptions, nextDelay, type ResolvedBackoff, resolveBackoff } from "./backoff";

/** What {@link RetryOptions.onRetry} is told before each wait. */
export interface RetryEvent {
  /**
   * The failure of the attempt. Its `attempts` is `attempt`, or more when the source already
   * counted retries of its own (an inner retrying call).
   */
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
   * for a call outside a session (`{ operation: "request", sessionful: false }`), with `now`
   * taken from the scheduler so that a Retry-After date is measured in the scheduler's time.
   */
  classify?: (error: unknown) => WorkbookError;
  /**
   * The rxjs scheduler for waits and for `now()`, in ms since the epoch (the default classify
   * measures Retry-After dates from it). Default `asyncScheduler`.
   */
  scheduler?: SchedulerLike;
  /** A uniformly random number in [0, 1), for the jitter. Default `Math.random`. */
  random?: () => number;
  /**
   * Called before each wait, to observe retries. Like the other callbacks, an exception it
   * throws ends the stream with that exception. Default: none.
   */
  onRetry?: (event: RetryEvent) => void;
  /**
   * Ends a wait early when it emits, though never before the server's cooldown
   * (Retry-After) has passed: the next attempt then starts at once. Default: none.
   */
  retryNow?: Observable<unknown> | undefined;
}

const defaultContext = { operation: "request", sessionful: false } as const;

/** The code of an error for a request that a cooldown kept from being sent at all. */
const COOLDOWN_CODE = "cooldown";

interface RetrySettings {
  policy: ResolvedBackoff;
  shouldRetry: (error: WorkbookError, attempt: number) => boolean;
  classify: (error: unknown) => WorkbookError;
  scheduler: SchedulerLike;
  random: () => number;
  onRetry: ((event: RetryEvent) => void) | undefined;
  retryNow: Observable<unknown> | undefined;
}

/**
 * Subscribes to the source again when it fails with a retryable error, after an exponential
 * backoff with jitter that is never shorter than the server's cooldown (Retry-After).
 *
 * Whatever the source throws is classified into a {@link WorkbookError}. The operator gives up
 * when the error is not worth retrying, when the retries are used up, or when the server asks
 * for a longer cooldown than `maxRetryAfter`; the error it then emits always reports in
 * `attempts` how many attempts were made (the larger of its own count and the count the error
 * already carried). Unsubscribing during a wait cancels the wait.
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
  const error = withAttempts(toWorkbookError(thrown, settings), attempt);
  const retryIndex = attempt - 1;
  if (retryIndex >= settings.policy.retries || !settings.shouldRetry(error, attempt)) {
    return throwError(() => error);
  }

  const delay = nextDelay(error, retryIndex, settings.policy, settings.random);
  if (delay === null) return throwError(() => cooldownTooLong(error, settings.policy));

  const nextAttemptAt = settings.scheduler.now() + delay;
  settings.onRetry?.({ error, attempt, delay, nextAttemptAt });
  return waitFor(delay, error, settings);
}

/** The wait before the next attempt, cut short by `retryNow` down to the server's cooldown. */
function waitFor(delay: number, error: WorkbookError, settings: RetrySettings): Observable<0> {
  const { scheduler, retryNow } = settings;
  const wait$ = timer(delay, scheduler);
  if (retryNow === undefined) return wait$;

  const cooldownEnds = scheduler.now() + Math.ceil(error.retryAfterMs ?? 0);
  // A retryNow that completes or fails without emitting must not end the wait: race()
  // follows whichever source completes or fails first, too.
  const early$ = concat(retryNow.pipe(catchError(() => EMPTY)), NEVER).pipe(
    take(1),
    switchMap(() => timer(Math.max(0, cooldownEnds - scheduler.now()), scheduler)),
  );
  return race(wait$, early$).pipe(map(() => 0 as const));
}

/** Classifies what the source threw; a classify that returns something else is classified too. */
function toWorkbookError(thrown: unknown, settings: RetrySettings): WorkbookError {
  const error: unknown = settings.classify(thrown);
  return isWorkbookError(error) ? error : classifyAt(error, settings.scheduler);
}

/**
 * Makes the error report at least `attempt` attempts. An error that already counts more (an
 * inner call that retried on its own) keeps its count and stays the same instance.
 */
function withAttempts(error: WorkbookError, attempt: number): WorkbookError {
  return attempt > error.attempts ? error.withAttempts(attempt) : error;
}

function cooldownTooLong(error: WorkbookError, policy: ResolvedBackoff): WorkbookError {
  // A request held back by a store's cooldown already says so, in the same words.
  if (error.code === COOLDOWN_CODE) return error;
  const asked = formatSeconds(error.retryAfterMs ?? 0);
  const limit = formatSeconds(policy.maxRetryAfter);
  const reason =
    `Its Retry-After (${asked}) is longer than the ${limit} this retry policy accepts ` +
    "(maxRetryAfter; retry.maxRetryAfter on a store), so the request was not sent again.";

  const init: WorkbookErrorInit = workbookErrorInit(error);
  init.detail = error.detail === null ? reason : `${reason} ${error.detail}`;
  return new WorkbookError(init);
}

/** The default classify: a call outside a session, at the scheduler's current time. */
function classifyAt(error: unknown, scheduler: SchedulerLike): WorkbookError {
  return classifyError(error, { ...defaultContext, now: scheduler.now() });
}

function isRetryable(error: WorkbookError): boolean {
  return error.retryable;
}

function resolveRetryOptions(options: RetryOptions | undefined): RetrySettings {
  const policy = resolveBackoff(options, "options");
  const given: RetryOptions = options ?? {};
  const scheduler = readScheduler(given.scheduler, "options.scheduler") ?? asyncScheduler;
  return {
    policy,
    shouldRetry: readFunction(given.shouldRetry, "options.shouldRetry") ?? isRetryable,
    classify:
      readFunction(given.classify, "options.classify") ??
      ((error: unknown) => classifyAt(error, scheduler)),
    scheduler,
    random: readFunction(given.random, "options.random") ?? Math.random,
    onRetry: readFunction(given.onRetry, "options.onRetry"),
    retryNow: readObservable(given.retryNow, "options.retryNow"),
  };
}

function readObservable(value: unknown, name: string): Observable<unknown> | undefined {
  if (value === undefined) return undefined;
  if (!isObservable(value)) {
    throw new TypeError(`${name} must be an rxjs Observable, got ${describeValue(value)}.`);
  }
  return value;
}
