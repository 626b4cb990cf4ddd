import { Observable, type SchedulerLike, type Subscription } from "rxjs";

/** A time limit for {@link fromAbortable}. */
export interface AbortableDeadline {
  /** How long the call may take, in ms of `scheduler`'s time. */
  readonly ms: number;
  readonly scheduler: SchedulerLike;
  /** The error the stream fails with when the time is up. */
  readonly error: () => unknown;
}

/**
 * Takes over a call its subscriber left while it was running: gets the call's
 * promise and returns true to let the call run on, or false to abort it.
 */
export type HandOver<T> = (pending: Promise<T>) => boolean;

/**
 * Turns a promise-returning call that takes an `AbortSignal` into a cold
 * observable. Each subscription makes the call once; unsubscribing before it
 * settles aborts it, so an abandoned request never keeps running. Once it has
 * settled the signal is left alone: a raw response's body may still be unread.
 *
 * With a `deadline`, a call still running when it has passed is aborted and the
 * stream fails with the deadline's error, as rxjs `timeout` would have it; one
 * operator fewer on every request.
 *
 * With `handOver`, a call left while running may be passed on instead of
 * aborted; the deadline still aborts it when it passes.
 */
export function fromAbortable<T>(
  call: (signal: AbortSignal) => Promise<T>,
  deadline?: AbortableDeadline,
  handOver?: HandOver<T>,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    const controller = new AbortController();
    let settled = false;
    let timer: Subscription | undefined;

    const pending = call(controller.signal);
    pending.then(
      (value) => {
        settled = true;
        timer?.unsubscribe();
        subscriber.next(value);
        subscriber.complete();
      },
      (error: unknown) => {
        settled = true;
        timer?.unsubscribe();
        subscriber.error(error);
      },
    );

    if (deadline) {
      timer = deadline.scheduler.schedule(() => {
        if (!settled) controller.abort();
        settled = true;
        try {
          subscriber.error(deadline.error());
        } catch (error) {
          subscriber.error(error);
        }
      }, deadline.ms);
    }

    return () => {
      if (settled || handOver?.(pending)) return;
      timer?.unsubscribe();
      controller.abort();
    };
  });
}
