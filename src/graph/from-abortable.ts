import { Observable } from "rxjs";

/**
 * Turns a promise-returning call that takes an `AbortSignal` into a cold
 * observable. Each subscription makes the call once; unsubscribing before it
 * settles aborts it, so an abandoned request never keeps running. Once it has
 * settled the signal is left alone: a raw response's body may still be unread.
 */
export function fromAbortable<T>(call: (signal: AbortSignal) => Promise<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const controller = new AbortController();
    let settled = false;

    call(controller.signal).then(
      (value) => {
        settled = true;
        subscriber.next(value);
        subscriber.complete();
      },
      (error: unknown) => {
        settled = true;
        subscriber.error(error);
      },
    );

    return () => {
      if (!settled) controller.abort();
    };
  });
}
