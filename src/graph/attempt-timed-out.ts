import { type GraphOperation, WorkbookError } from "../errors/workbook-error";

/** No answer came within the attempt's time limit, so the request was abandoned. */
export function attemptTimedOut(operation: GraphOperation, ms: number): WorkbookError {
  return new WorkbookError({
    kind: "transient",
    operation,
    status: null,
    code: "attemptTimeout",
    innerCode: null,
    detail: `No answer came within ${ms} ms; the request was abandoned.`,
  });
}
