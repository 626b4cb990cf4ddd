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

function equalsCode(code: string | null, expected: string): boolean {
  return code !== null && code.toLowerCase() === expected.toLowerCase();
}
