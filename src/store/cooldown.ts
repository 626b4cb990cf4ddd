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

  constructor(scheduler: SchedulerLike, maxWait: number) {
    this.#scheduler = scheduler;
    this.#maxWait = maxWait;
  }

  /** Takes note of the pause an error asks for, if any. */
  record(error: WorkbookError): void {
    if (error.retryAfterMs === null) return;
    this.#until = Math.max(this.#until, this.#scheduler.now() + error.retryAfterMs);
  }

  /** How long the pause still lasts, in ms. */
  left(): number {
    return Math.max(0, this.#until - this.#scheduler.now());
  }

  /**
   * Sends `request$` once the pause is over, or fails at once if it outlasts
   * `maxWait`. A longer pause Graph asks for during the wait is waited out too.
   */
  hold<T>(request$: Observable<T>, operation: GraphOperation): Observable<T> {
    return defer(() => {
      const wait = this.left();
      if (wait === 0) return request$;
      if (wait > this.#maxWait) {
        return throwError(() => cooldownTooLong(operation, wait, this.#maxWait));
      }
      return timer(wait, this.#scheduler).pipe(switchMap(() => this.hold(request$, operation)));
    });
  }
}
