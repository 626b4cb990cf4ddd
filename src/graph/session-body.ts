import { readBodyText } from "../errors/read-body-text";
import type { GraphOperation } from "../errors/workbook-error";
import type { WorkbookSession } from "../state/session-state";
import { malformedResponse } from "./malformed-response";

const MAX_SESSION_ID_LENGTH = 8192;
const HEADER_SAFE = /^[\u0021-\u007e]+$/;
/** Bodies of session calls are small; anything past this is not Graph's. */
const MAX_BODY_BYTES = 256 * 1024;

/**
 * Reads a session from a Graph body (`{ id, persistChanges }`). The id becomes a
 * request header later, so anything that is not a non-empty run of visible ASCII
 * is refused rather than sent. The session persists only when both the request and
 * Graph's answer say so.
 */
export function readSessionBody(
  body: unknown,
  operation: GraphOperation,
  requestedPersistChanges: boolean,
): WorkbookSession {
  const id = ownProperty(body, "id");
  if (typeof id !== "string" || id === "") {
    throw malformedResponse(operation, "Graph's answer has no session id.");
  }
  if (id.length > MAX_SESSION_ID_LENGTH || !HEADER_SAFE.test(id)) {
    throw malformedResponse(
      operation,
      "Graph's answer has a session id that cannot be sent as a header.",
    );
  }

  // Graph may refuse to save (a file the user may only view), so its false stands; its
  // true for a scratch session was once a known echo bug, so a requested false stands too.
  const persist = ownProperty(body, "persistChanges");
  const granted = typeof persist === "boolean" ? persist : requestedPersistChanges;
  return { id, persistChanges: granted && requestedPersistChanges };
}

/** Parses a response's JSON body, or fails with an error naming the operation. */
export async function readJsonBody(
  response: Response,
  operation: GraphOperation,
): Promise<unknown> {
  const { text, truncated } = await readBodyText(response, MAX_BODY_BYTES);
  if (truncated) {
    throw malformedResponse(operation, `Graph's answer is larger than ${MAX_BODY_BYTES} bytes.`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw malformedResponse(operation, "Graph's answer is not JSON.");
  }
}

/** Lets go of a body nobody needs, so the connection is not held open for it. */
export async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel();
}

/** A property the object itself has (never one from its prototype), or undefined. */
export function ownProperty(value: unknown, key: string): unknown {
  const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
  return isObject && Object.hasOwn(value, key)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}
