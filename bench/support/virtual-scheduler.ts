import { type SchedulerAction, type SchedulerLike, Subscription } from "rxjs";

/**
 * An rxjs scheduler on a clock that only moves when told to. Timers wait in a
 * queue ordered by due time (then by scheduling order) until `runNext` runs the
 * earliest one, moving the clock to its due time.
 */
export class VirtualScheduler implements SchedulerLike {
  #now: number;
  #sequence = 0;
  readonly #queue: VirtualAction<unknown>[] = [];

  /** @param start The clock's first reading, in ms since the epoch. */
  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule<T>(
    work: (this: SchedulerAction<T>, state?: T) => void,
    delay = 0,
    state?: T,
  ): Subscription {
    return new VirtualAction<T>(this, work).schedule(state, delay);
  }

  /** When the earliest timer is due, or null when none is waiting. */
  nextDueAt(): number | null {
    return this.#queue[0]?.dueAt ?? null;
  }

  /** Runs the earliest timer, moving the clock forward to its due time. */
  runNext(): void {
    const action = this.#queue.shift();
    if (!action) return;
    this.#now = Math.max(this.#now, action.dueAt);
    action.run();
  }

  /** Moves the clock forward to `time` without running anything (no timer may be due before). */
  moveTo(time: number): void {
    this.#now = Math.max(this.#now, time);
  }

  /** A promise that resolves after `delay` ms on this clock. */
  sleep(delay: number): Promise<void> {
    return new Promise((resolve) => {
      this.schedule(() => resolve(), delay);
    });
  }

  enqueue(action: VirtualAction<unknown>, delay: number): void {
    this.dequeue(action);
    action.dueAt = this.#now + Math.max(0, delay);
    action.sequence = ++this.#sequence;
    const index = this.#queue.findIndex(
      (other) =>
        other.dueAt > action.dueAt ||
        (other.dueAt === action.dueAt && other.sequence > action.sequence),
    );
    this.#queue.splice(index === -1 ? this.#queue.length : index, 0, action);
  }

  dequeue(action: VirtualAction<unknown>): void {
    const index = this.#queue.indexOf(action);
    if (index !== -1) this.#queue.splice(index, 1);
  }
}

/** One scheduled piece of work; it may schedule itself again, as rxjs actions do. */
class VirtualAction<T> extends Subscription implements SchedulerAction<T> {
  dueAt = 0;
  sequence = 0;
  #state: T | undefined;

  constructor(
    private readonly scheduler: VirtualScheduler,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super(() => scheduler.dequeue(this as VirtualAction<unknown>));
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.#state = state;
    this.scheduler.enqueue(this as VirtualAction<unknown>, delay);
    return this;
  }

  run(): void {
    if (!this.closed) this.work.call(this, this.#state);
  }
}
