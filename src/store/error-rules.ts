import type { WorkbookError } from "../errors/workbook-error";

/** Errors after which Graph's session cannot be used again. */
export function endsSession(error: WorkbookError): boolean {
  if (error.kind === "session-lost") return true;
  if (error.kind !== "auth") return false;
  return error.status === 401 || equalsCode(error.innerCode, "unauthorizedUncategorized");
}

/**
 * Whether a session the store gives up on may still be open on Graph, so that
 * closing it frees one of the workbook's few sessions. Not when Graph said the
 * session is gone (404, an `invalidSession*` code). After a refused token it is
 * worth one try: the app's authentication provider may have a fresh token for it.
 */
export function worthClosing(error: WorkbookError): boolean {
  if (error.status === 404) return false;
  return !(error.innerCode?.toLowerCase().startsWith("invalidsession") ?? false);
}

/* Second-level codes with which Graph says the failed request may be sent again. */
const RESEND_CODES = [
  "tooManyRequestsUncategorized",
  "serviceUnavailableUncategorized",
  "transientFailure",
];

/**
 * Whether Graph may have carried the call out although it failed: no answer came, a
 * gateway timed out (unless Graph's code says to send it again), or a success's answer
 * was cut off.
 */
export function mayHaveBeenApplied(error: WorkbookError): boolean {
  if (RESEND_CODES.some((code) => equalsCode(error.innerCode, code))) return false;
  return (
    error.status === null ||
    (error.status >= 200 && error.status < 300) ||
    error.status === 504 ||
    equalsCode(error.innerCode, "gatewayTimeoutUncategorized")
  );
}

function equalsCode(code: string | null, expected: string): boolean {
  return code !== null && code.toLowerCase() === expected.toLowerCase();
}
