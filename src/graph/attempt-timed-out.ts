import { type GraphOperation, WorkbookError } from "../errors/workbook-error";

/**
 * No answer came within the attempt's time limit. The request was abandoned, except a
 * createSession, whose answer is still awaited so that the session it brings can be closed.
 */
export function attemptTimedOut(operation: GraphOperation, ms: number): WorkbookError {
  const fate =
    operation === "createSession"
      ? "its answer is awaited in the background, to close the session it may bring"
      : "the request was abandoned";
  return new WorkbookError({
    kind: "transient",
    operation,
    status: null,
    code: "attemptTimeout",
    innerCode: null,
    detail: `No answer came within ${ms} ms; ${fate}.`,
  });
}
