import { ERROR_KINDS, type ErrorKind, isRetryableKind } from "./error-kind";
import { describeError, type MessageFields } from "./error-message";
import type { GraphOperation } from "./graph-operation";
import { cleanText, MAX_CODE_LENGTH, maskOpaque, maskRequestId } from "./safe-text";

export type { GraphOperation } from "./graph-operation";

/** What a {@link WorkbookError} is made from. */
export interface WorkbookErrorInit {
  /** What the failure means for the caller. */
  kind: ErrorKind;
  /** The Graph call that failed. */
  operation: GraphOperation;
  /** The HTTP status; null when no response arrived (network failure, timeout, abort). */
  status: number | null;
  /** The top-level Graph error code, null when there was none. */
  code: string | null;
  /** The second-level Graph error code, null when there was none. */
  innerCode: string | null;
  /**
   * Every code from the top level down to the innermost, e.g.
   * `["internalServerError", "internalServerErrorUncategorized", "GenericFileOpenError"]`.
   * Defaults to `code` and `innerCode`, where present.
   */
  codes?: readonly string[];
  /** The cooldown the server asked for (Retry-After), in ms; default null (none). */
  retryAfterMs?: number | null;
  /** The attempts made so far, a positive integer; default 1. */
  attempts?: number;
  /** The request id Graph reported, for support cases; default null. */
  requestId?: string | null;
  /**
   * More for the message: the server's own message (diagnostic only, quoted), what was
   * wrong with the response, or what the store did about the failure. Control characters
   * are removed and it is capped.
   */
  detail?: string;
  /**
   * What to do, in place of the advice the message takes from `kind`: for code that already
   * acted on the failure (the store, when it replaced the session or would not repeat a
   * write). Cleaned and capped like `detail`.
   */
  advice?: string;
  /**
   * `false` marks an error of a kind that is retried as not to be sent again, because
   * that would repeat something Graph carried out (a write of the same call). Default:
   * what `kind` implies; `true` cannot make another kind retryable.
   */
  retryable?: boolean;
  /** The original failure, e.g. the Graph client's error. Never part of `toJSON()`. */
  cause?: unknown;
}

/** The fields of a {@link WorkbookError} that are safe to log, as `toJSON()` returns them. */
export interface WorkbookErrorJSON {
  name: "WorkbookError";
  message: string;
  kind: ErrorKind;
  operation: GraphOperation;
  status: number | null;
  code: string | null;
  innerCode: string | null;
  codes: readonly string[];
  retryAfterMs: number | null;
  attempts: number;
  retryable: boolean;
  requestId: string | null;
  detail: string | null;
  advice: string | null;
}

const MAX_DETAIL_LENGTH = 600;
const MAX_REQUEST_ID_LENGTH = 128;

/**
 * Marks instances so that {@link isWorkbookError} still recognises them when two copies of
 * this package are loaded (where `instanceof` would fail).
 */
const brand = Symbol.for("graph-workbook-session.WorkbookError");

/**
 * A failed Graph workbook call, classified. `kind` says what may be done next; `status`,
 * `code`, `innerCode` and `codes` say what Graph answered. The message never contains
 * request headers or tokens, and `toJSON()` leaves out `cause` so the error can be logged.
 */
export class WorkbookError extends Error {
  override readonly name = "WorkbookError" as const;
  // Declared only: the constructor sets them all at once, from the normalized init.
  /** What the failure means for the caller; see {@link ErrorKind}. */
  declare readonly kind: ErrorKind;
  /** The Graph call that failed. */
  declare readonly operation: GraphOperation;
  /** The HTTP status, or null when no response arrived. */
  declare readonly status: number | null;
  /** The top-level Graph error code, or null. */
  declare readonly code: string | null;
  /** The second-level Graph error code, or null. */
  declare readonly innerCode: string | null;
  /** Every Graph error code from the top level down; empty when there were none. */
  declare readonly codes: readonly string[];
  /** The cooldown the server asked for, in ms, or null when it gave none. */
  declare readonly retryAfterMs: number | null;
  /** How many attempts were made, counting the one that failed last. */
  declare readonly attempts: number;
  /** The request id Graph reported, or null. */
  declare readonly requestId: string | null;
  /**
   * The extra sentences of the message (server text, what was malformed, or why the
   * store did not send the call again), or null.
   */
  declare readonly detail: string | null;
  /** The advice given in place of the one `kind` implies, or null. */
  declare readonly advice: string | null;
  /**
   * True when the failed request may be sent again: its kind is `throttled` or
   * `transient`, and sending it would repeat nothing Graph carried out.
   */
  declare readonly retryable: boolean;

  constructor(init: WorkbookErrorInit) {
    const fields = normalize(init);
    super(describeError(fields), Object.hasOwn(init, "cause") ? { cause: init.cause } : {});
    Object.defineProperty(this, brand, { value: true });

    const retryable = init.retryable !== false && isRetryableKind(fields.kind);
    Object.assign(this, fields, { retryable });
  }

  /** Returns a copy of this error that reports `attempts` attempts, with its message updated. */
  withAttempts(attempts: number): WorkbookError {
    return copyWithAttempts(this, attempts);
  }

  /** The fields that are safe to log: everything except `cause` and the stack. */
  toJSON(): WorkbookErrorJSON {
    return {
      name: "WorkbookError",
      message: this.message,
      kind: this.kind,
      operation: this.operation,
      status: this.status,
      code: this.code,
      innerCode: this.innerCode,
      codes: this.codes,
      retryAfterMs: this.retryAfterMs,
      attempts: this.attempts,
      retryable: this.retryable,
      requestId: this.requestId,
      detail: this.detail,
      advice: this.advice,
    };
  }
}

/*
 * Outside the class: a class that names itself in its own body is renamed by the
 * bundler (`_WorkbookError`), and that name would show in stack traces.
 */
function copyWithAttempts(error: WorkbookError, attempts: number): WorkbookError {
  return new WorkbookError({ ...workbookErrorInit(error), attempts });
}

/**
 * Tells whether `value` is a {@link WorkbookError}, also one made by another copy of this
 * package.
 */
export function isWorkbookError(value: unknown): value is WorkbookError {
  return (
    typeof value === "object" && value !== null && (value as { [brand]?: unknown })[brand] === true
  );
}

/**
 * Reads back what `error` was made from, using only its public fields, so that it also works
 * on an error made by another copy of this package.
 */
export function workbookErrorInit(error: WorkbookError): WorkbookErrorInit {
  const init: WorkbookErrorInit = {
    kind: error.kind,
    operation: error.operation,
    status: error.status,
    code: error.code,
    innerCode: error.innerCode,
    codes: error.codes,
    retryAfterMs: error.retryAfterMs,
    attempts: error.attempts,
    requestId: error.requestId,
  };
  if (error.detail !== null) init.detail = error.detail;
  if (typeof error.advice === "string") init.advice = error.advice;
  if (error.retryable === false) init.retryable = false;
  if (Object.hasOwn(error, "cause")) init.cause = error.cause;
  return init;
}

interface Fields extends MessageFields {
  code: string | null;
  innerCode: string | null;
}

function normalize(init: WorkbookErrorInit): Fields {
  if (!ERROR_KINDS.includes(init.kind)) {
    throw new TypeError(
      `WorkbookError kind must be one of ${ERROR_KINDS.join(", ")}, got ${String(init.kind)}.`,
    );
  }
  const code = cleanServerCode(init.code);
  const innerCode = cleanServerCode(init.innerCode);
  return {
    kind: init.kind,
    operation: init.operation,
    status: Number.isFinite(init.status) ? init.status : null,
    code,
    innerCode,
    codes: normalizeCodes(init.codes, code, innerCode),
    retryAfterMs: normalizeCooldown(init.retryAfterMs),
    attempts: normalizeAttempts(init.attempts),
    requestId: cleanRequestId(init.requestId),
    detail: cleanOptional(init.detail, MAX_DETAIL_LENGTH),
    advice: cleanOptional(init.advice, MAX_DETAIL_LENGTH),
  };
}

function cleanOptional(value: string | null | undefined, maxLength: number): string | null {
  if (typeof value !== "string") return null;
  const clean = cleanText(value, maxLength);
  return clean === "" ? null : clean;
}

/* Codes and request ids come from the server, which may echo a token it was sent. */
function cleanServerCode(value: string | null | undefined): string | null {
  const clean = cleanOptional(value, MAX_CODE_LENGTH);
  return clean === null ? null : maskOpaque(clean);
}

function cleanRequestId(value: string | null | undefined): string | null {
  const clean = cleanOptional(value, MAX_REQUEST_ID_LENGTH);
  return clean === null ? null : maskRequestId(clean);
}

function normalizeCodes(
  codes: readonly string[] | undefined,
  code: string | null,
  innerCode: string | null,
): readonly string[] {
  const given = codes ?? [code, innerCode];
  const clean = given.map(cleanServerCode);
  return Object.freeze(clean.filter((item): item is string => item !== null));
}

function normalizeCooldown(ms: number | null | undefined): number | null {
  return typeof ms === "number" && ms >= 0 ? ms : null;
}

function normalizeAttempts(attempts: number | undefined): number {
  if (attempts === undefined) return 1;
  if (Number.isInteger(attempts) && attempts >= 1) return attempts;
  throw new RangeError(`WorkbookError attempts must be an integer ≥ 1, got ${String(attempts)}.`);
}
