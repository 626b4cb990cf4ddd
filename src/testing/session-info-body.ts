import type { Exchange } from "./exchange";
import type { RouteRequest } from "./route-request";
import type { EmulatedSession } from "./session-registry";

/** The `workbookSessionInfo` body Graph returns for a session. */
export function sessionInfoBody(
  exchange: Exchange,
  request: RouteRequest,
  session: Pick<EmulatedSession, "id" | "persistChanges">,
) {
  const context = `${exchange.origin}/${request.address.version}/$metadata`;
  return {
    "@odata.context": `${context}#microsoft.graph.workbookSessionInfo`,
    id: session.id,
    persistChanges: session.persistChanges,
  };
}
