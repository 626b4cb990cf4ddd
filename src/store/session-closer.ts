import { lastValueFrom, type Observable, take } from "rxjs";
import type { GraphOperation, WorkbookError } from "../errors/workbook-error";
import type { CloseReason } from "../events/session-event";
import type { CreateOutcome, SessionApi } from "../graph/session-api";
import type { Cooldown } from "./cooldown";

/** What closing sessions needs from its store. */
export interface CloserHost {
  readonly api: SessionApi;
  readonly cooldown: Cooldown;
  /** Classifies a refusal, so that a Retry-After in it holds the store's next request. */
  classify(error: unknown, operation: GraphOperation, sessionful: boolean): WorkbookError;
  /** Told of each close, whether Graph confirmed it or not. */
  reportClosed(sessionId: string, reason: CloseReason, closed: boolean): void;
}

/**
 * Closes a store's sessions on the server, best effort, and keeps track of the
 * closes still under way, so that disposal can wait for every one of them.
 * While Graph's cooldown lasts nothing is sent, as Graph asks; a session left
 * open that way expires by itself.
 */
export class SessionCloser {
  readonly #host: CloserHost;
  readonly #underWay = new Set<Promise<void>>();

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
   * Waits for a createSession answer nobody wants any more, and closes the
   * session it brings. Must be called before the creation is let go, so that
   * the request is not aborted.
   */
  closeWhenItArrives(post$: Observable<CreateOutcome>): void {
    const answer = lastValueFrom(post$.pipe(take(1)), { defaultValue: null });
    const closing = answer.then(
      (outcome) => {
        if (outcome && "session" in outcome) void this.close(outcome.session.id, "late");
      },
      (error: unknown) => void this.#host.classify(error, "createSession", false),
    );
    this.#track(closing);
  }

  /** Resolves once no close is under way, including closes started while waiting. */
  async settled(): Promise<void> {
    while (this.#underWay.size > 0) await Promise.all([...this.#underWay]);
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

  #track(work: Promise<void>): void {
    this.#underWay.add(work);
    void work.finally(() => this.#underWay.delete(work));
  }
}
