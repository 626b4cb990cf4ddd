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
  /*
   * Each case: a source failing at 1 ms with `error`, one retry after a 100 ms backoff, and
   * `retryNow` as a marble; the stream fails for good when attempt 2 fails, 1 ms after it starts.
   */
  const cases = [
    {
      name: "starts the next attempt as soon as retryNow emits",
      error: failure("transient"),
      retryNow: { hot: "5ms x" },
      secondAttemptAt: 5,
    },
    {
      name: "still waits out the server's Retry-After when retryNow emits earlier",
      error: failure("throttled", 50),
      retryNow: { hot: "5ms x" },
      secondAttemptAt: 51,
    },
    {
      name: "waits the whole backoff when retryNow stays silent, ignoring emissions before the wait",
      error: failure("transient"),
      retryNow: { hot: "x" },
      secondAttemptAt: 101,
    },
    {
      name: "waits the whole backoff when retryNow completes without emitting",
      error: failure("transient"),
      retryNow: { cold: "|" },
      secondAttemptAt: 101,
    },
    {
      name: "waits the whole backoff when retryNow fails",
      error: failure("transient"),
      retryNow: { cold: "#" },
      secondAttemptAt: 101,
    },
  ];

  for (const { name, error, retryNow, secondAttemptAt } of cases) {
    it(name, () => {
      marbleScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const source = cold<string>("-#", undefined, error);
        const now$ = "hot" in retryNow ? hot(retryNow.hot) : cold(retryNow.cold);
        const options = { retries: 1, baseDelay: 100, jitter: "none" as const, retryNow: now$ };

        expectObservable(source.pipe(retryWithBackoff(options))).toBe(
          `${secondAttemptAt + 1}ms #`,
          undefined,
          error.withAttempts(2),
        );
        expectSubscriptions(source.subscriptions).toBe(["^!", `${secondAttemptAt}ms ^!`]);
      });
    });
  }

  it("refuses a retryNow that is not an Observable, naming it", () => {
    expect(() => retryWithBackoff({ retryNow: (() => undefined) as never })).toThrow(
      /^options\.retryNow must be an rxjs Observable/,
    );
  });
});
