import { Observable, type SchedulerLike } from "rxjs";

/** A time limit for {@link fromAbortable} and {@link fromIrrevocable}. */
export interface AbortableDeadline {
  /** How long the call may take, in ms of `scheduler`'s time. */
  readonly ms: number;
  readonly scheduler: SchedulerLike;
  /** The error the stream fails with when the time is up. */
  readonly error: () => unknown;
}

/** Takes over the promise of a call nobody waits for any more (see {@link fromIrrevocable}). */
export type HandOver<T> = (pending: Promise<T>) => void;

/**
 * Turns a promise-returning call that takes an `AbortSignal` into a cold
 * observable. Each subscription makes the call once; unsubscribing before it
 * settles aborts it, so an abandoned request never keeps running. A call that
 * failed is aborted too: what it started beside the request that failed (its
 * promise may stand for several) must not go on once the failure is acted on.
 * A call that succeeded is left alone: a raw response's body may still be unread.
 *
 * With a `deadline`, a call still running when it has passed is aborted and the
 * stream fails with the deadline's error, as rxjs `timeout` would have it; one
 * operator fewer on every request.
 */
export function fromAbortable<T>(
  call: (signal: AbortSignal) => Promise<T>,
  deadline?: AbortableDeadline,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    const controller = new AbortController();
    const settle = settleOnce(subscriber, () => controller.abort());
    const failed = (error: unknown) => {
      settle.error(error);
      controller.abort();
    };
    let pending: Promise<T>;
    try {
      pending = call(controller.signal);
    } catch (error) {
      // Thrown before it returned: what it started by then stops too.
      failed(error);
      return undefined;
    }
    pending.then(settle.value, failed);
    if (deadline) settle.after(deadline);
    return settle.leave;
  });
}

/**
 * Like {@link fromAbortable}, for a call that cannot be taken back once made,
 * such as a createSession, whose session Graph makes whether or not anyone
 * waits for the answer. Leaving it before it settles, or its deadline passing,
 * hands its promise to `handOver` instead of aborting it.
 */
export function fromIrrevocable<T>(
  call: () => Promise<T>,
  deadline: AbortableDeadline,
  handOver?: HandOver<T>,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    const pending = call();
    const settle = settleOnce(subscriber, () => handOver?.(pending));
    pending.then(settle.value, settle.error);
    settle.after(deadline);
    return settle.leave;
  });
}

/*
 * The one outcome of a call's subscription: its value, its error, its deadline,
 * or the subscriber leaving; `letGo` runs when the call is still running then.
 */
function settleOnce<T>(
  subscriber: { next(value: T): void; complete(): void; error(error: unknown): void },
  letGo: () => void,
) {
  let settled = false;
  let timer: { unsubscribe(): void } | undefined;
  const end = () => {
    if (settled) return false;
    settled = true;
    timer?.unsubscribe();
    return true;
  };

  return {
    value: (value: T) => {
      if (!end()) return;
      subscriber.next(value);
      subscriber.complete();
    },
    error: (error: unknown) => {
      if (end()) subscriber.error(error);
    },
    after: (deadline: AbortableDeadline) => {
      timer = deadline.scheduler.schedule(() => {
        if (!end()) return;
        letGo();
        try {
          subscriber.error(deadline.error());
        } catch (error) {
          subscriber.error(error);
        }
      }, deadline.ms);
    },
    leave: () => {
      if (end()) letGo();
    },
  };
}
