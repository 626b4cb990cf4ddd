import { LoopbackIo } from "./loopback-io";
import { VirtualScheduler } from "./virtual-scheduler";

/** 2026-01-01T00:00:00Z: virtual clocks start here, so times look like epoch ms. */
export const VIRTUAL_EPOCH = Date.UTC(2026, 0, 1);

/**
 * Virtual time for policy measurements: timers run on a `VirtualScheduler`,
 * while real loopback requests complete between its steps. The clock moves to
 * the next timer only once every request in flight has been answered, so a
 * simulated hour takes as long as its requests do.
 */
export class VirtualTime {
  readonly scheduler = new VirtualScheduler(VIRTUAL_EPOCH);
  readonly #io: LoopbackIo;

  /**
   * `answerTime`, when given, says how long the server takes to answer a
   * request for a URL, in ms of this clock; by default it answers at once.
   */
  constructor(answerTime?: (url: string) => number) {
    this.#io = new LoopbackIo(answerTime ? (url) => this.scheduler.sleep(answerTime(url)) : null);
    this.#io.install();
  }

  now(): number {
    return this.scheduler.now();
  }

  /** Runs timers and I/O until `until` (a time on this clock), or earlier once `done()` holds. */
  async runUntil(until: number, done: () => boolean = () => false): Promise<void> {
    for (;;) {
      await this.#io.settle();
      if (done()) return;
      const due = this.scheduler.nextDueAt();
      if (due === null || due > until) {
        this.scheduler.moveTo(until);
        return;
      }
      this.scheduler.runNext();
    }
  }

  /** Runs timers and I/O for `duration` ms of virtual time. */
  runFor(duration: number): Promise<void> {
    return this.runUntil(this.now() + duration);
  }

  /** Lets requests still in flight finish, then stops watching `fetch`. */
  async stop(): Promise<void> {
    await this.#io.settle();
    this.#io.uninstall();
  }
}
