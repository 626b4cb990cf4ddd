import { type GraphOperation, WorkbookError } from "../errors/workbook-error";

/** Graph answered with something this library cannot use; `detail` says what. */
export function malformedResponse(operation: GraphOperation, detail: string): WorkbookError {
  return new WorkbookError({
    kind: "fatal",
    operation,
    status: null,
    code: "malformedResponse",
    innerCode: null,
    detail,
  });
}
