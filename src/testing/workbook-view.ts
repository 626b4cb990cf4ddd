/** A value a cell can hold; empty cells read as `""`. */
export type CellValue = string | number | boolean;

/** A worksheet as Graph lists it. */
export interface WorksheetInfo {
  readonly id: string;
  readonly name: string;
  readonly position: number;
  readonly visibility: "Visible" | "Hidden" | "VeryHidden";
}

/**
 * Read and write access to a workbook's contents: either the stored workbook itself or a
 * non-persistent session's private layer over it.
 */
export interface WorkbookView {
  /** Worksheets in position order. */
  worksheets(): readonly WorksheetInfo[];
  /** The worksheet with this name or id (names compare case-insensitively), if any. */
  worksheet(nameOrId: string): WorksheetInfo | undefined;
  /** Value of one cell, `undefined` when empty. */
  cell(sheetId: string, row: number, column: number): CellValue | undefined;
  /** Sets one cell. */
  setCell(sheetId: string, row: number, column: number, value: CellValue): void;
  /** Rows of a table in order; a table nobody wrote to has none. */
  tableRows(table: string): readonly (readonly CellValue[])[];
  /** Appends rows to a table (creating it on first use) and returns the index of the first. */
  appendRows(table: string, rows: readonly (readonly CellValue[])[]): number;
}
