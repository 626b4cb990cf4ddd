import { distinctUntilChanged, map, type Observable, shareReplay } from "rxjs";

/**
 * A part of a state stream, emitted when it changes: `equal` compares each
 * projection with the previous one. Subscribers share one subscription to
 * `state$`, which is let go when the last of them leaves; a late subscriber
 * gets the latest projection at once. The operator chain behind
 * `SessionStore.select`.
 */
export function selectState<S, T>(
  state$: Observable<S>,
  projector: (state: S) => T,
  equal: (previous: T, next: T) => boolean = Object.is,
): Observable<T> {
  return state$.pipe(
    map(projector),
    distinctUntilChanged(equal),
    shareReplay({ bufferSize: 1, refCount: true }),
  );
}
