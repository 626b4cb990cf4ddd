import { usageError } from "../errors/usage-error";
import { describeValue, readBoolean, readDelay } from "../options/read-option";
import type { RequestOptions } from "./session-context";

/** `RequestOptions` checked, with the store's attempt timeout as the default. */
export interface CheckedRequestOptions extends RequestOptions {
  readonly timeout: number;
}

/**
 * Checks the options of one `request()` call, throwing a `TypeError` or
 * `RangeError` that names the option, as the store's own options do.
 */
export function checkRequestOptions(
  options: unknown,
  defaultTimeout: number,
): CheckedRequestOptions {
  if (isAbortSignal(options)) {
    throw new TypeError(
      "request() was given an AbortSignal as its options; pass it as { signal }.",
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `request() options must be an object such as { signal }, got ${describeValue(options)}.`,
    );
  }
  const { signal, idempotent, timeout, replayAfterChangesLost } = options as RequestOptions;
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw new TypeError(`signal must be an AbortSignal, got ${describeValue(signal)}.`);
  }

  const checked: CheckedRequestOptions = {
    timeout: readDelay(timeout, "timeout", defaultTimeout, 1),
    idempotent: readBoolean(idempotent, "idempotent") ?? false,
    replayAfterChangesLost: readBoolean(replayAfterChangesLost, "replayAfterChangesLost") ?? false,
  };
  return signal ? { ...checked, signal } : checked;
}

/** Refuses a workbook call that is not a function, which would fail only once its turn came. */
export function checkCall(call: unknown): void {
  if (typeof call === "function") return;
  throw new TypeError(
    "request() takes a function that makes the call in the session, such as " +
      `(ctx) => ctx.api("/worksheets").get(), got ${describeValue(call)}.`,
  );
}

/** Whether a call's result can be awaited; a call that returns nothing sent nothing we can track. */
export function checkCallResult<T>(result: Promise<T> | unknown): Promise<T> {
  const thenable =
    (typeof result === "object" || typeof result === "function") &&
    result !== null &&
    typeof (result as { then?: unknown }).then === "function";
  if (thenable) return result as Promise<T>;

  throw usageError(
    new TypeError(
      `The workbook call given to request() returned ${describeValue(result)}, not a promise; ` +
        "return the Graph request's promise, such as return ctx.api(path).get().",
    ),
  );
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AbortSignal).aborted === "boolean" &&
    typeof (value as AbortSignal).addEventListener === "function"
  );
}
