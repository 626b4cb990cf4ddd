import { parseRetryAfter } from "../retry/retry-after";
import {
  kindForOptionalCode,
  kindForRequiredCode,
  kindForStatus,
  kindForTopLevelCode,
} from "./error-codes";
import type { ErrorKind } from "./error-kind";
import {
  describeBody,
  type ErrorChain,
  readErrorChain,
  readOperationError,
} from "./graph-error-body";
import { type BodyText, readBodyText } from "./read-body-text";
import { cleanCode, cleanText, quoteServerText } from "./safe-text";
import { isUsageError } from "./usage-error";
import {
  type GraphOperation,
  isWorkbookError,
  WorkbookError,
  type WorkbookErrorInit,
} from "./workbook-error";

/** Where a failure happened, which changes what it means. */
export interface ClassifyContext {
  /** The Graph call that failed. */
  operation: GraphOperation;
  /**
   * Whether the call was made inside a session (it carried a `workbook-session-id` header).
   * There, a 502 or 503 without a known second-level code means the session must be
   * recreated, and `internalServerErrorUncategorized` means it is lost.
   */
  sessionful: boolean;
  /**
   * The current time in ms since the epoch, to measure a Retry-After given as an HTTP date.
   * Default `Date.now()`.
   */
  now?: number;
}

/** A failed Graph response, as plain values. */
export interface GraphFailure {
  /** The HTTP status, or null when no response arrived. */
  status: number | null;
  /**
   * The response body: the parsed `error` object, the whole `{ error }` envelope, JSON text of
   * either, or whatever else arrived (raw text, undefined).
   */
  body: unknown;
  /** The `Retry-After` header value, if any. */
  retryAfter?: string | null;
  /** The request id, if known; otherwise it is read from the body. */
  requestId?: string | null;
  /** The original failure, kept as the error's `cause`. */
  cause?: unknown;
}

/** The parts of a failure that decide its kind and message. */
interface Evidence {
  status: number | null;
  chain: ErrorChain | null;
  /** A sentence saying why there is no chain, or what else went wrong. */
  note: string | null;
  retryAfter: string | null;
  requestId: string | null;
  cause?: unknown;
}

/**
 * Classifies a failed Graph response, following Graph's order: a required second-level code
 * first (compared case-insensitively), then the special cases of a 502 or 503 inside a session
 * and a 404 to refreshSession (recreate the session), then an optional second-level code, the
 * top-level code, and finally the HTTP status.
 * @see https://learn.microsoft.com/en-us/graph/workbook-error-handling
 */
export function classifyFailure(failure: GraphFailure, context: ClassifyContext): WorkbookError {
  const chain = readErrorChain(failure.body);
  const evidence: Evidence = {
    status: failure.status,
    chain,
    note: chain === null ? notGraphFormat(failure.body) : null,
    retryAfter: failure.retryAfter ?? null,
    requestId: failure.requestId ?? null,
  };
  if (Object.hasOwn(failure, "cause")) evidence.cause = failure.cause;
  return fromEvidence(evidence, context);
}

/**
 * Turns anything a Graph call threw into a {@link WorkbookError}:
 * - a WorkbookError is returned unchanged;
 * - an error of the Graph client (with `statusCode`, `code`, `body`, `headers`) is read like a
 *   response; with `statusCode` -1 no response arrived, and `code` AbortError means it was
 *   cancelled (`aborted`), SyntaxError that a response could not be read (`fatal`), and any
 *   other name a network failure or timeout (`transient`); a success (2xx) whose body was not
 *   JSON is `fatal` with code `malformedResponse`, its status kept;
 * - an error this library threw at a mistake in the call (an unsafe path) is `fatal`, its
 *   message kept whole as the advice;
 * - another error named AbortError is `aborted`, one named TimeoutError (an attempt that ran
 *   out of time) is `transient`;
 * - anything else is `fatal`.
 */
export function classifyError(error: unknown, context: ClassifyContext): WorkbookError {
  if (isWorkbookError(error)) return error;
  if (isUsageError(error)) return usageFailure(error, context);
  if (isGraphClientError(error)) return fromGraphClientError(error, context);

  const name = errorName(error);
  if (name === "AbortError") return simpleError("aborted", null, error, context);
  if (name === "TimeoutError") {
    return simpleError("transient", "The attempt ran out of time.", error, context);
  }
  if (isConnectionFailure(name, error)) return simpleError("transient", CUT_OFF, error, context);
  return simpleError("fatal", describeThrown(error, name), error, context);
}

const CUT_OFF = "The connection failed before the whole answer arrived.";

/* What fetch implementations throw when the connection fails mid-exchange: undici, browsers. */
const CONNECTION_MESSAGES = new Set([
  "terminated",
  "fetch failed",
  "network error",
  "failed to fetch",
  "load failed",
  "networkerror when attempting to fetch resource.",
]);
const SOCKET_CODES = /^(UND_ERR_|ECONNRESET$|ECONNREFUSED$|ECONNABORTED$|EPIPE$|ETIMEDOUT$)/;

/**
 * Whether a thrown `TypeError` is fetch saying the connection failed (before or while the body
 * was read), rather than a bug in a call. Such a failure means no whole answer arrived.
 */
function isConnectionFailure(name: string | null, error: unknown): boolean {
  if (name !== "TypeError" || typeof error !== "object" || error === null) return false;
  const { message, cause } = error as { message?: unknown; cause?: unknown };
  if (typeof message === "string" && CONNECTION_MESSAGES.has(message.trim().toLowerCase())) {
    return true;
  }
  const code =
    typeof cause === "object" && cause !== null ? (cause as { code?: unknown }).code : null;
  return typeof code === "string" && SOCKET_CODES.test(code);
}

/**
 * The most of an error response's body that {@link errorFromResponse} reads, in bytes
 * (64 KiB). Graph's error bodies are well under 1 KiB; anything longer is not one.
 */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * Reads a non-2xx `Response` (from a call made in raw mode) into a {@link WorkbookError}.
 * The body is parsed as JSON whatever its content type; when it is not a Graph error (an HTML
 * page, an empty or cut-off body), the status decides and the message says what arrived.
 * At most 64 KiB of the body are read; a longer body is cancelled there
 * and classified by status.
 */
export async function errorFromResponse(
  response: Response,
  context: ClassifyContext,
): Promise<WorkbookError> {
  const body = await readErrorBody(response);
  const chain = body === null || body.truncated ? null : readErrorChain(body.text);
  const contentType = cleanText(response.headers.get("content-type") ?? "", 100);

  let note: string | null = null;
  if (body === null) note = "The response body could not be read.";
  else if (body.truncated) note = tooLong(contentType);
  else if (chain === null) note = notGraphFormat(body.text, contentType);

  return fromEvidence(
    {
      status: response.status,
      chain,
      note,
      retryAfter: response.headers.get("retry-after"),
      requestId: response.headers.get("request-id"),
    },
    context,
  );
}

/**
 * Classifies a long-running operation that ended `failed` (Graph answers such polls with
 * HTTP 200): its `error` object decides, read like a response body; `status` is null.
 * Accepts the operation as an object or as JSON text.
 */
export function errorFromFailedOperation(
  operationBody: unknown,
  context: ClassifyContext,
): WorkbookError {
  const chain = readOperationError(operationBody);
  const note =
    chain === null
      ? "The long-running operation reported failure without an error object."
      : "The long-running operation ended with status failed.";
  return fromEvidence({ status: null, chain, note, retryAfter: null, requestId: null }, context);
}

function fromEvidence(evidence: Evidence, context: ClassifyContext): WorkbookError {
  const levels = evidence.chain?.levels ?? [];
  const code = levels[0] ?? null;
  const innerCode = levels[1] ?? null;

  const init: WorkbookErrorInit = {
    kind: decideKind(evidence.status, code, innerCode, context),
    operation: context.operation,
    status: evidence.status,
    code,
    innerCode,
    codes: levels.filter((level): level is string => level !== null),
    retryAfterMs: parseRetryAfter(evidence.retryAfter, context.now ?? Date.now()),
    requestId: evidence.requestId ?? evidence.chain?.requestId ?? null,
  };
  const detail = joinSentences(evidence.note, serverSaid(evidence.chain));
  if (detail !== null) init.detail = detail;
  if (Object.hasOwn(evidence, "cause")) init.cause = evidence.cause;
  return new WorkbookError(init);
}

function decideKind(
  status: number | null,
  code: string | null,
  innerCode: string | null,
  { sessionful, operation }: ClassifyContext,
): ErrorKind {
  const required = kindForRequiredCode(innerCode, sessionful);
  if (required !== null) return required;

  // Inside a session, Graph asks for the session to be recreated on a 502 or 503 whatever the
  // top-level code; only a required second-level code, which decided above, overrides that.
  const badGateway = status === 502 || status === 503;
  if (sessionful && badGateway) return "recreate-session";
  // refreshSession names nothing but the session, so its 404 says the session has expired.
  if (operation === "refreshSession" && status === 404) return "recreate-session";

  return kindForOptionalCode(innerCode) ?? kindForTopLevelCode(code) ?? kindForStatus(status);
}

/** The shape of the Graph client's `GraphError`, checked by duck typing. */
interface GraphClientErrorLike {
  statusCode: number;
  code: unknown;
  body: unknown;
  message?: unknown;
  requestId?: unknown;
  headers?: unknown;
}

function isGraphClientError(value: unknown): value is GraphClientErrorLike {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<GraphClientErrorLike>;
  return typeof candidate.statusCode === "number" && "code" in value && "body" in value;
}

function fromGraphClientError(
  error: GraphClientErrorLike,
  context: ClassifyContext,
): WorkbookError {
  if (error.statusCode === -1) return fromNoResponse(error, context);
  // A success whose body the client could not read because the connection failed: no whole
  // answer arrived, whatever the status line said.
  const succeeded = error.statusCode >= 200 && error.statusCode < 300;
  if (succeeded && isConnectionFailure(cleanCode(error.code), error)) {
    return cutOffSuccess(error.statusCode, context);
  }
  if (succeeded && cleanCode(error.code) === "SyntaxError") {
    return unreadableSuccess(error, context);
  }

  const chain = readErrorChain(error.body);
  const evidence: Evidence = {
    status: error.statusCode,
    chain: chain ?? fallbackChain(error),
    note: chain === null ? notGraphFormat(error.body) : null,
    retryAfter: headerOf(error.headers, "retry-after"),
    requestId: typeof error.requestId === "string" ? error.requestId : null,
  };
  // The client's error is not kept as the cause: it carries the server's text
  // unmasked, and a server may echo what it was sent.
  return fromEvidence(evidence, context);
}

/**
 * A success whose answer was cut off: Graph carried the request out, so a read may be sent
 * again but a write must not be. The status is kept, which tells the store's rules so.
 */
function cutOffSuccess(status: number, context: ClassifyContext): WorkbookError {
  return new WorkbookError({
    kind: "transient",
    operation: context.operation,
    status,
    code: null,
    innerCode: null,
    detail:
      `Graph answered ${status}, so it carried the request out, but the connection failed ` +
      "before the whole answer arrived. Do not send a write again; read back its effect.",
  });
}

/**
 * A success whose body was not the JSON Graph sends (a proxy's sign-in page, say): the
 * request was carried out, but its answer cannot be used.
 */
function unreadableSuccess(error: GraphClientErrorLike, context: ClassifyContext): WorkbookError {
  const reason = quotedMessage(error);
  const what = reason === null ? "" : ` (${reason})`;
  return new WorkbookError({
    kind: "fatal",
    operation: context.operation,
    status: error.statusCode,
    code: "malformedResponse",
    innerCode: null,
    detail:
      `Graph answered ${error.statusCode}, so the request went through, but the body ` +
      `could not be read as JSON${what}. Read back the effect of a write before sending ` +
      "it again.",
  });
}

/** Keeps the client's own code (e.g. `SyntaxError`) when the body held no Graph error. */
function fallbackChain(error: GraphClientErrorLike): ErrorChain | null {
  const code = cleanCode(error.code);
  return code === null ? null : { levels: [code], message: null, requestId: null };
}

function fromNoResponse(error: GraphClientErrorLike, context: ClassifyContext): WorkbookError {
  const name = cleanCode(error.code) ?? "Error";
  if (name === "AbortError") return simpleError("aborted", null, error, context);

  const reason = quotedMessage(error);
  const what = reason === null ? name : `${name}: ${reason}`;
  if (name === "SyntaxError") {
    return simpleError("fatal", `The response could not be read (${what}).`, error, context);
  }
  const detail = `No response arrived (${what}).`;
  return simpleError("transient", detail, error, context);
}

/* The library's own words already say what was wrong with the call and what to do. */
function usageFailure(error: Error, context: ClassifyContext): WorkbookError {
  return new WorkbookError({
    kind: "fatal",
    operation: context.operation,
    status: null,
    code: null,
    innerCode: null,
    advice: error.message,
    cause: error,
  });
}

function simpleError(
  kind: ErrorKind,
  detail: string | null,
  cause: unknown,
  context: ClassifyContext,
): WorkbookError {
  const init: WorkbookErrorInit = {
    kind,
    operation: context.operation,
    status: null,
    code: null,
    innerCode: null,
    cause,
  };
  if (detail !== null) init.detail = detail;
  return new WorkbookError(init);
}

function describeThrown(error: unknown, name: string | null): string {
  if (name === null) return `A value that is not an error was thrown (${typeof error}).`;
  const reason = quotedMessage(error);
  return `An unexpected ${name} was thrown${reason === null ? "" : `: ${reason}`}.`;
}

/** An error's own message, quoted as server text, or null when it has none. */
function quotedMessage(error: unknown): string | null {
  const message = (error as { message?: unknown }).message;
  return typeof message === "string" && message !== "" ? quoteServerText(message) : null;
}

function errorName(error: unknown): string | null {
  if (typeof error !== "object" || error === null) return null;
  const name = (error as { name?: unknown }).name;
  return typeof name === "string" ? (cleanCode(name) ?? "Error") : null;
}

/** Reads a header from something shaped like `Headers`; never throws. */
function headerOf(headers: unknown, name: string): string | null {
  if (typeof headers !== "object" || headers === null) return null;
  try {
    const value: unknown = (headers as { get(name: string): unknown }).get(name);
    return typeof value === "string" ? value : null;
  } catch {
    return null;
  }
}

/** Reads the start of an error body; null when it cannot be read (already used, failed). */
async function readErrorBody(response: Response): Promise<BodyText | null> {
  try {
    return await readBodyText(response, MAX_ERROR_BODY_BYTES);
  } catch {
    return null;
  }
}

function notGraphFormat(body: unknown, contentType = ""): string {
  const type = contentType === "" ? "" : `, content type ${contentType}`;
  return `The response body was not in Graph's error format (${describeBody(body)}${type}).`;
}

function tooLong(contentType: string): string {
  const type = contentType === "" ? "" : ` (content type ${contentType})`;
  const limit = MAX_ERROR_BODY_BYTES / 1024;
  return (
    `The response body${type} was cut after ${limit} KiB without being read further; ` +
    "no Graph error is that long, so the status decided."
  );
}

function serverSaid(chain: ErrorChain | null): string | null {
  return chain?.message ? `Graph said: ${quoteServerText(chain.message)}` : null;
}

function joinSentences(...sentences: (string | null)[]): string | null {
  const present = sentences.filter((sentence): sentence is string => sentence !== null);
  return present.length === 0 ? null : present.join(" ");
}
