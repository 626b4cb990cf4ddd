import type { FaultError } from "./fault";
import type { GraphErrorSpec } from "./graph-error-spec";

/** Identifiers Graph stamps into the first `innerError` of every error. */
export interface ErrorStamp {
  /** Time of the error as Graph writes it: ISO 8601 to the second, without a zone. */
  readonly date: string;
  readonly requestId: string;
  readonly clientRequestId: string;
}

/** Builds the `{"error": …}` body Graph sends with an HTTP error status. */
export function errorEnvelope(spec: GraphErrorSpec, stamp: ErrorStamp): { error: object } {
  const second =
    spec.innerCode === null ? {} : { code: spec.innerCode, message: spec.innerMessage };
  const third = spec.innermost === undefined ? {} : { innerError: errorObject(spec.innermost) };
  const innerError = {
    ...second,
    ...third,
    date: stamp.date,
    "request-id": stamp.requestId,
    "client-request-id": stamp.clientRequestId,
  };
  return { error: { code: spec.code, message: spec.message, innerError } };
}

/** Turns a {@link FaultError} chain into Graph's nested error object. */
export function errorObject(error: FaultError): object {
  const message = error.message ?? `The operation failed with ${error.code}.`;
  if (error.innerError === undefined) return { code: error.code, message };
  return { code: error.code, message, innerError: errorObject(error.innerError) };
}

/** Formats a clock reading the way Graph writes `date` in errors. */
export function graphErrorDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}
