import type { EmulatorState } from "./emulator-state";
import type { Exchange } from "./exchange";
import { invalidArgument } from "./graph-error-spec";
import { checkValues } from "./range-access";
import { asObject } from "./request-body";
import type { RouteRequest } from "./route-request";
import { workbookView } from "./session-access";

/** `GET …/tables('{name}')/rows`: the table's rows, each with its index. */
export function listTableRows(
  state: EmulatorState,
  exchange: Exchange,
  request: RouteRequest,
  table: string,
) {
  const view = workbookView(state, exchange, request);
  if (view === undefined) return;

  const value = view.tableRows(table).map((values, index) => ({ index, values: [values] }));
  exchange.json(200, { value });
}

/**
 * `POST …/tables('{name}')/rows/add`: appends rows (a table is created on its first append) and
 * answers 201 with the index of the first new row. The body's `index` is ignored: rows are
 * always appended, which is what clients of this library do.
 */
export function addTableRows(
  state: EmulatorState,
  exchange: Exchange,
  request: RouteRequest,
  table: string,
) {
  const view = workbookView(state, exchange, request);
  if (view === undefined) return;

  const values = checkValues(asObject(request.body)?.values);
  if (typeof values === "string") return exchange.error(invalidArgument(values));

  const rows = values.map((row) => row.map((cell) => cell ?? ""));
  exchange.json(201, { index: view.appendRows(table, rows), values: rows });
}
