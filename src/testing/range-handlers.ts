import type { CellRange } from "./a1-range";
import { columnCount, formatA1Range, parseA1Range, rowCount } from "./a1-range";
import type { EmulatorState } from "./emulator-state";
import type { Exchange } from "./exchange";
import type { GraphErrorSpec } from "./graph-error-spec";
import { graphErrorSpec, invalidArgument, itemNotFound } from "./graph-error-spec";
import { checkValues, MAX_RANGE_CELLS, readRange, writeRange } from "./range-access";
import { asObject } from "./request-body";
import type { RouteRequest } from "./route-request";
import { workbookView } from "./session-access";
import type { WorkbookView, WorksheetInfo } from "./workbook-view";

/** `GET …/worksheets`: the workbook's worksheets. */
export function listWorksheets(state: EmulatorState, exchange: Exchange, request: RouteRequest) {
  const view = workbookView(state, exchange, request);
  if (view) exchange.json(200, { value: view.worksheets() });
}

/** `GET` or `PATCH …/worksheets('{name}')/range(address='…')`: reads or writes cell values. */
export function rangeCall(
  state: EmulatorState,
  exchange: Exchange,
  request: RouteRequest,
  target: { readonly sheet: string; readonly address: string },
) {
  const view = workbookView(state, exchange, request);
  if (view === undefined) return;

  const sheet = view.worksheet(target.sheet);
  if (sheet === undefined) return exchange.error(itemNotFound(`No worksheet ${target.sheet}.`));
  const range = parseRangeAddress(target.address, sheet);
  if (!isRange(range)) return exchange.error(range);

  const problem = exchange.method === "PATCH" ? patchRange(view, sheet, range, request.body) : "";
  if (problem) return exchange.error(invalidArgument(problem));
  exchange.json(200, rangeBody(view, sheet, range));
}

function patchRange(view: WorkbookView, sheet: WorksheetInfo, range: CellRange, body: unknown) {
  const values = checkValues(asObject(body)?.values, range);
  if (typeof values === "string") return values;

  writeRange(view, sheet.id, range, values);
  return "";
}

/**
 * Parses `A1:B2` or `Sheet1!A1:B2` (the sheet part must name the addressed worksheet), keeping
 * ranges small enough for the emulator to hold.
 */
function parseRangeAddress(text: string, sheet: WorksheetInfo): CellRange | GraphErrorSpec {
  const bang = text.lastIndexOf("!");
  const sheetPart = bang < 0 ? undefined : unquoteSheet(text.slice(0, bang));
  if (sheetPart !== undefined && sheetPart.toLowerCase() !== sheet.name.toLowerCase()) {
    return invalidArgument(`The address ${text} names another worksheet.`);
  }
  const range = parseA1Range(text.slice(bang + 1));
  if (range === undefined) return invalidArgument(`The address ${text} is not a valid A1 range.`);

  if (rowCount(range) * columnCount(range) <= MAX_RANGE_CELLS) return range;
  const message = `The emulator handles at most ${MAX_RANGE_CELLS} cells per request.`;
  return graphErrorSpec(400, { code: "InvalidArgument", innerCode: "rangeExceedsLimit", message });
}

function isRange(value: CellRange | GraphErrorSpec): value is CellRange {
  return "firstRow" in value;
}

function unquoteSheet(text: string): string {
  const quoted = /^'(.*)'$/s.exec(text);
  return quoted?.[1]?.replaceAll("''", "'") ?? text;
}

function rangeBody(view: WorkbookView, sheet: WorksheetInfo, range: CellRange) {
  const address = `${quoteSheet(sheet.name)}!${formatA1Range(range)}`;
  return {
    address,
    addressLocal: address,
    cellCount: rowCount(range) * columnCount(range),
    columnCount: columnCount(range),
    columnIndex: range.firstColumn,
    rowCount: rowCount(range),
    rowIndex: range.firstRow,
    values: readRange(view, sheet.id, range),
  };
}

function quoteSheet(name: string): string {
  return /^[A-Za-z0-9_]+$/.test(name) ? name : `'${name.replaceAll("'", "''")}'`;
}
