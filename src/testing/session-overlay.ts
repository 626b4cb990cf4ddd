import { cellKey } from "./workbook-data";
import type { CellValue, WorkbookView, WorksheetInfo } from "./workbook-view";

/**
 * A non-persistent session's private layer over a workbook: it reads through to the workbook,
 * keeps its own writes, and never passes them down, so they vanish with the session.
 */
export class SessionOverlay implements WorkbookView {
  private readonly cells = new Map<string, CellValue>();
  private readonly addedRows = new Map<string, CellValue[][]>();

  constructor(private readonly base: WorkbookView) {}

  worksheets(): readonly WorksheetInfo[] {
    return this.base.worksheets();
  }

  worksheet(nameOrId: string): WorksheetInfo | undefined {
    return this.base.worksheet(nameOrId);
  }

  cell(sheetId: string, row: number, column: number): CellValue | undefined {
    return this.cells.get(cellKey(sheetId, row, column)) ?? this.base.cell(sheetId, row, column);
  }

  setCell(sheetId: string, row: number, column: number, value: CellValue): void {
    this.cells.set(cellKey(sheetId, row, column), value);
  }

  tableRows(table: string): readonly (readonly CellValue[])[] {
    const own = this.addedRows.get(table.toLowerCase()) ?? [];
    return [...this.base.tableRows(table), ...own];
  }

  appendRows(table: string, rows: readonly (readonly CellValue[])[]): number {
    const first = this.tableRows(table).length;
    const own = this.addedRows.get(table.toLowerCase()) ?? [];
    this.addedRows.set(table.toLowerCase(), own);

    own.push(...rows.map((row) => [...row]));
    return first;
  }
}
