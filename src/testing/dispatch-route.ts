import type { EmulatorState } from "./emulator-state";
import type { Exchange } from "./exchange";
import { pollOperation, sessionInfo } from "./operation-handlers";
import { listWorksheets, rangeCall } from "./range-handlers";
import type { RouteRequest } from "./route-request";
import { closeSession, createSession, refreshSession } from "./session-handlers";
import { addTableRows, listTableRows } from "./table-handlers";
import type { WorkbookRoute } from "./workbook-route";

/** Hands a request to the handler of its route. */
export function dispatchRoute(
  state: EmulatorState,
  exchange: Exchange,
  request: RouteRequest,
  route: WorkbookRoute,
) {
  switch (route.name) {
    case "createSession":
      return createSession(state, exchange, request);
    case "refreshSession":
      return refreshSession(state, exchange, request);
    case "closeSession":
      return closeSession(state, exchange, request);
    case "operation":
      return pollOperation(state, exchange, request, route.operationId);
    case "sessionInfo":
      return sessionInfo(state, exchange, request, route.key);
    case "worksheets":
      return listWorksheets(state, exchange, request);
    case "range":
      return rangeCall(state, exchange, request, route);
    case "tableRows":
      return listTableRows(state, exchange, request, route.table);
    case "addRow":
      return addTableRows(state, exchange, request, route.table);
  }
}
