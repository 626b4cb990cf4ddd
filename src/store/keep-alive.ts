import type { SchedulerLike, Subscription } from "rxjs";

/** What keep-alive needs from its store. */
export interface KeepAliveHost {
  readonly scheduler: SchedulerLike;
  /** Idle time after which the session is refreshed, in ms. */
  readonly refreshAfter: number;
  /** Idle time after which Graph has most likely dropped the session, in ms. */
  readonly expiresAfter: number;
  /** Whether a refresh could reach Graph now; when not, checks wait for `check()`. */
  isOnline(): boolean;
  /** How long Graph's latest `Retry-After` still holds the store's requests, in ms. */
  pausedFor(): number;
  /** Sends refreshSession. Its outcome is the store's business; keep-alive only waits. */
  refresh(): Promise<void>;
}

/**
 * Refreshes a session only once it has been idle for `refreshAfter` ms. Every
 * piece of activity moves the deadline; the timer then wakes at the old one,
 * sees the newer activity and sleeps again, so a busy session costs no request.
 */
export class KeepAlive {
  readonly #host: KeepAliveHost;
  #lastActivityAt = 0;
  #timer: Subscription | null = null;
  #refreshing = false;
  #running = false;
  /** Refreshes in a row that failed without ending the session. */
  #failures = 0;
  /** Set when refreshes gave up past expiry; the next use of the session wakes keep-alive. */
  #dormant = false;
  /** Calls under way in this session: it is in use while one runs, however long it takes. */
  #inUse = 0;
  /** Counts the sessions watched, so a call from an earlier one releases nothing here. */
  #generation = 0;

  constructor(host: KeepAliveHost) {
    this.#host = host;
  }

  /** When the session was last used, in ms on the store's clock. */
  get lastActivityAt(): number {
    return this.#lastActivityAt;
  }

  /** Starts watching a session last used at `lastActivityAt` (default: now). */
  start(lastActivityAt = this.#host.scheduler.now()): void {
    this.#generation += 1;
    this.#inUse = 0;
    this.#running = true;
    this.#lastActivityAt = lastActivityAt;
    this.#failures = 0;
    this.#dormant = false;
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    this.#timer?.unsubscribe();
    this.#timer = null;
  }

  /** Records that the session was used now. */
  touch(): void {
    this.#lastActivityAt = this.#host.scheduler.now();
    this.#failures = 0;
    if (!this.#dormant || !this.#running) return;
    // The session outlived the failed refreshes: keep it alive again from now.
    this.#dormant = false;
    this.#schedule();
  }

  /**
   * A call started using the session. Returns what to call when it ends, which
   * counts as use; a call that outlived its session changes nothing then.
   */
  hold(): () => void {
    this.#inUse += 1;
    const generation = this.#generation;
    let held = true;
    return () => {
      if (!held || generation !== this.#generation) return;
      held = false;
      this.#inUse -= 1;
      this.touch();
    };
  }

  /**
   * Refreshes at once if the session has been idle long enough to need it. Call
   * it when timers may have been held back: a tab shown again, a network back.
   */
  check(): void {
    if (!this.#running || this.#refreshing) return;

    if (this.#idleFor() < this.#host.refreshAfter) {
      this.#schedule();
      return;
    }
    // Looked at again once the call ends, which counts as use.
    if (this.#inUse > 0) {
      this.#schedule(this.#host.refreshAfter);
      return;
    }
    // Looked at again once Graph's pause ends: a call sent again then uses the session too.
    const paused = this.#host.pausedFor();
    if (paused > 0) {
      this.#schedule(paused);
      return;
    }
    if (!this.#host.isOnline()) return;
    void this.#refresh();
  }

  async #refresh(): Promise<void> {
    this.#refreshing = true;
    this.#timer?.unsubscribe();
    try {
      await this.#host.refresh();
    } catch {
      // The store has acted on the failure; if the session lives on, try again below.
    } finally {
      this.#refreshing = false;
    }
    if (this.#running) this.#afterRefresh();
  }

  /*
   * After a refresh that failed without ending the session, tries again well
   * before Graph's expiry, backing off. Once a retry has failed too and the
   * session has been idle past its expiry, there is likely nothing left to
   * keep: keep-alive sleeps until the session is used again, and that call
   * finds out whether it still lives.
   */
  #afterRefresh(): void {
    if (this.#idleFor() < this.#host.refreshAfter) {
      this.#schedule();
      return;
    }
    if (this.#failures > 0 && this.#idleFor() >= this.#host.expiresAfter) {
      this.#dormant = true;
      return;
    }

    this.#failures += 1;
    const first = Math.ceil(this.#host.refreshAfter / 8);
    this.#schedule(Math.min(this.#host.refreshAfter, first * 2 ** (this.#failures - 1)));
  }

  #schedule(delay = this.#host.refreshAfter - this.#idleFor()): void {
    this.#timer?.unsubscribe();
    this.#timer = this.#host.scheduler.schedule(() => this.check(), Math.max(0, delay));
  }

  /* A clock set back since the last use leaves no idle time to measure: the refresh is due. */
  #idleFor(): number {
    const idle = this.#host.scheduler.now() - this.#lastActivityAt;
    return idle >= 0 ? idle : this.#host.refreshAfter;
  }
}
