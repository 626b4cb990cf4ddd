/**
 * How a row fared. `pass`: meets its target. `off target`: misses its target
 * but stays within its guard. `FAIL`: beyond its guard, or beyond a target
 * without one. `info`: shown, not judged.
 */
export type Verdict = "pass" | "off target" | "FAIL" | "info";

/** One line of the results table. */
export interface Row {
  /** A short name, e.g. `latency: open() to active`. */
  readonly measurement: string;
  /** The result with its unit, and what it is compared with when that is short. */
  readonly figure: string;
  /** The goal, e.g. `≤ 1.10×`; `—` for none. */
  readonly target: string;
  /** The ratchet while the target is missed, e.g. `≤ 1.80×`; `—` for none. */
  readonly guard: string;
  readonly verdict: Verdict;
  /** What is measured and how, printed in the legend under the table. */
  readonly note: string;
}

const COLUMNS = ["number", "measurement", "figure", "target", "guard", "verdict"] as const;
type Column = (typeof COLUMNS)[number];
type Line = Record<Column, string>;

const HEADERS: Line = {
  number: "note",
  measurement: "measurement",
  figure: "figure",
  target: "target",
  guard: "guard",
  verdict: "result",
};

/** Width of the legend's lines. */
const LEGEND_WIDTH = 100;

/** `pass` when the target is met; otherwise `off target` within the guard, else `FAIL`. */
export function judge(onTarget: boolean, withinGuard = false): Verdict {
  if (onTarget) return "pass";
  return withinGuard ? "off target" : "FAIL";
}

/**
 * The rows as a plain-text table with aligned columns, then a legend with one
 * numbered note per distinct explanation; rows that share a note share its number.
 */
export function renderTable(rows: readonly Row[]): string {
  const notes: string[] = [];
  const lines = rows.map((row): Line => {
    if (!notes.includes(row.note)) notes.push(row.note);
    return { ...row, number: String(notes.indexOf(row.note) + 1) };
  });

  const all = [HEADERS, ...lines];
  const widths = COLUMNS.map((column) => Math.max(...all.map((line) => line[column].length)));
  const render = (line: Line) =>
    COLUMNS.map((column, index) => line[column].padEnd(widths[index] ?? 0))
      .join("  ")
      .trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  const legend = notes.map((note, index) => wrap(`${index + 1}. ${note}`, LEGEND_WIDTH));
  return [render(HEADERS), rule, ...lines.map(render), "", ...legend].join("\n");
}

/** Breaks text into lines of at most `width` characters, continuing lines under the first word. */
function wrap(text: string, width: number): string {
  const indent = " ".repeat(text.indexOf(" ") + 1);
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}
