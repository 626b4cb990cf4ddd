import { type GraphOperation, WorkbookError } from "../errors/workbook-error";

/**
 * No answer came within the attempt's time limit. The request was abandoned, except a
 * createSession, whose answer is still awaited so that the session it brings can be closed.
 */
export function attemptTimedOut(operation: GraphOperation, ms: number): WorkbookError {
  return new WorkbookError({
    kind: "transient",
    operation,
    status: null,
    code: "attemptTimeout",
    innerCode: null,
    detail: operation === "request" ? callTimedOut(ms) : requestTimedOut(operation, ms),
  });
}

function requestTimedOut(operation: GraphOperation, ms: number): string {
  const fate =
    operation === "createSession"
      ? "its answer is awaited in the background, to close the session it may bring"
      : "the request was abandoned";
  return `No answer came within ${ms} ms; ${fate}.`;
}

/* A call's try also covers the call's own work, which may be what took too long. */
function callTimedOut(ms: number): string {
  return (
    `The call did not finish within ${ms} ms and its requests were abandoned: Graph did ` +
    "not answer in time, or the call's own work took longer. A store.request made inside " +
    "a call waits behind that call until this timeout; use ctx.api there instead."
  );
}
