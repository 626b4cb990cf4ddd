import { from, lastValueFrom, type SchedulerLike, switchMap, takeUntil, timer } from "rxjs";
import type { GraphOperation, WorkbookError } from "../errors/workbook-error";
import type { CloseReason } from "../events/session-event";
import type { CreateOutcome, SessionApi } from "../graph/session-api";
import type { WorkbookSession } from "../state/session-state";
import type { Cooldown } from "./cooldown";

/** How far a creation nobody wants any more is followed, to close the session it brings. */
export interface LateSessionLimits {
  /** How long its answer, and the operation a long-running one leads to, are waited for, in ms. */
  readonly followFor: number;
  /** The longest cooldown waited out before the close is sent, in ms. */
  readonly maxWait: number;
}

/** What closing sessions needs from its store. */
export interface CloserHost {
  readonly api: SessionApi;
  readonly cooldown: Cooldown;
  /** The store's clock, for waiting out a cooldown. */
  readonly scheduler: SchedulerLike;
  /** Classifies a refusal, so that a Retry-After in it holds the store's next request. */
  classify(error: unknown, operation: GraphOperation, sessionful: boolean): WorkbookError;
  /** Told of each close, whether Graph confirmed it or not. */
  reportClosed(sessionId: string, reason: CloseReason, closed: boolean): void;
}

/**
 * Closes a store's sessions on the server, best effort, and keeps track of the
 * closes still under way, so that disposal can wait for every one of them.
 * While Graph's cooldown lasts nothing is sent, as Graph asks: a close the app
 * asked for is then left to expire by itself, while a session the store gave up
 * on in the background is closed once the cooldown has passed.
 */
export class SessionCloser {
  readonly #host: CloserHost;
  readonly #underWay = new Set<Promise<void>>();
  /** Ends the waits of closes held by a cooldown, each reporting it was not sent. */
  readonly #waits = new Set<() => void>();
  /** Set for good by {@link stopWaiting}: later closes do not wait for a cooldown either. */
  #stopped = false;

  constructor(host: CloserHost) {
    this.#host = host;
  }

  /** Asks Graph to close the session; `keepalive` lets the request outlive the page. */
  close(sessionId: string, reason: CloseReason, keepalive = false): Promise<void> {
    const closing = this.#send(sessionId, keepalive).then((closed) => {
      this.#host.reportClosed(sessionId, reason, closed);
    });
    this.#track(closing);
    return closing;
  }

  /**
   * Closes a session the store gave up on while it goes on working: like
   * {@link close}, but a cooldown is waited out (as long as it is not longer than
   * `maxWait` ms) instead of leaving the session to expire.
   */
  closeAfterCooldown(sessionId: string, reason: CloseReason, maxWait: number): Promise<void> {
    const closing = this.#cooledDown(maxWait)
      .then((ready) => (ready ? this.#send(sessionId, false) : false))
      .then((closed) => this.#host.reportClosed(sessionId, reason, closed));
    this.#track(closing);
    return closing;
  }

  /**
   * Gives up every close waiting for a cooldown, now and from now on; for a store being
   * disposed, whose listeners may still give up a session while it is disposed.
   */
  stopWaiting(): void {
    this.#stopped = true;
    for (const stop of [...this.#waits]) stop();
  }

  /**
   * Waits for the session a creation nobody wants any more brings, and closes it as
   * {@link closeAfterCooldown} does: Graph makes the session all the same. When the answer is
   * a long-running operation, the operation is polled to its end first.
   */
  closeWhenItArrives(answer: Promise<CreateOutcome>, limits: LateSessionLimits): void {
    const closing = this.#sessionOf(answer, limits.followFor).then(
      async (session) => {
        if (session) await this.closeAfterCooldown(session.id, "late", limits.maxWait);
      },
      (error: unknown) => void this.#host.classify(error, "createSession", false),
    );
    this.#track(closing);
  }

  /** Resolves once no close is under way, including closes started while waiting. */
  async settled(): Promise<void> {
    while (this.#underWay.size > 0) await Promise.all([...this.#underWay]);
  }

  /* The session an answer brings; null when neither it nor its operation ended within `followFor` ms. */
  #sessionOf(answer: Promise<CreateOutcome>, followFor: number): Promise<WorkbookSession | null> {
    const { api, scheduler } = this.#host;
    // Whether the session keeps its changes does not matter to closing it.
    const session$ = from(answer).pipe(
      switchMap((outcome) => api.sessionFrom(outcome, true)),
      takeUntil(timer(followFor, scheduler)),
    );
    return lastValueFrom(session$, { defaultValue: null });
  }

  async #send(sessionId: string, keepalive: boolean): Promise<boolean> {
    const { api, cooldown, classify } = this.#host;
    if (cooldown.left() > 0) return false;

    const close$ = api.closeSession(sessionId, keepalive);
    return lastValueFrom(close$, { defaultValue: undefined }).then(
      () => true,
      (error: unknown) => {
        classify(error, "closeSession", true);
        return false;
      },
    );
  }

  /* Resolves true once no cooldown holds requests, false when it is too long or given up. */
  async #cooledDown(maxWait: number): Promise<boolean> {
    const { cooldown, scheduler } = this.#host;
    for (let wait = cooldown.left(); wait > 0; wait = cooldown.left()) {
      if (wait > maxWait || this.#stopped) return false;
      const passed = await new Promise<boolean>((resolve) => {
        const timer = scheduler.schedule(() => finish(true), wait);
        const finish = (done: boolean) => {
          timer.unsubscribe();
          this.#waits.delete(stop);
          resolve(done);
        };
        const stop = () => finish(false);
        this.#waits.add(stop);
      });
      if (!passed) return false;
    }
    return true;
  }

  #track(work: Promise<void>): void {
    this.#underWay.add(work);
    void work.finally(() => this.#underWay.delete(work));
  }
}
