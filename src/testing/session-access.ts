import { SESSION_HEADER } from "../graph/session-header";
import type { EmulatorState } from "./emulator-state";
import type { Exchange } from "./exchange";
import type { GraphErrorSpec } from "./graph-error-spec";
import { graphErrorSpec } from "./graph-error-spec";
import type { RouteRequest } from "./route-request";
import type { EmulatedSession } from "./session-registry";
import type { WorkbookView } from "./workbook-view";

/**
 * Finds the session named by the request's header, counting the call as activity. Answers 400
 * when the header is missing and the expired-session error when the id is not live.
 */
export function requireSession(
  state: EmulatorState,
  exchange: Exchange,
  request: RouteRequest,
): EmulatedSession | undefined {
  const id = exchange.header(SESSION_HEADER);
  if (id === undefined) {
    const message = `The ${SESSION_HEADER} header is required for this request.`;
    exchange.error(graphErrorSpec(400, { message }));
    return undefined;
  }
  return liveSession(state, exchange, request, id);
}

/**
 * The view a workbook call reads and writes: the session's when the request names one (which
 * counts as activity), the stored workbook for a sessionless call. Answers the expired-session
 * error and returns `undefined` when the named session is not live.
 */
export function workbookView(
  state: EmulatorState,
  exchange: Exchange,
  request: RouteRequest,
): WorkbookView | undefined {
  const id = exchange.header(SESSION_HEADER);
  if (id === undefined) return state.workbooks.get(request.address.key);
  return liveSession(state, exchange, request, id)?.view;
}

function liveSession(
  state: EmulatorState,
  exchange: Exchange,
  request: RouteRequest,
  id: string,
): EmulatedSession | undefined {
  const session = state.sessions.use(id, request.address.key);
  if (session === undefined) exchange.error(expiredSessionSpec(state));
  return session;
}

/** The configured answer for an unknown or expired session. */
export function expiredSessionSpec(state: EmulatorState): GraphErrorSpec {
  const { status, code, innerCode, message } = state.settings.expiredSessionError;
  return graphErrorSpec(status, { code, innerCode, message });
}
