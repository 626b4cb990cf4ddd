import { setImmediate as nextTurn } from "node:timers/promises";

/** Statuses whose responses carry no body. */
const NULL_BODY = new Set([101, 204, 205, 304]);

/** Event-loop turns in a row without a request in flight that count as quiet. */
const QUIET_TURNS = 3;

/**
 * Watches the process's HTTP traffic (the global `fetch` every Graph client in
 * the benchmarks ends in) so that virtual time only moves on once every
 * request in flight has been answered and its body read.
 */
export class LoopbackIo {
  #inFlight = 0;
  #restore: (() => void) | null = null;

  /** Wraps the global `fetch`; each response body is read in full before it is handed on. */
  install(): void {
    if (this.#restore) return;
    const realFetch = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      this.#inFlight += 1;
      try {
        const response = await realFetch(input, init);
        const body = NULL_BODY.has(response.status) ? null : await response.arrayBuffer();
        const { status, statusText, headers } = response;
        return new Response(body, { status, statusText, headers });
      } finally {
        this.#inFlight -= 1;
      }
    };
    this.#restore = () => {
      globalThis.fetch = realFetch;
    };
  }

  uninstall(): void {
    this.#restore?.();
    this.#restore = null;
  }

  /** Resolves once no request is in flight and the event loop has stayed quiet for a few turns. */
  async settle(): Promise<void> {
    let quiet = 0;
    while (quiet < QUIET_TURNS) {
      await nextTurn();
      quiet = this.#inFlight === 0 ? quiet + 1 : 0;
    }
  }
}
