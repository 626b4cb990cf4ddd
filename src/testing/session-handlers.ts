import type { EmulatorState } from "./emulator-state";
import type { Exchange } from "./exchange";
import { graphErrorSpec, invalidArgument } from "./graph-error-spec";
import { startOperation } from "./operation-handlers";
import { asObject } from "./request-body";
import type { RouteRequest } from "./route-request";
import { requireSession } from "./session-access";
import { sessionInfoBody } from "./session-info-body";

/**
 * `POST …/createSession`: opens a session (201), or starts an asynchronous operation (202) when
 * the client prefers async and the emulator is configured to answer that way.
 */
export function createSession(state: EmulatorState, exchange: Exchange, request: RouteRequest) {
  const persistChanges = readPersistChanges(request.body);
  if (typeof persistChanges === "string") return exchange.error(invalidArgument(persistChanges));

  const { key } = request.address;
  if (state.sessions.countFor(key) >= state.settings.maxSessionsPerWorkbook) {
    const message = "The workbook has too many open sessions.";
    return exchange.error(graphErrorSpec(429, { message }));
  }
  if (prefersAsync(exchange) && state.settings.asyncCreate.mode === "async") {
    return startOperation(state, exchange, request, persistChanges);
  }
  const session = state.openSession(key, persistChanges);
  exchange.json(201, sessionInfoBody(exchange, request, session));
}

/** `POST …/refreshSession`: keeps a live session alive (204). */
export function refreshSession(state: EmulatorState, exchange: Exchange, request: RouteRequest) {
  if (requireSession(state, exchange, request)) exchange.noContent();
}

/** `POST …/closeSession`: ends a live session (204). */
export function closeSession(state: EmulatorState, exchange: Exchange, request: RouteRequest) {
  const session = requireSession(state, exchange, request);
  if (session === undefined) return;

  state.sessions.close(session.id);
  exchange.noContent();
}

/** Reads `persistChanges` (default true), or returns why the body is unacceptable. */
function readPersistChanges(body: unknown): boolean | string {
  if (body === undefined) return true;

  const object = asObject(body);
  if (object === undefined) return "The createSession body must be a JSON object.";
  const value = object.persistChanges ?? true;
  return typeof value === "boolean" ? value : "persistChanges must be true or false.";
}

function prefersAsync(exchange: Exchange): boolean {
  return /\brespond-async\b/i.test(exchange.header("prefer") ?? "");
}
