import type { EmulatorState } from "./emulator-state";
import { errorObject } from "./error-envelope";
import type { Exchange } from "./exchange";
import { itemNotFound } from "./graph-error-spec";
import type { EmulatedOperation } from "./operation-registry";
import { pollStatus, spellStatus } from "./operation-registry";
import type { RouteRequest } from "./route-request";
import { workbookUrl } from "./route-request";
import { sessionInfoBody } from "./session-info-body";

/** Answers an async createSession with 202, an empty JSON body and the operation's `Location`. */
export function startOperation(
  state: EmulatorState,
  exchange: Exchange,
  request: RouteRequest,
  persistChanges: boolean,
) {
  const behaviour = state.settings.asyncCreate;
  const { key } = request.address;
  const operation = state.operations.start(key, persistChanges, behaviour, state.settings.now());
  const location =
    behaviour.location ??
    workbookUrl(exchange.origin, request.address, `operations/${operation.id}`);
  exchange.json(202, {}, { location });
}

/**
 * `GET …/operations/{id}`: reports the next status in the configured sequence. The session comes
 * into being on the first poll that reports success.
 */
export function pollOperation(
  state: EmulatorState,
  exchange: Exchange,
  request: RouteRequest,
  operationId: string,
) {
  const operation = state.operations.find(operationId, request.address.key);
  if (operation === undefined) {
    return exchange.error(itemNotFound(`There is no operation ${operationId} on this workbook.`));
  }
  const status = pollStatus(operation);
  if (status === "succeeded" && operation.sessionId === undefined) {
    operation.sessionId = state.openSession(operation.workbook, operation.persistChanges).id;
  }
  const spelled = spellStatus(status, operation.behaviour.statusCasing);
  const body = {
    id: operation.id,
    status: spelled,
    ...outcomeFields(exchange, request, operation),
  };
  exchange.json(200, body);
}

function outcomeFields(exchange: Exchange, request: RouteRequest, operation: EmulatedOperation) {
  const { behaviour } = operation;
  if (operation.sessionId !== undefined) {
    const resource = `sessionInfoResource(key='${operation.id}')`;
    const resourceLocation =
      behaviour.resourceLocation ?? workbookUrl(exchange.origin, request.address, resource);
    return { resourceLocation };
  }
  const finished = operation.polls > behaviour.notStartedPolls + behaviour.runningPolls;
  return finished ? { error: errorObject(behaviour.failure) } : {};
}

/** `GET …/sessionInfoResource(key='…')`: the session a succeeded operation created. */
export function sessionInfo(
  state: EmulatorState,
  exchange: Exchange,
  request: RouteRequest,
  key: string,
) {
  const operation = state.operations.find(key, request.address.key);
  if (operation?.sessionId === undefined) {
    return exchange.error(itemNotFound(`No session was created under the key ${key}.`));
  }
  const session = { id: operation.sessionId, persistChanges: operation.persistChanges };
  exchange.json(200, sessionInfoBody(exchange, request, session));
}
