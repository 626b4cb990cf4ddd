import type { ErrorKind } from "./error-kind";
import type { GraphOperation } from "./graph-operation";
import { mayHaveBeenApplied } from "./may-have-been-applied";

/** The fields a message is built from, already cleaned. */
export interface MessageFields {
  kind: ErrorKind;
  operation: GraphOperation;
  status: number | null;
  innerCode: string | null;
  codes: readonly string[];
  retryAfterMs: number | null;
  attempts: number;
  requestId: string | null;
  detail: string | null;
  /** Replaces the advice `kind` implies. */
  advice: string | null;
}

const subjects: Record<GraphOperation, string> = {
  createSession: "Creating the workbook session",
  pollOperation: "Polling the session-creation operation",
  getSessionInfo: "Reading the new session's details",
  refreshSession: "Refreshing the workbook session",
  closeSession: "Closing the workbook session",
  request: "The workbook request",
};

/**
 * Builds the error message: what failed (call, status, codes, attempts), what it means and
 * what to do, then the optional detail and the request id.
 */
export function describeError(fields: MessageFields): string {
  const parts = [
    outcome(fields),
    fields.advice === null ? advice(fields) : endSentence(fields.advice),
  ];
  if (fields.detail !== null) parts.push(endSentence(fields.detail));
  if (fields.requestId !== null) parts.push(`Request id: ${fields.requestId}.`);
  return parts.join(" ");
}

/** Formats milliseconds as seconds for a message, e.g. `2129` as `2.129 s`. */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function outcome(fields: MessageFields): string {
  const subject = subjects[fields.operation];
  const attempts = fields.attempts > 1 ? ` after ${fields.attempts} attempts` : "";
  if (fields.kind === "aborted") return `${subject} was cancelled${attempts}.`;

  let status = "";
  if (fields.status !== null) status = ` with HTTP ${fields.status}`;
  else if (fields.codes.length === 0 && fields.kind === "transient") status = " without a response";
  return `${subject} failed${status}${describeCodes(fields.codes)}${attempts}.`;
}

function describeCodes(codes: readonly string[]): string {
  if (codes.length === 0) return "";
  return codes.length === 1 ? ` (code ${codes[0]})` : ` (codes ${codes.join(", ")})`;
}

function advice(fields: MessageFields): string {
  switch (fields.kind) {
    case "throttled":
      return throttledAdvice(fields.retryAfterMs);
    case "transient":
      return transientAdvice(fields);
    case "recreate-session":
      return (
        "The workbook session is no longer valid; " +
        "create a new session and send the request again."
      );
    case "session-lost":
      return sessionLostAdvice(fields);
    case "auth":
      return authAdvice(fields);
    case "fatal":
      return fatalAdvice(fields);
    case "aborted":
      return fields.operation === "request"
        ? "Nothing needs to be done unless the cancellation was unexpected; a call cancelled " +
            "after it was sent may have been carried out by Graph all the same."
        : "Nothing needs to be done unless the cancellation was unexpected.";
  }
}

function sessionLostAdvice(fields: MessageFields): string {
  if (fields.codes.some((code) => code.toLowerCase() === "invalidsessionrecreatable")) {
    return (
      "Graph ended the session; a new one can be opened, but whatever was not " +
      "saved in the old one is gone."
    );
  }
  return (
    "The workbook session can no longer be used and must not be recreated " +
    "automatically; drop it, and open a new one only after the cause named by the " +
    "codes is dealt with."
  );
}

function throttledAdvice(retryAfterMs: number | null): string {
  const cooldown =
    retryAfterMs === null ? "" : ` (the server asked for ${formatSeconds(retryAfterMs)})`;
  return (
    `Graph is throttling this app; wait for the cooldown${cooldown} before sending ` +
    "more requests, and lower the request rate."
  );
}

function transientAdvice(fields: MessageFields): string {
  if (fields.codes.includes("openTimeout")) {
    return (
      "Graph or the network was too slow, or kept failing, for the session to open in " +
      "time; try again later, or allow more time with openTimeout."
    );
  }
  const meaning =
    fields.attempts > 1
      ? "Graph or the network had a temporary problem that outlasted the retries"
      : "Graph or the network had a temporary problem";
  if (fields.operation === "request" && mayHaveBeenApplied(fields)) {
    const applied = isSuccess(fields.status)
      ? "Graph carried the request out, but its answer was cut off"
      : `${meaning}, and Graph may have carried the request out all the same`;
    return `${applied}; check the workbook before sending it again, unless repeating it is harmless.`;
  }
  return fields.attempts > 1
    ? `${meaning}; try again later.`
    : `${meaning}; the same request may succeed when sent again after a pause.`;
}

function isSuccess(status: number | null): boolean {
  return status !== null && status >= 200 && status < 300;
}

function authAdvice(fields: MessageFields): string {
  if (fields.detail !== null && /WAC access token/i.test(fields.detail)) {
    return (
      "Graph could not obtain a WAC access token for the file, which happens when a " +
      "workbook is addressed by path; address it by its drive item id instead."
    );
  }
  if (fields.status === 403) {
    return (
      "The signed-in user or the app may not do this to the workbook; check the file's " +
      "sharing and the permissions granted (Files.ReadWrite, or Files.ReadWrite.All or " +
      "Sites.ReadWrite.All for files of others)."
    );
  }
  return (
    "Check that the access token is valid and unexpired, and that the app has been " +
    "granted access to the workbook (for example Files.ReadWrite)."
  );
}

function fatalAdvice(fields: MessageFields): string {
  if (fields.status === null && fields.codes.length === 0) {
    return (
      "Sending the same request again is not expected to help; " +
      "the detail and the cause say what went wrong."
    );
  }
  const codes = fields.codes.map((code) => code.toLowerCase());
  const has = (...names: string[]) => names.some((name) => codes.includes(name));

  if (has("accessconflict", "conflict", "conflictuncategorized") || fields.status === 409) {
    return (
      "Another client or a pending change conflicts with this request; " +
      "wait until the conflict is resolved before sending it again."
    );
  }
  if (has("unsupportedworkbook")) {
    return (
      "The workbook uses features or a size that Graph cannot handle; " +
      "remove them before trying again."
    );
  }
  if (has("foreignlocation")) {
    return (
      "If Graph is reached through another host (a proxy, a national cloud, an " +
      "emulator), set the store's graphBaseUrl to it."
    );
  }
  if (has("malformedresponse")) {
    return (
      "The answer did not come from Graph as documented; check any proxy in between " +
      "and the client's base URL."
    );
  }
  if (has("itemnotfound", "notfound", "notfounduncategorized") || fields.status === 404) {
    return fields.operation === "request"
      ? "Check that what the call names in the workbook (worksheet, table, range, chart) exists, " +
          "and that its path is relative to the workbook, such as /worksheets('Sheet1')."
      : "Check that the workbook's drive item id or path is right and that the file exists.";
  }
  if (fields.status !== null && fields.status >= 500) {
    return (
      "Graph failed on its side in a way it does not ask clients to retry; sending the " +
      "same request again soon is unlikely to help. If it keeps failing, report the " +
      "request id to Microsoft."
    );
  }
  return (
    "Sending the same request again will fail the same way; " +
    "fix the request or the workbook first."
  );
}

function endSentence(text: string): string {
  return /[.!?…"]$/.test(text) ? text : `${text}.`;
}
