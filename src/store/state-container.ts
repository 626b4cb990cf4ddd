import { BehaviorSubject, Observable } from "rxjs";
import { initialSessionState, reduceSession } from "../state/reduce-session";
import type { SessionAction } from "../state/session-action";
import type { SessionState } from "../state/session-state";

/** An action to apply, then what to tell of it once every subscriber has the state. */
interface Step {
  readonly action: SessionAction | null;
  readonly announce: (() => void) | undefined;
}

/**
 * Holds a store's state and applies actions to it through the reducer, one at
 * a time. A subscriber may dispatch while a state is being delivered; its
 * action waits until every subscriber has that state, so all of them see the
 * states in the same order. Announcements (the store's events) take their
 * place in the same line, so that events and states tell one story.
 */
export class StateContainer {
  /** The current state at once, then every change; after `complete()`, the last state. */
  readonly state$: Observable<SessionState>;

  readonly #subject = new BehaviorSubject<SessionState>(initialSessionState);
  readonly #pending: Step[] = [];
  /** Told of each change before subscribers are. */
  readonly #beforeChange: (previous: SessionState, next: SessionState) => void;
  #dispatching = false;
  /** An announcement is running: its listeners' steps take their state at once. */
  #announcing = false;
  /** Announcements of steps taken during the current one, told once it is done. */
  #deferred: Step[] = [];
  #completing = false;
  /* A completed BehaviorSubject still updates its value on next(); this guards it. */
  #completed = false;

  constructor(beforeChange: (previous: SessionState, next: SessionState) => void) {
    this.#beforeChange = beforeChange;
    this.state$ = new Observable<SessionState>((subscriber) => {
      if (!this.#completed) return this.#subject.subscribe(subscriber);
      subscriber.next(this.get());
      subscriber.complete();
      return undefined;
    });
  }

  get(): SessionState {
    return this.#subject.getValue();
  }

  /**
   * Applies `action`, then runs `announce` once every subscriber has the new
   * state (or the same one, if nothing changed), before anything a `state$`
   * subscriber dispatched or announced meanwhile.
   */
  dispatch(action: SessionAction, announce?: () => void): void {
    this.#run({ action, announce });
  }

  /** Runs `announce` at once, or, while a state is being delivered, after it and its turn. */
  announce(announce: () => void): void {
    this.#run({ action: null, announce });
  }

  /*
   * A step taken while a state is delivered waits its turn. One taken by an
   * announcement's listener (an events$ subscriber that closes the store) has
   * its state at once, so the code after it reads the state it made; its own
   * announcement follows once the current one has reached every listener.
   */
  #run(step: Step): void {
    if (this.#dispatching && this.#announcing) {
      this.#takeWithin(step);
      return;
    }
    this.#pending.push(step);
    if (this.#dispatching) return;

    this.#dispatching = true;
    try {
      for (let next = this.#pending.shift(); next; next = this.#pending.shift()) this.#take(next);
    } finally {
      this.#dispatching = false;
    }
    if (this.#completing) this.#complete();
  }

  #take({ action, announce }: Step): void {
    if (action) this.#apply(action);
    if (!announce) return;

    this.#announcing = true;
    try {
      announce();
    } finally {
      this.#announcing = false;
      // Ahead of what state$ subscribers queued meanwhile: it came first.
      this.#pending.unshift(...this.#deferred);
      this.#deferred = [];
    }
  }

  #takeWithin({ action, announce }: Step): void {
    if (action) {
      this.#announcing = false;
      try {
        this.#apply(action);
      } finally {
        this.#announcing = true;
      }
    }
    if (announce) this.#deferred.push({ action: null, announce });
  }

  /** Completes `state$` once the actions already dispatched are applied; later ones are ignored. */
  complete(): void {
    this.#completing = true;
    if (!this.#dispatching) this.#complete();
  }

  #apply(action: SessionAction): void {
    if (this.#completed) return;
    const previous = this.get();
    const next = reduceSession(previous, action);
    if (next === previous) return;

    this.#beforeChange(previous, next);
    this.#subject.next(next);
  }

  #complete(): void {
    if (this.#completed) return;
    this.#completed = true;
    this.#subject.complete();
  }
}
