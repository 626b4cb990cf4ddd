import type { GraphOperation } from "../errors/workbook-error";
import type { WorkbookSession } from "../state/session-state";
import { malformedResponse } from "./malformed-response";

const MAX_SESSION_ID_LENGTH = 8192;
const HEADER_SAFE = /^[\u0021-\u007e]+$/;

/**
 * Reads a session from a Graph body (`{ id, persistChanges }`). The id becomes a
 * request header later, so anything that is not a non-empty run of visible ASCII
 * is refused rather than sent.
 */
export function readSessionBody(
  body: unknown,
  operation: GraphOperation,
  requestedPersistChanges: boolean,
): WorkbookSession {
  const id = isRecord(body) && Object.hasOwn(body, "id") ? body.id : undefined;
  if (typeof id !== "string" || id === "") {
    throw malformedResponse(operation, "Graph's answer has no session id.");
  }
  if (id.length > MAX_SESSION_ID_LENGTH || !HEADER_SAFE.test(id)) {
    throw malformedResponse(
      operation,
      "Graph's answer has a session id that cannot be sent as a header.",
    );
  }

  const persist = isRecord(body) && Object.hasOwn(body, "persistChanges") && body.persistChanges;
  return { id, persistChanges: typeof persist === "boolean" ? persist : requestedPersistChanges };
}

/** Parses a response's JSON body, or fails with an error naming the operation. */
export async function readJsonBody(
  response: Response,
  operation: GraphOperation,
): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw malformedResponse(operation, "Graph's answer is not JSON.");
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
