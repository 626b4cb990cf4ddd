/**
 * Names of the workbook routes the emulator serves. Faults are scripted per route name and every
 * recorded request carries one.
 *
 * - `createSession`: `POST …/workbook/createSession`
 * - `refreshSession`: `POST …/workbook/refreshSession`
 * - `closeSession`: `POST …/workbook/closeSession`
 * - `operation`: `GET …/workbook/operations/{id}` (status of an asynchronous createSession)
 * - `sessionInfo`: `GET …/workbook/sessionInfoResource(key='…')` (result of that operation)
 * - `worksheets`: `GET …/workbook/worksheets`
 * - `range`: `GET` or `PATCH …/workbook/worksheets('{name}')/range(address='…')`
 * - `tableRows`: `GET …/workbook/tables('{name}')/rows`
 * - `addRow`: `POST …/workbook/tables('{name}')/rows/add` (or `POST …/rows`)
 */
export type RouteName =
  | "createSession"
  | "refreshSession"
  | "closeSession"
  | "operation"
  | "sessionInfo"
  | "worksheets"
  | "range"
  | "tableRows"
  | "addRow";

/** Every {@link RouteName}, in the order the documentation lists them. */
export const ROUTE_NAMES: readonly RouteName[] = [
  "createSession",
  "refreshSession",
  "closeSession",
  "operation",
  "sessionInfo",
  "worksheets",
  "range",
  "tableRows",
  "addRow",
];

/** Tells whether a string names one of the emulator's routes. */
export function isRouteName(value: string): value is RouteName {
  return (ROUTE_NAMES as readonly string[]).includes(value);
}
