import { cleanCode } from "./safe-text";

/** What was read from a Graph error object, level by level. */
export interface ErrorChain {
  /** The code at each level from the top down; null where a level had no usable code. */
  levels: readonly (string | null)[];
  /** The first message found, top level first; diagnostic only. */
  message: string | null;
  /** The `request-id` found in an inner level, if any. */
  requestId: string | null;
}

/** How far down nested `innerError` objects are followed. */
const MAX_DEPTH = 8;

/** Bodies longer than this many characters are not parsed. */
const MAX_BODY_LENGTH = 1_000_000;

const MAX_MESSAGE_LENGTH = 2000;

type Plain = Record<string, unknown>;

/**
 * Reads the Graph error object from `body`: the envelope `{ error: {...} }`, the inner object
 * alone (as the Graph client's error keeps it), or either of them as JSON text. Returns null
 * when `body` is none of those. Only own properties are read, so keys such as `__proto__` or
 * `constructor` in a body change nothing.
 */
export function readErrorChain(body: unknown): ErrorChain | null {
  const error = findErrorObject(parseIfText(body));
  return error === null ? null : readLevels(error);
}

/**
 * Reads the `error` object of a finished long-running operation (`{ status: "failed",
 * error }`), also when given as JSON text. Returns null when there is none.
 */
export function readOperationError(body: unknown): ErrorChain | null {
  const operation = parseIfText(body);
  if (!isPlain(operation)) return null;
  const error = own(operation, "error");
  return isPlain(error) ? readLevels(error) : null;
}

/**
 * Says in a few words what `body` was, for a message explaining why it was not read as a Graph
 * error, e.g. "an HTML page" or "JSON that could not be parsed, possibly cut short".
 */
export function describeBody(body: unknown): string {
  if (body === undefined || body === null) return "no body";
  if (typeof body !== "string")
    return isPlain(body) ? "an object without a Graph error" : typeof body;

  const text = body.trim();
  if (text === "") return "an empty body";
  if (text.startsWith("<")) return "an HTML or XML page";
  if (text.length > MAX_BODY_LENGTH) return "a body too large to read";
  if (!/^[[{"]/.test(text)) return "plain text";
  return parseJson(text) === undefined
    ? "JSON that could not be parsed, possibly cut short"
    : "JSON without an error object";
}

function parseIfText(body: unknown): unknown {
  if (typeof body !== "string") return body;
  return body.length > MAX_BODY_LENGTH ? undefined : parseJson(body);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function findErrorObject(value: unknown): Plain | null {
  if (!isPlain(value)) return null;

  const envelope = own(value, "error");
  if (isPlain(envelope)) return envelope;
  const looksLikeError = ["code", "innerError", "innererror"].some((key) =>
    Object.hasOwn(value, key),
  );
  return looksLikeError ? value : null;
}

function readLevels(error: Plain): ErrorChain {
  const levels: (string | null)[] = [];
  let message: string | null = null;
  let requestId: string | null = null;

  let level: Plain | null = error;
  while (level !== null && levels.length < MAX_DEPTH) {
    levels.push(cleanCode(own(level, "code")));
    message ??= readString(own(level, "message"), MAX_MESSAGE_LENGTH);
    requestId ??= readString(own(level, "request-id"), 128);
    level = innerOf(level);
  }
  return { levels, message, requestId };
}

/** Graph spells the nested object `innerError`; the operation resource spells it `innererror`. */
function innerOf(level: Plain): Plain | null {
  const inner = own(level, "innerError") ?? own(level, "innererror");
  return isPlain(inner) ? inner : null;
}

function readString(value: unknown, maxLength: number): string | null {
  if (typeof value !== "string" || value.trim() === "") return null;
  return value.slice(0, maxLength);
}

function own(object: Plain, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function isPlain(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
