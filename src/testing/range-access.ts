import type { CellRange } from "./a1-range";
import { columnCount, rowCount } from "./a1-range";
import type { CellValue, WorkbookView } from "./workbook-view";

/** A cell in a write request; `null` leaves the cell as it is, as Graph does. */
export type CellInput = CellValue | null;

/** Most cells one range request may touch, to keep the emulator's memory bounded. */
export const MAX_RANGE_CELLS = 100_000;

/** Reads a rectangle of cells; empty cells read as `""`. */
export function readRange(view: WorkbookView, sheetId: string, range: CellRange): CellValue[][] {
  const rows: CellValue[][] = [];
  for (let row = range.firstRow; row <= range.lastRow; row++) {
    const values: CellValue[] = [];
    for (let column = range.firstColumn; column <= range.lastColumn; column++) {
      values.push(view.cell(sheetId, row, column) ?? "");
    }
    rows.push(values);
  }
  return rows;
}

/** Writes a rectangle of cells whose shape was checked by {@link checkValues}. */
export function writeRange(
  view: WorkbookView,
  sheetId: string,
  range: CellRange,
  values: readonly (readonly CellInput[])[],
): void {
  values.forEach((row, rowOffset) => {
    row.forEach((value, columnOffset) => {
      if (value === null) return;
      view.setCell(sheetId, range.firstRow + rowOffset, range.firstColumn + columnOffset, value);
    });
  });
}

/**
 * Checks that a request's `values` is a two-dimensional array of cell values, optionally of a
 * given shape; returns the problem as a sentence, or the values when they are fine.
 */
export function checkValues(
  values: unknown,
  shape?: CellRange,
): readonly (readonly CellInput[])[] | string {
  if (!Array.isArray(values) || values.length === 0) return "values must be a non-empty 2D array.";
  if (!values.every(isRow)) return "values must hold rows of strings, numbers, booleans or null.";

  if (shape === undefined) return values;
  const fits = values.length === rowCount(shape);
  if (fits && values.every((row) => row.length === columnCount(shape))) return values;
  return `values must have ${rowCount(shape)} row(s) of ${columnCount(shape)} cell(s).`;
}

function isRow(row: unknown): row is CellInput[] {
  return Array.isArray(row) && row.length > 0 && row.every(isCellInput);
}

function isCellInput(value: unknown): value is CellInput {
  const kind = typeof value;
  return value === null || kind === "string" || kind === "boolean" || Number.isFinite(value);
}
