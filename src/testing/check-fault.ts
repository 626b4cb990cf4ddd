import { describeValue, readBoolean, readDelay, readFunction } from "../options/read-option";
import type { Fault } from "./fault";
import { checkFaultEffect } from "./fault-effect";
import {
  FORBIDDEN_IN_HEADER_VALUE,
  HEADER_NAME_RULE,
  HEADER_VALUE_RULE,
  HTTP_TOKEN,
} from "./header-rules";

/** Headers that say where an answer ends; a wrong one leaves the client waiting for ever. */
const FRAMING_HEADERS = new Set(["content-length", "transfer-encoding", "connection"]);

/**
 * Checks every field of a fault as it is queued, then the fault as a whole (see
 * {@link checkFaultEffect}), so a bad one throws at the `fault()` call instead of failing, or
 * silently missing, the request it meets. Returns a copy, so later changes to the caller's object
 * (or its `headers`) cannot slip past the checks.
 */
export function checkFault(fault: Fault): Fault {
  if (typeof fault !== "object" || fault === null || Array.isArray(fault)) {
    throw new TypeError(`A fault must be an object, got ${describeValue(fault)}.`);
  }
  const checked = {
    status: checkStatus(fault.status),
    code: checkText(fault.code, "code"),
    innerCode: checkInnerCode(fault.innerCode),
    innermostCode: checkText(fault.innermostCode, "innermostCode"),
    message: checkText(fault.message, "message"),
    retryAfter: checkRetryAfter(fault.retryAfter),
    headers: checkHeaders(fault.headers),
    body: checkBody(fault.body),
    contentType: checkHeaderText(fault.contentType, "contentType"),
    delayMs:
      fault.delayMs === undefined ? undefined : readDelay(fault.delayMs, "A fault's delayMs", 0),
    hang: readBoolean(fault.hang, "A fault's hang") || undefined,
    drop: readBoolean(fault.drop, "A fault's drop") || undefined,
    truncateAfter: checkTruncateAfter(fault.truncateAfter),
    match: readFunction(fault.match, "A fault's match"),
    times: checkTimes(fault.times),
  };
  refuseUnknownFields(fault, Object.keys(checked));
  const defined = definedOnly(checked);
  checkFaultEffect(defined);
  return defined;
}

/* A misspelt field would leave the fault doing something else than the test means. */
function refuseUnknownFields(fault: object, fields: readonly string[]): void {
  const unknown = Object.keys(fault).find((key) => !fields.includes(key));
  if (unknown === undefined) return;
  throw new RangeError(
    `A fault has no field ${describeValue(unknown)}; its fields are ${fields.join(", ")}.`,
  );
}

/**
 * Leaves out the fields a fault did not set, as `Fault` does not allow them as `undefined`. The
 * parameter type lists every field of `Fault`, so a new field cannot go unchecked.
 */
function definedOnly(fields: { [K in keyof Fault]-?: Fault[K] | undefined }): Fault {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** Statuses below 200 are interim answers a client waits past, so a fault cannot end with one. */
function checkStatus(status: unknown): number | undefined {
  if (status === undefined) return undefined;
  if (typeof status === "number" && Number.isInteger(status) && status >= 200 && status <= 599) {
    return status;
  }
  throw invalid(
    status,
    `A fault's status must be an integer HTTP status from 200 to 599, got ${describeValue(status)}.`,
  );
}

function checkText(value: unknown, field: string): string | undefined {
  if (value === undefined || typeof value === "string") return value;
  throw new TypeError(`A fault's ${field} must be a string, got ${describeValue(value)}.`);
}

function checkInnerCode(value: unknown): string | null | undefined {
  if (value === undefined || value === null || typeof value === "string") return value;
  throw new TypeError(`A fault's innerCode must be a string or null, got ${describeValue(value)}.`);
}

function checkBody(value: unknown): string | undefined {
  if (value === undefined || typeof value === "string") return value;
  throw new TypeError(
    `A fault's body must be a string, sent verbatim, got ${describeValue(value)}; ` +
      `use JSON.stringify for a JSON body.`,
  );
}

/** Numbers are seconds; strings go out verbatim, so they may test unreadable values. */
function checkRetryAfter(value: unknown): string | number | undefined {
  if (typeof value === "string") return checkHeaderText(value, "retryAfter");
  if (value === undefined || (typeof value === "number" && Number.isFinite(value) && value >= 0)) {
    return value;
  }
  throw invalid(
    value,
    `A fault's retryAfter must be a finite number of seconds ≥ 0 or a string sent verbatim, ` +
      `got ${describeValue(value)}.`,
  );
}

function checkHeaderText(value: unknown, field: string): string | undefined {
  const text = checkText(value, field);
  if (text !== undefined && FORBIDDEN_IN_HEADER_VALUE.test(text)) {
    throw new RangeError(
      `A fault's ${field} must be a header value ${HEADER_VALUE_RULE}, got ${describeValue(text)}.`,
    );
  }
  return text;
}

function checkHeaders(headers: unknown): Record<string, string> | undefined {
  if (headers === undefined) return undefined;
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    throw new TypeError(
      `A fault's headers must be an object of header names to string values, ` +
        `got ${describeValue(headers)}.`,
    );
  }
  const copy: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) copy[name] = checkHeader(name, value);
  return copy;
}

function checkHeader(name: string, value: unknown): string {
  if (FRAMING_HEADERS.has(name.toLowerCase())) {
    throw new RangeError(
      `A fault's header ${describeValue(name)} frames the answer, which the emulator does from ` +
        "the body; script the body with body and truncateAfter instead.",
    );
  }
  if (!HTTP_TOKEN.test(name)) {
    throw new RangeError(
      `A fault's header name must be ${HEADER_NAME_RULE}, got ${describeValue(name)}.`,
    );
  }
  if (typeof value !== "string") {
    throw new TypeError(
      `A fault's header ${describeValue(name)} must have a string value, got ${describeValue(value)}.`,
    );
  }
  if (FORBIDDEN_IN_HEADER_VALUE.test(value)) {
    throw new RangeError(
      `A fault's header ${describeValue(name)} must have a value ${HEADER_VALUE_RULE}, ` +
        `got ${describeValue(value)}.`,
    );
  }
  return value;
}

function checkTruncateAfter(bytes: unknown): number | undefined {
  if (bytes === undefined) return undefined;
  if (typeof bytes === "number" && Number.isSafeInteger(bytes) && bytes >= 0) return bytes;
  throw invalid(
    bytes,
    `A fault's truncateAfter must be a whole number of bytes ≥ 0, got ${describeValue(bytes)}.`,
  );
}

function checkTimes(times: unknown): number | undefined {
  if (times === undefined) return undefined;
  const valid =
    times === Number.POSITIVE_INFINITY ||
    (typeof times === "number" && Number.isInteger(times) && times > 0);
  if (valid) return times;
  throw invalid(
    times,
    `A fault's times must be a positive integer or Infinity, got ${describeValue(times)}.`,
  );
}

/** A RangeError for a number out of range, else a TypeError for a value of the wrong type. */
function invalid(value: unknown, message: string): Error {
  return typeof value === "number" ? new RangeError(message) : new TypeError(message);
}
