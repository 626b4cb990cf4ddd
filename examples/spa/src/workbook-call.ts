import type { SessionContext, SessionStore } from "graph-workbook-session";
import { byId } from "./dom";
import type { EventLog } from "./event-log";

type Cell = string | number | boolean;

const RANGE = "/worksheets('Sheet1')/range(address='A1:B2')";

let runs = 0;

/**
 * One workbook call in the session: reads A1:B2, writes a run counter and the time into it, and
 * reads it back, showing the values on the page.
 */
export async function readAndWriteRange(store: SessionStore, log: EventLog): Promise<void> {
  runs += 1;
  const values: Cell[][] = [
    ["Runs", runs],
    ["Written at", new Date().toLocaleTimeString("en-GB", { hour12: false })],
  ];
  try {
    const before = await store.request(readRange, { idempotent: true });
    await store.request((ctx) => ctx.api(RANGE).patch({ values }));
    const after = await store.request(readRange, { idempotent: true });

    showRange(after);
    log.note(
      `Workbook call: A1:B2 held ${describeValues(before)}, now ${describeValues(after)}`,
      "good",
    );
  } catch (error) {
    log.note(`Workbook call failed: ${(error as Error).message}`, "bad");
  }
}

async function readRange(ctx: SessionContext): Promise<Cell[][]> {
  const range = (await ctx.api(RANGE).get()) as { values: Cell[][] };
  return range.values;
}

function showRange(values: Cell[][]): void {
  const rows = byId<HTMLTableElement>("range").tBodies[0]?.rows;
  values.forEach((row, r) => {
    row.forEach((value, c) => {
      const cell = rows?.[r + 1]?.cells[c + 1];
      if (cell) cell.textContent = String(value);
    });
  });
}

function describeValues(values: Cell[][]): string {
  const cells = values.flat();
  if (cells.every((value) => value === "")) return "nothing";
  return cells.map((value) => (value === "" ? "·" : String(value))).join(" | ");
}
