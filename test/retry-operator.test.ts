import { GraphError } from "@microsoft/microsoft-graph-client";
import {
  type ErrorKind,
  isWorkbookError,
  type RetryEvent,
  type RetryOptions,
  retryWithBackoff,
  WorkbookError,
} from "graph-workbook-session";
import { asyncScheduler, defer, type Observable, of, type SchedulerLike, throwError } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

function failure(kind: ErrorKind, retryAfterMs: number | null = null): WorkbookError {
  const status = kind === "throttled" ? 429 : kind === "transient" ? 503 : 400;
  return new WorkbookError({
    kind,
    operation: "request",
    status,
    code: null,
    innerCode: null,
    retryAfterMs,
  });
}

/** A source that throws the given errors in turn, then emits "ok"; counts subscriptions. */
function flaky(...errors: unknown[]) {
  const source = { calls: 0, observable: undefined as unknown as Observable<string> };
  source.observable = defer(() => {
    const error = errors[source.calls++];
    return error === undefined ? of("ok") : throwError(() => error);
  });
  return source;
}

function marbleScheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe("retryWithBackoff in virtual time (marbles)", () => {
  it("waits exactly the computed delays, then gives up with the attempts made", () => {
    const testScheduler = marbleScheduler();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<string>("-#", undefined, failure("transient"));
      const options: RetryOptions = { retries: 2, baseDelay: 10, maxDelay: 100, jitter: "none" };

      // Fails at 1, waits 10, fails at 12, waits 20, fails at 33 and gives up.
      expectObservable(source.pipe(retryWithBackoff(options))).toBe(
        "33ms #",
        undefined,
        failure("transient").withAttempts(3),
      );
      expectSubscriptions(source.subscriptions).toBe(["^!", "11ms ^!", "32ms ^!"]);
    });
  });

  it("draws each jittered delay from the injected random source", () => {
    const testScheduler = marbleScheduler();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<string>("-#", undefined, failure("transient"));
      const draws = [0.5, 0.25];
      const options: RetryOptions = { retries: 2, baseDelay: 10, random: () => draws.shift() ?? 0 };

      // Equal jitter: 5 + floor(0.5 · 6) = 8, then 10 + floor(0.25 · 11) = 12.
      expectObservable(source.pipe(retryWithBackoff(options))).toBe(
        "23ms #",
        undefined,
        failure("transient").withAttempts(3),
      );
      expectSubscriptions(source.subscriptions).toBe(["^!", "9ms ^!", "22ms ^!"]);
    });
  });

  it("does not subscribe again before the server's cooldown", () => {
    const testScheduler = marbleScheduler();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<string>("-#", undefined, failure("throttled", 50));
      const options: RetryOptions = { retries: 1, baseDelay: 10, jitter: "none" };

      expectObservable(source.pipe(retryWithBackoff(options))).toBe(
        "52ms #",
        undefined,
        failure("throttled", 50).withAttempts(2),
      );
      expectSubscriptions(source.subscriptions).toBe(["^!", "51ms ^!"]);
    });
  });

  it("passes values through and stops retrying once the source succeeds", () => {
    const testScheduler = marbleScheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      let calls = 0;
      const source = defer(() =>
        calls++ === 0 ? cold("-#", undefined, failure("transient")) : cold("-a|"),
      );
      const options: RetryOptions = { baseDelay: 10, jitter: "none" };

      expectObservable(source.pipe(retryWithBackoff(options))).toBe("12ms a|");
    });
  });

  it("lets a non-retryable error through at once with one attempt", () => {
    const testScheduler = marbleScheduler();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const error = failure("fatal");
      const source = cold<string>("-#", undefined, error);

      expectObservable(source.pipe(retryWithBackoff())).toBe("-#", undefined, error);
      expectSubscriptions(source.subscriptions).toBe(["^!"]);
    });
  });
});

describe("retryWithBackoff with fake timers", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  function run<T>(source: Observable<T>, options?: RetryOptions) {
    const result = { values: [] as T[], error: undefined as unknown, done: false };
    const subscription = source.pipe(retryWithBackoff<T>(options)).subscribe({
      next: (value) => result.values.push(value),
      error: (error: unknown) => {
        result.error = error;
      },
      complete: () => {
        result.done = true;
      },
    });
    return { result, subscription };
  }

  it("honours a 5 s cooldown before sending again (createSession answered 429)", async () => {
    const source = flaky(failure("throttled", 5000));
    const { result } = run(source.observable, { random: () => 0 });

    await vi.advanceTimersByTimeAsync(4999);
    expect(source.calls).toBe(1);

    await vi.advanceTimersByTimeAsync(1);
    expect(source.calls).toBe(2);
    expect(result).toEqual({ values: ["ok"], error: undefined, done: true });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("backs off exponentially and succeeds on the fourth attempt", async () => {
    const source = flaky(failure("transient"), failure("transient"), failure("transient"));
    const events: RetryEvent[] = [];
    const { result } = run(source.observable, {
      jitter: "none",
      onRetry: (event) => events.push(event),
    });

    expect(events.map((event) => event.delay)).toEqual([1000]);
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(2000);
    await vi.advanceTimersByTimeAsync(3999);
    expect(source.calls).toBe(3);

    await vi.advanceTimersByTimeAsync(1);
    expect(source.calls).toBe(4);
    expect(result.values).toEqual(["ok"]);
    expect(events.map((event) => event.delay)).toEqual([1000, 2000, 4000]);
  });

  it("reports each retry before its wait", async () => {
    const source = flaky(failure("throttled", 3000), failure("transient"));
    const events: RetryEvent[] = [];
    const onRetry = (event: RetryEvent) => events.push(event);
    run(source.observable, { jitter: "full", random: () => 0, onRetry });

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ attempt: 1, delay: 3000, nextAttemptAt: 1_003_000 });
    expect(events[0]?.error.kind).toBe("throttled");
    expect(events[0]?.error.attempts).toBe(1);

    await vi.advanceTimersByTimeAsync(3000);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ attempt: 2, delay: 0, nextAttemptAt: 1_003_000 });
    expect(events[1]?.error.attempts).toBe(2);
  });

  it("gives up after its retries with the attempts made", async () => {
    const errors = Array.from({ length: 10 }, () => failure("throttled"));
    const source = flaky(...errors);
    const { result } = run(source.observable, { retries: 3, jitter: "none", baseDelay: 100 });

    await vi.advanceTimersByTimeAsync(100 + 200 + 400);
    expect(source.calls).toBe(4);
    expect(isWorkbookError(result.error)).toBe(true);
    const error = result.error as WorkbookError;
    expect(error.kind).toBe("throttled");
    expect(error.attempts).toBe(4);
    expect(error.message).toContain("after 4 attempts");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("never waits longer than maxDelay per try when the server gives no cooldown", async () => {
    const source = flaky(...Array.from({ length: 10 }, () => failure("throttled")));
    const events: RetryEvent[] = [];
    run(source.observable, {
      retries: 8,
      maxDelay: 4000,
      random: () => 1 - Number.EPSILON,
      onRetry: (event) => events.push(event),
    });

    await vi.advanceTimersByTimeAsync(60_000);
    expect(events.map((event) => event.delay)).toEqual([
      1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000,
    ]);
  });

  it("lets a non-retryable error through at once, the same instance, with one attempt", () => {
    const error = failure("session-lost");
    const source = flaky(error);
    const { result } = run(source.observable);

    expect(result.error).toBe(error);
    expect(error.attempts).toBe(1);
    expect(source.calls).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("gives up at once when the cooldown exceeds maxRetryAfter", () => {
    const source = flaky(failure("throttled", 600_000));
    const onRetry = vi.fn();
    const { result } = run(source.observable, { onRetry });

    const error = result.error as WorkbookError;
    expect(error.kind).toBe("throttled");
    expect(error.attempts).toBe(1);
    expect(error.retryAfterMs).toBe(600_000);
    expect(error.message).toContain("Its Retry-After (600 s) is longer than the 300 s");
    expect(onRetry).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("cancels the wait when unsubscribed, leaving no timer behind", async () => {
    const source = flaky(failure("transient"), failure("transient"));
    const { result, subscription } = run(source.observable, { baseDelay: 1000, jitter: "none" });

    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    subscription.unsubscribe();

    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(source.calls).toBe(1);
    expect(result).toEqual({ values: [], error: undefined, done: false });
  });

  it("asks shouldRetry with the attempt that failed", async () => {
    const source = flaky(failure("recreate-session"), failure("recreate-session"));
    const shouldRetry = vi.fn((error: WorkbookError, attempt: number) => {
      return error.kind === "recreate-session" && attempt < 2;
    });
    const { result } = run(source.observable, { shouldRetry, jitter: "none", baseDelay: 10 });

    await vi.advanceTimersByTimeAsync(10);
    expect(shouldRetry.mock.calls.map(([, attempt]) => attempt)).toEqual([1, 2]);
    expect((result.error as WorkbookError).attempts).toBe(2);
  });

  it("classifies raw Graph client errors by default", async () => {
    const graphError = new GraphError(503, "busy");
    graphError.code = "serviceUnavailable";
    graphError.body = JSON.stringify({ code: "serviceUnavailable" });
    graphError.headers = new Headers({ "retry-after": "2" });
    const source = flaky(graphError, graphError);
    const { result } = run(source.observable, { retries: 1, random: () => 0 });

    await vi.advanceTimersByTimeAsync(1999);
    expect(source.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);

    const error = result.error as WorkbookError;
    expect(source.calls).toBe(2);
    expect(error.kind).toBe("transient");
    expect(error.attempts).toBe(2);
    expect(error.status).toBe(503);
  });

  it("uses a custom classify, and falls back when it returns something else", () => {
    const custom = failure("auth");
    const classify = vi.fn(() => custom);
    expect(run(flaky(new Error("x")).observable, { classify }).result.error).toBe(custom);

    const odd = run(flaky(new Error("x")).observable, {
      classify: () => "not an error" as unknown as WorkbookError,
    });
    expect((odd.result.error as WorkbookError).kind).toBe("fatal");
  });

  it("keeps the larger count, and the same instance, when the error already counts more", () => {
    const spent = failure("fatal").withAttempts(3);
    const { result } = run(flaky(spent).observable);

    expect(result.error).toBe(spent);
    expect((result.error as WorkbookError).attempts).toBe(3);
  });

  it("reports its own count once it exceeds the count the error carried", async () => {
    const inner = failure("transient").withAttempts(2);
    const events: RetryEvent[] = [];
    const source = flaky(inner, inner, inner);
    const { result } = run(source.observable, {
      retries: 2,
      jitter: "none",
      baseDelay: 10,
      onRetry: (event) => events.push(event),
    });

    await vi.advanceTimersByTimeAsync(30);
    expect(events.map((event) => event.error.attempts)).toEqual([2, 2]);
    expect(events[0]?.error).toBe(inner);
    expect((result.error as WorkbookError).attempts).toBe(3);
  });

  it("measures a Retry-After date from the scheduler's clock by default", () => {
    const graphError = new GraphError(429, "slow down");
    graphError.code = "tooManyRequests";
    graphError.body = JSON.stringify({ code: "tooManyRequests" });
    graphError.headers = new Headers({ "retry-after": "Thu, 01 Jan 1970 00:00:10 GMT" });
    const scheduler = { now: () => 4000, schedule: asyncScheduler.schedule.bind(asyncScheduler) };
    const events: RetryEvent[] = [];
    const { subscription } = run(flaky(graphError).observable, {
      scheduler: scheduler as unknown as SchedulerLike,
      random: () => 0,
      onRetry: (event) => events.push(event),
    });
    subscription.unsubscribe();

    // Date.now() is 1_000_000 here, which would make the date long past and the wait 0.
    expect(events[0]?.error.retryAfterMs).toBe(6000);
    expect(events[0]).toMatchObject({ delay: 6000, nextAttemptAt: 10_000 });
  });

  it("makes no retry when retries is 0", () => {
    const source = flaky(failure("transient"));
    const error = run(source.observable, { retries: 0 }).result.error as WorkbookError;
    expect(error.attempts).toBe(1);
    expect(source.calls).toBe(1);
  });

  it("counts attempts afresh for each subscription", async () => {
    const source = flaky(failure("transient"), failure("transient"));
    const options: RetryOptions = { retries: 1, jitter: "none", baseDelay: 10 };
    const first = run(source.observable, options);
    await vi.advanceTimersByTimeAsync(10);
    expect((first.result.error as WorkbookError).attempts).toBe(2);

    const second = run(source.observable, options);
    expect(second.result).toEqual({ values: ["ok"], error: undefined, done: true });
  });
});

describe("retryWithBackoff options", () => {
  it.each([
    [{ retries: -1 }, RangeError, "options.retries must be an integer ≥ 0, got -1."],
    [
      { baseDelay: "1s" },
      TypeError,
      'options.baseDelay must be a number of milliseconds, got "1s".',
    ],
    [{ onRetry: 5 }, TypeError, "options.onRetry must be a function, got 5."],
    [{ shouldRetry: true }, TypeError, "options.shouldRetry must be a function, got true."],
    [{ classify: {} }, TypeError, "options.classify must be a function, got an object."],
    [{ random: 0.5 }, TypeError, "options.random must be a function, got 0.5."],
    [{ scheduler: {} }, TypeError, "options.scheduler must be an rxjs scheduler"],
    [{ scheduler: null }, TypeError, "options.scheduler must be an rxjs scheduler"],
  ] as [unknown, ErrorConstructor, string][])(
    "are checked when the operator is made: %j",
    (options, type, message) => {
      const make = () => retryWithBackoff(options as RetryOptions);
      expect(make).toThrow(type);
      expect(make).toThrow(message);
    },
  );

  it("accepts no options at all", () => {
    expect(typeof retryWithBackoff()).toBe("function");
  });
});
