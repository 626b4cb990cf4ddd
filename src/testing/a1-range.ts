/** A rectangle of cells, with zero-based, inclusive row and column indexes. */
export interface CellRange {
  readonly firstRow: number;
  readonly firstColumn: number;
  readonly lastRow: number;
  readonly lastColumn: number;
}

/** Number of rows in an Excel worksheet. */
export const MAX_ROWS = 1_048_576;

/** Number of columns in an Excel worksheet (`A` to `XFD`). */
export const MAX_COLUMNS = 16_384;

const CELL = /^\$?([A-Za-z]{1,3})\$?(\d{1,7})$/;

/**
 * Parses an A1-style reference such as `B2` or `A1:C3` (with optional `$` anchors) into a range,
 * or returns `undefined` when the text is not a cell rectangle inside the worksheet bounds.
 */
export function parseA1Range(text: string): CellRange | undefined {
  const [start, end = start, extra] = text.trim().split(":");
  if (start === undefined || end === undefined || extra !== undefined) return undefined;

  const first = parseCell(start);
  const last = parseCell(end);
  if (!first || !last) return undefined;

  return {
    firstRow: Math.min(first.row, last.row),
    firstColumn: Math.min(first.column, last.column),
    lastRow: Math.max(first.row, last.row),
    lastColumn: Math.max(first.column, last.column),
  };
}

function parseCell(text: string): { row: number; column: number } | undefined {
  const match = CELL.exec(text);
  if (!match?.[1] || !match[2]) return undefined;

  const column = columnIndex(match[1]);
  const row = Number(match[2]) - 1;
  if (row < 0 || row >= MAX_ROWS || column >= MAX_COLUMNS) return undefined;
  return { row, column };
}

function columnIndex(letters: string): number {
  let index = 0;
  for (const letter of letters.toUpperCase()) index = index * 26 + (letter.charCodeAt(0) - 64);
  return index - 1;
}

/** Column letters for a zero-based column index: 0 is `A`, 26 is `AA`. */
export function columnLetters(index: number): string {
  let letters = "";
  for (let rest = index + 1; rest > 0; rest = Math.floor((rest - 1) / 26)) {
    letters = String.fromCharCode(65 + ((rest - 1) % 26)) + letters;
  }
  return letters;
}

/** Writes a range back in A1 form; a single cell has no colon. */
export function formatA1Range(range: CellRange): string {
  const first = `${columnLetters(range.firstColumn)}${range.firstRow + 1}`;
  const last = `${columnLetters(range.lastColumn)}${range.lastRow + 1}`;
  return first === last ? first : `${first}:${last}`;
}

/** Number of rows in a range. */
export function rowCount(range: CellRange): number {
  return range.lastRow - range.firstRow + 1;
}

/** Number of columns in a range. */
export function columnCount(range: CellRange): number {
  return range.lastColumn - range.firstColumn + 1;
}
