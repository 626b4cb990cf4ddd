import type { CellValue, WorkbookView, WorksheetInfo } from "./workbook-view";

const FIRST_SHEET: WorksheetInfo = {
  id: "{00000000-0001-0000-0000-000000000000}",
  name: "Sheet1",
  position: 0,
  visibility: "Visible",
};

/**
 * The stored contents of one emulated workbook: a single worksheet `Sheet1` and any number of
 * tables, which come into being on their first row append.
 */
export class WorkbookData implements WorkbookView {
  private readonly sheets: readonly WorksheetInfo[] = [FIRST_SHEET];
  private readonly cells = new Map<string, CellValue>();
  private readonly tables = new Map<string, CellValue[][]>();

  worksheets(): readonly WorksheetInfo[] {
    return this.sheets;
  }

  worksheet(nameOrId: string): WorksheetInfo | undefined {
    const wanted = nameOrId.toLowerCase();
    return this.sheets.find(
      (sheet) => sheet.name.toLowerCase() === wanted || sheet.id === nameOrId,
    );
  }

  cell(sheetId: string, row: number, column: number): CellValue | undefined {
    return this.cells.get(cellKey(sheetId, row, column));
  }

  setCell(sheetId: string, row: number, column: number, value: CellValue): void {
    this.cells.set(cellKey(sheetId, row, column), value);
  }

  tableRows(table: string): readonly (readonly CellValue[])[] {
    return this.tables.get(table.toLowerCase()) ?? [];
  }

  appendRows(table: string, rows: readonly (readonly CellValue[])[]): number {
    const stored = this.tables.get(table.toLowerCase()) ?? [];
    this.tables.set(table.toLowerCase(), stored);

    const first = stored.length;
    stored.push(...rows.map((row) => [...row]));
    return first;
  }
}

/** Map key of one cell. */
export function cellKey(sheetId: string, row: number, column: number): string {
  return `${sheetId}\u0000${row}\u0000${column}`;
}
