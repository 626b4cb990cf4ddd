import { Observable, type Subscription } from "rxjs";

/**
 * Runs observables at most `limit` at a time, first come first served. A
 * source waits unsubscribed until a slot frees; unsubscribing while it waits
 * takes it out of the line, so a cancelled call never runs later.
 */
export class CallQueue {
  readonly #limit: number;
  readonly #waiting = new Set<() => void>();
  #running = 0;
  #starting = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Mirrors `source`, subscribing to it only when a slot is free. */
  schedule<T>(source: Observable<T>): Observable<T> {
    return new Observable<T>((subscriber) => {
      let inner: Subscription | null = null;
      let holdsSlot = false;

      const start = () => {
        this.#waiting.delete(start);
        holdsSlot = true;
        this.#running += 1;
        inner = source.subscribe(subscriber);
      };

      if (this.#running < this.#limit) start();
      else this.#waiting.add(start);

      return () => {
        this.#waiting.delete(start);
        if (!holdsSlot) return;
        holdsSlot = false;
        inner?.unsubscribe();
        this.#running -= 1;
        this.#startNext();
      };
    });
  }

  /*
   * A loop, not recursion: a source that ends as soon as it starts frees its
   * slot while the next one is being started, and a long line of those would
   * otherwise nest one call deep per source.
   */
  #startNext(): void {
    if (this.#starting) return;
    this.#starting = true;
    try {
      for (
        let [next] = this.#waiting;
        next && this.#running < this.#limit;
        [next] = this.#waiting
      ) {
        next();
      }
    } finally {
      this.#starting = false;
    }
  }
}
