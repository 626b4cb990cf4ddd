import { setImmediate as nextTurn } from "node:timers/promises";

/** Holds back the answer to a request for `url` until it may arrive. */
export type AnswerTime = (url: string) => Promise<void>;

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
  readonly #answerTime: AnswerTime | null;

  /**
   * `answerTime`, when given, holds each answer back for that long after the
   * server sent it, on a clock that moves meanwhile: Graph's own time to answer.
   */
  constructor(answerTime: AnswerTime | null = null) {
    this.#answerTime = answerTime;
  }

  /** Wraps the global `fetch`; each response body is read in full before it is handed on. */
  install(): void {
    if (this.#restore) return;
    const realFetch = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      let answer: Response;
      this.#inFlight += 1;
      try {
        const response = await realFetch(input, init);
        const body = NULL_BODY.has(response.status) ? null : await response.arrayBuffer();
        const { status, statusText, headers } = response;
        answer = new Response(body, { status, statusText, headers });
      } finally {
        this.#inFlight -= 1;
      }
      // Not in flight while held back: the clock has to move for the answer to arrive.
      await this.#answerTime?.(String(input instanceof Request ? input.url : input));
      return answer;
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
