import { defer, type Observable, type SchedulerLike, switchMap, throwError, timer } from "rxjs";
import type { GraphOperation, WorkbookError } from "../errors/workbook-error";
import { cooldownTooLong } from "./store-errors";

/**
 * Graph's latest `Retry-After`, for a whole store: once Graph asks for a
 * pause, no request of the store is sent before it has passed.
 */
export class Cooldown {
  readonly #scheduler: SchedulerLike;
  /** The longest pause waited out, in ms; a longer one fails requests at once. */
  readonly #maxWait: number;
  /** No request is sent before this time, in the scheduler's ms. */
  #until = 0;
  /** The pause that set `#until`, in ms: the most that can be left of it. */
  #length = 0;

  constructor(scheduler: SchedulerLike, maxWait: number) {
    this.#scheduler = scheduler;
    this.#maxWait = maxWait;
  }

  /** Takes note of the pause an error asks for, if any. */
  record(error: WorkbookError): void {
    if (error.retryAfterMs === null) return;
    const until = this.#scheduler.now() + error.retryAfterMs;
    if (until <= this.#until) return;
    this.#until = until;
    this.#length = error.retryAfterMs;
  }

  /** How long the pause still lasts, in ms. */
  left(): number {
    const now = this.#scheduler.now();
    // A clock set back would stretch the pause: it is counted again from now instead.
    if (this.#until - now > this.#length) this.#until = now + this.#length;
    return Math.max(0, this.#until - now);
  }

  /**
   * Sends `request$` once the pause is over, or fails at once if it outlasts
   * `maxWait`. A longer pause Graph asks for during the wait is waited out too;
   * `onWait` hears when the request will be sent, each time the store waits.
   */
  hold<T>(
    request$: Observable<T>,
    operation: GraphOperation,
    onWait?: (sendsAt: number) => void,
  ): Observable<T> {
    return defer(() => {
      const wait = this.left();
      if (wait === 0) return request$;
      if (wait > this.#maxWait) {
        return throwError(() => cooldownTooLong(operation, wait, this.#maxWait));
      }
      onWait?.(this.#scheduler.now() + wait);
      const again = () => this.hold(request$, operation, onWait);
      return timer(wait, this.#scheduler).pipe(switchMap(again));
    });
  }
}
