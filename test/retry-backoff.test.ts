import { type BackoffOptions, type ErrorKind, WorkbookError } from "graph-workbook-session";
import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  nextDelay,
  type ResolvedBackoff,
  resolveBackoff,
} from "../src/retry/backoff";

const fixed: ResolvedBackoff = resolveBackoff({ jitter: "none" });
const full: ResolvedBackoff = resolveBackoff({ jitter: "full" });
const almostOne = 1 - Number.EPSILON;

function failure(kind: ErrorKind, retryAfterMs: number | null = null): WorkbookError {
  return new WorkbookError({
    kind,
    operation: "request",
    status: 429,
    code: null,
    innerCode: null,
    retryAfterMs,
  });
}

describe("resolveBackoff", () => {
  it("fills in the documented defaults", () => {
    const defaults = {
      retries: 5,
      baseDelay: 1000,
      maxDelay: 30_000,
      jitter: "equal",
      maxRetryAfter: 300_000,
    };
    expect(resolveBackoff(undefined)).toEqual(defaults);
    expect(resolveBackoff({})).toEqual(defaults);
  });

  it("keeps given values and ignores explicit undefined", () => {
    // Plain JavaScript callers may pass undefined for an option they leave out.
    const options = { retries: 0, baseDelay: 0, maxDelay: 0, maxRetryAfter: undefined };
    expect(resolveBackoff(options as unknown as BackoffOptions)).toEqual({
      ...options,
      jitter: "equal",
      maxRetryAfter: 300_000,
    });
  });

  it.each([
    [{ retries: "3" }, TypeError, 'retry.retries must be a number of retries, got "3".'],
    [{ retries: 1.5 }, RangeError, "retry.retries must be an integer ≥ 0, got 1.5."],
    [{ retries: -1 }, RangeError, "retry.retries must be an integer ≥ 0, got -1."],
    [{ retries: Number.NaN }, RangeError, "retry.retries must be an integer ≥ 0, got NaN."],
    [{ retries: Number.POSITIVE_INFINITY }, RangeError, "got Infinity"],
    [
      { baseDelay: -5 },
      RangeError,
      "retry.baseDelay must be a finite number of milliseconds ≥ 0, got -5.",
    ],
    [{ baseDelay: null }, TypeError, "retry.baseDelay must be a number of milliseconds, got null."],
    [{ maxDelay: Number.NaN }, RangeError, "retry.maxDelay must be a finite number"],
    [{ maxDelay: Number.POSITIVE_INFINITY }, RangeError, "got Infinity"],
    [{ maxRetryAfter: 3e9 }, RangeError, "retry.maxRetryAfter must be at most 2147483647 ms"],
    [
      { maxRetryAfter: "5 min" },
      TypeError,
      'retry.maxRetryAfter must be a number of milliseconds, got "5 min".',
    ],
    [{ jitter: "half" }, RangeError, 'retry.jitter must be "equal", "full" or "none", got "half".'],
    [{ jitter: true }, TypeError, 'retry.jitter must be "equal", "full" or "none", got true.'],
    [
      { baseDelay: 5000, maxDelay: 1000 },
      RangeError,
      "retry.baseDelay must not exceed retry.maxDelay, got 5000 > 1000.",
    ],
    [
      { baseDelay: 50_000 },
      RangeError,
      "retry.baseDelay must not exceed retry.maxDelay, got 50000 > 30000 (the default " +
        "retry.maxDelay); set it too.",
    ],
    [
      { maxDelay: 500 },
      RangeError,
      "retry.baseDelay must not exceed retry.maxDelay, got 1000 > 500 (the default " +
        "retry.baseDelay); set it too.",
    ],
  ] as [unknown, ErrorConstructor, string][])("rejects %j", (options, type, message) => {
    const resolve = () => resolveBackoff(options as BackoffOptions, "retry");
    expect(resolve).toThrow(type);
    expect(resolve).toThrow(message);
  });

  it.each([null, "fast", 5, []])("rejects options that are not an object: %j", (options) => {
    expect(() => resolveBackoff(options as unknown as BackoffOptions, "retry")).toThrow(
      /^retry must be an object/,
    );
  });

  it("names the options 'options' when no name is given", () => {
    expect(() => resolveBackoff({ retries: -1 })).toThrow("options.retries");
  });
});

describe("backoffDelay", () => {
  it("doubles from baseDelay up to maxDelay without jitter", () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 60, 5000].map((n) => backoffDelay(n, fixed, () => 0));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it("stays within [computed wait / 2, computed wait] with equal jitter, the default", () => {
    const equal = resolveBackoff({});
    expect(equal.jitter).toBe("equal");
    expect(backoffDelay(0, equal, () => 0)).toBe(500);
    expect(backoffDelay(0, equal, () => almostOne)).toBe(1000);
    expect(backoffDelay(2, equal, () => 0.5)).toBe(3000);
    expect(backoffDelay(10, equal, () => 0)).toBe(15_000);
    expect(backoffDelay(10, equal, () => almostOne)).toBe(30_000);
  });

  it("keeps a zero baseDelay at zero however many retries came before", () => {
    const zero = resolveBackoff({ baseDelay: 0, retries: 5000, jitter: "none" });
    expect(backoffDelay(1024, zero, () => 0.5)).toBe(0);
    expect(backoffDelay(4999, zero, () => 0.5)).toBe(0);
    expect(backoffDelay(1024, resolveBackoff({ retries: 5000 }), () => 0)).toBe(15_000);
  });

  it("stays within [0, computed wait] with full jitter", () => {
    expect(backoffDelay(0, full, () => 0)).toBe(0);
    expect(backoffDelay(0, full, () => almostOne)).toBe(1000);
    expect(backoffDelay(0, full, () => 0.999)).toBe(999);
    expect(backoffDelay(2, full, () => 0.5)).toBe(2000);
    expect(backoffDelay(10, full, () => almostOne)).toBe(30_000);
    expect(backoffDelay(10, full, () => 0)).toBe(0);
  });

  it("returns whole milliseconds", () => {
    const policy = resolveBackoff({ baseDelay: 333.7, maxDelay: 10_000 });
    for (let n = 0; n < 8; n++) {
      expect(Number.isInteger(backoffDelay(n, policy, Math.random))).toBe(true);
    }
    expect(backoffDelay(0, { ...policy, jitter: "none" }, () => 0)).toBe(333);
  });

  it("keeps a faulty random source within bounds", () => {
    expect(backoffDelay(0, full, () => 1.5)).toBe(1000);
    expect(backoffDelay(0, full, () => -1)).toBe(0);
    expect(backoffDelay(0, full, () => Number.NaN)).toBe(0);
  });

  it("rejects a retry index that is not an integer ≥ 0", () => {
    expect(() => backoffDelay(-1, full, Math.random)).toThrow(RangeError);
    expect(() => backoffDelay(0.5, full, Math.random)).toThrow("retryIndex");
  });
});

describe("nextDelay", () => {
  it("uses the backoff when the server gave no cooldown", () => {
    expect(nextDelay(failure("transient"), 1, fixed, () => 0)).toBe(2000);
  });

  it("never waits less than the server's cooldown", () => {
    expect(nextDelay(failure("throttled", 5000), 0, fixed, () => 0)).toBe(5000);
    expect(nextDelay(failure("throttled", 5000), 0, full, () => 0)).toBe(5000);
    expect(nextDelay(failure("throttled", 2128.2), 0, full, () => 0)).toBe(2129);
    expect(nextDelay(failure("throttled", 45_000), 0, fixed, () => 0)).toBe(45_000);
  });

  it("keeps the backoff when it is longer than the cooldown", () => {
    expect(nextDelay(failure("throttled", 500), 3, fixed, () => 0)).toBe(8000);
  });

  it("gives up when the cooldown exceeds maxRetryAfter", () => {
    const policy = resolveBackoff({ maxRetryAfter: 10_000 });
    expect(nextDelay(failure("throttled", 10_000), 0, policy, () => 0)).toBe(10_000);
    expect(nextDelay(failure("throttled", 10_001), 0, policy, () => 0)).toBeNull();
  });
});
