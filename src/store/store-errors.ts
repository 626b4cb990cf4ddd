import { formatSeconds } from "../errors/error-message";
import { isUsageError } from "../errors/usage-error";
import { type GraphOperation, WorkbookError, workbookErrorInit } from "../errors/workbook-error";

/**
 * The store was disposed or closed, or the caller cancelled, while the operation waited;
 * `cause` is the caller's abort reason, when it gave one.
 */
export function cancelledError(
  operation: GraphOperation,
  why: string,
  cause?: unknown,
): WorkbookError {
  return new WorkbookError({
    kind: "aborted",
    operation,
    status: null,
    code: "cancelled",
    innerCode: null,
    detail: why,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** How far an opening got when its time ran out. */
export interface OpenAttempts {
  /** createSession requests sent. */
  readonly sent: number;
  /** Whether the last one sent was still waiting for its answer (or its operation). */
  readonly underWay: boolean;
  /** The last attempt that failed, if any. */
  readonly last: WorkbookError | null;
}

/** `open()` ran out of time, retries included. */
export function openTimedOut(ms: number, attempts: OpenAttempts): WorkbookError {
  const { last } = attempts;
  return new WorkbookError({
    kind: "transient",
    operation: "createSession",
    status: null,
    code: "openTimeout",
    innerCode: null,
    // A WorkbookError counts at least one attempt; the detail says when none was sent.
    attempts: Math.max(1, attempts.sent),
    detail: `No session was opened within ${ms} ms. ${howFarItGot(attempts)}`,
    cause: last ?? undefined,
  });
}

function howFarItGot({ sent, underWay, last }: OpenAttempts): string {
  if (sent === 0) {
    return (
      "No attempt had been sent yet: the store was waiting for Graph's Retry-After " +
      "to pass, or for another tab's attempt."
    );
  }
  const sentences = underWay ? [`Attempt ${sent} was still waiting for Graph.`] : [];
  if (last) sentences.push(`${underWay ? "The one before" : "The last attempt"} ${failure(last)}`);
  return sentences.join(" ");
}

/* How an attempt failed: its answer, its codes and its detail. */
function failure(error: WorkbookError): string {
  const answer = error.status === null ? "without an answer" : `with HTTP ${error.status}`;
  const codes = error.codes.length > 0 ? ` (${error.codes.join(", ")})` : "";
  const detail = error.detail ? ` ${error.detail}` : "";
  return `failed ${answer}${codes}.${detail}`;
}

/** The store was disposed before the operation was asked for, so nothing was started. */
export function usedAfterDispose(operation: GraphOperation): WorkbookError {
  return advised(cancelledError(operation, ""), `Nothing was sent. ${disposedWords}`);
}

/** Graph's cooldown outlasts what the store may wait, so nothing was sent. */
export function cooldownTooLong(operation: GraphOperation, waitMs: number, limitMs: number) {
  return new WorkbookError({
    kind: "throttled",
    operation,
    status: null,
    code: "cooldown",
    innerCode: null,
    retryAfterMs: waitMs,
    advice:
      "Send it again once the cooldown has passed, or let the store wait longer with " +
      "retry.maxRetryAfter.",
    detail:
      `Graph asked this app to send nothing for another ${formatSeconds(waitMs)} ` +
      `(Retry-After), longer than retry.maxRetryAfter (${formatSeconds(limitMs)}); ` +
      "the request was not sent.",
  });
}

/**
 * A non-persistent session was lost, so running a call made before the loss in a
 * later session would run it without the changes it may depend on. `replaced`
 * says whether the store opens a new session by itself; a session dropped for
 * good keeps its error's kind, whose advice (sign in again, say) comes first.
 */
export function scratchSessionLost(error: WorkbookError, replaced: boolean): WorkbookError {
  const lost = `The session was created with persistChanges: false and was ${
    replaced ? "lost" : "dropped"
  }, so the changes made in it are gone.`;
  const notRun = replaced
    ? ""
    : " Calls made before the loss are not run in a later session unless they set " +
      "replayAfterChangesLost.";
  const init = {
    ...workbookErrorInit(error),
    detail: error.detail === null ? `${lost}${notRun}` : `${lost}${notRun} ${error.detail}`,
    cause: error,
  };
  if (!replaced) return new WorkbookError(init);

  return new WorkbookError({
    ...init,
    kind: "session-lost",
    advice:
      "The store opens a new session, but calls made before the loss are not run in it, " +
      "since the changes they may depend on are missing there: redo the work from the " +
      "start, or set replayAfterChangesLost on calls that do not depend on earlier changes.",
  });
}

/** What the store did with a call that failed after one of its writes. */
export type WriteStop = "not-resent" | "not-replayed" | "failed";

/**
 * A call failed after Graph carried out one of its writes, or may have; sending
 * the call again, or replaying it in a new session, would repeat that write.
 */
export function writeNotRepeated(
  error: WorkbookError,
  method: string,
  stop: WriteStop,
): WorkbookError {
  const notDone = {
    "not-resent": "The call was not sent again: ",
    "not-replayed": "The session was replaced, but the call was not replayed in the new one: ",
    failed: "",
  }[stop];
  // A mistake in the call itself is still the first thing to fix.
  const mistake = isUsageError(error.cause) && error.advice !== null ? `${error.advice} ` : "";
  const advice =
    `${mistake}${notDone}Graph carried out a ${method} the call sent before this failure, ` +
    "or may have, and running the call again would repeat it. Check the workbook and " +
    "send only what is left of the call; mark calls that may run twice idempotent.";
  return advised(error, advice, false);
}

/** Graph dropped the session, and the store opens a new one in its place by itself. */
export function sessionReplaced(error: WorkbookError): WorkbookError {
  return advised(
    error,
    "The store opens a new session in its place by itself; calls made meanwhile wait for it.",
  );
}

/** A call replayed in a new session was refused there the same way; it is not replayed twice. */
export function replayRefused(error: WorkbookError): WorkbookError {
  return advised(
    error,
    "The call was replayed in a new session and Graph dropped that one too; the store " +
      "opens another session, but does not replay a call twice. Send the call again once " +
      "the store is active.",
  );
}

/* `error` with `advice` in place of what its kind implies; `retryable: false` forbids a resend. */
function advised(error: WorkbookError, advice: string, retryable?: false): WorkbookError {
  const init = { ...workbookErrorInit(error), advice };
  return new WorkbookError(retryable === false ? { ...init, retryable } : init);
}

export const disposedWords =
  "The store was disposed; create a new SessionStore (or acquire the workbook from its " +
  "registry again) to continue.";
export const closedWords = "The store was closed before the call finished.";
export const abortedWords = "The call was cancelled by its AbortSignal.";
export const offlineWords =
  "The network went offline before the refresh could be sent again; keep-alive refreshes " +
  "the session when the network is back.";
export const pageLeftWords = "The page was left before the call finished.";
export const takenOverWords =
  "The page came back after handing its session over, and another page had taken it up.";
