import type { SessionContext, SessionStore } from "graph-workbook-session";
import { byId } from "./dom";
import type { EventLog } from "./event-log";

type Cell = string | number | boolean;

const RANGE = "/worksheets('Sheet1')/range(address='A1:B2')";

/**
 * One workbook call in the session: reads A1:B2, then, in one call, reads the run count the
 * workbook holds and writes it plus one with the time the write is sent, and reads the range
 * back, showing the values on the page. The count lives in the workbook, so it survives reloads
 * and counts only writes that were sent.
 *
 * The first read is idempotent, so it rides out a network that is down; the write is not, since
 * Graph may have applied it when no answer came, and sending it again would count twice.
 */
export async function readAndWriteRange(store: SessionStore, log: EventLog): Promise<void> {
  try {
    const before = await store.request(readRange, { idempotent: true });
    await store.request(writeNextRun);
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

/** Reads the run count and writes the next one, in the same try of the same call. */
async function writeNextRun(ctx: SessionContext): Promise<void> {
  const runs = runCount(await readRange(ctx));
  const values: Cell[][] = [
    ["Runs", runs + 1],
    ["Written at", new Date().toLocaleTimeString("en-GB", { hour12: false })],
  ];
  await ctx.api(RANGE).patch({ values });
}

/** The count in B1 when A1 says "Runs", else 0: a range the page never wrote starts over. */
function runCount(values: Cell[][]): number {
  const [label, count] = values[0] ?? [];
  if (label !== "Runs") return 0;
  const runs = typeof count === "number" ? count : Number(count);
  return Number.isSafeInteger(runs) && runs >= 0 ? runs : 0;
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
