import { distinctUntilChanged, map, type Observable } from "rxjs";

/**
 * A part of a state stream, emitted when it changes: `equal` compares each projection with
 * the previous one. `projector` runs once per state however many subscribe, and they all get
 * the same projection; a late subscriber gets the latest one at once, because `state$`
 * replays its current state. Each subscriber holds its own subscription to `state$`, which
 * costs less per change than sharing one through a replaying subject, and nothing is kept
 * running once the last one leaves. The operator chain behind `SessionStore.select`.
 */
export function selectState<S extends object, T>(
  state$: Observable<S>,
  projector: (state: S) => T,
  equal: (previous: T, next: T) => boolean = Object.is,
): Observable<T> {
  // Every subscriber sees the same states in the same order, so remembering the last one
  // is enough to run the projector once per state.
  let last: { state: S; projection: T } | null = null;
  const project = (state: S): T => {
    if (last?.state !== state) last = { state, projection: projector(state) };
    return last.projection;
  };

  return state$.pipe(map(project), distinctUntilChanged(equal));
}
