import { type ErrorKind, retryWithBackoff, WorkbookError } from "graph-workbook-session";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";

/*
 * `retryNow` ends a backoff wait early (the store uses it when another store
 * of the workbook has just got a session), but never cuts a Retry-After short.
 */

function failure(kind: ErrorKind, retryAfterMs: number | null = null): WorkbookError {
  return new WorkbookError({
    kind,
    operation: "createSession",
    status: kind === "throttled" ? 429 : 503,
    code: null,
    innerCode: null,
    retryAfterMs,
  });
}

function marbleScheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe("retryWithBackoff with retryNow", () => {
  it("starts the next attempt as soon as retryNow emits", () => {
    marbleScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = cold<string>("-#", undefined, failure("transient"));
      const retryNow = hot("5ms x");
      const options = { retries: 1, baseDelay: 100, jitter: "none" as const, retryNow };

      // Fails at 1, would wait until 101, but retryNow at 5 starts attempt 2 there.
      expectObservable(source.pipe(retryWithBackoff(options))).toBe(
        "6ms #",
        undefined,
        failure("transient").withAttempts(2),
      );
      expectSubscriptions(source.subscriptions).toBe(["^!", "5ms ^!"]);
    });
  });

  it("still waits out the server's Retry-After when retryNow emits earlier", () => {
    marbleScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = cold<string>("-#", undefined, failure("throttled", 50));
      const retryNow = hot("5ms x");
      const options = { retries: 1, baseDelay: 100, jitter: "none" as const, retryNow };

      // Fails at 1 asking for 50 ms: retryNow at 5 moves attempt 2 to 51, not 5.
      expectObservable(source.pipe(retryWithBackoff(options))).toBe(
        "52ms #",
        undefined,
        failure("throttled", 50).withAttempts(2),
      );
      expectSubscriptions(source.subscriptions).toBe(["^!", "51ms ^!"]);
    });
  });

  it("waits the whole backoff when retryNow stays silent, and ignores emissions between waits", () => {
    marbleScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = cold<string>("-#", undefined, failure("transient"));
      const retryNow = hot("x");
      const options = { retries: 1, baseDelay: 100, jitter: "none" as const, retryNow };

      expectObservable(source.pipe(retryWithBackoff(options))).toBe(
        "102ms #",
        undefined,
        failure("transient").withAttempts(2),
      );
      expectSubscriptions(source.subscriptions).toBe(["^!", "101ms ^!"]);
    });
  });

  it("waits the whole backoff when retryNow completes without emitting", () => {
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<string>("-#", undefined, failure("transient"));
      const retryNow = cold("|");
      const options = { retries: 1, baseDelay: 100, jitter: "none" as const, retryNow };

      expectObservable(source.pipe(retryWithBackoff(options))).toBe(
        "102ms #",
        undefined,
        failure("transient").withAttempts(2),
      );
      expectSubscriptions(source.subscriptions).toBe(["^!", "101ms ^!"]);
    });
  });

  it("refuses a retryNow that is not an Observable, naming it", () => {
    expect(() => retryWithBackoff({ retryNow: (() => undefined) as never })).toThrow(
      /^options\.retryNow must be an rxjs Observable/,
    );
  });
});
