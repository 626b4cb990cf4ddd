import { describeValue } from "../options/read-option";
import type { CellRange } from "./a1-range";
import { parseA1Range } from "./a1-range";
import { checkEmulatorOptions, checkSettingsPatch } from "./check-settings";
import type { EmulatorOptions, EmulatorSettings } from "./emulator-options";
import { EmulatorState } from "./emulator-state";
import type { Fault, FaultTarget } from "./fault";
import { FaultScript } from "./fault-script";
import { findWorkbook } from "./find-workbook";
import type { RequestRuntime } from "./handle-request";
import { handleRequest } from "./handle-request";
import type { LoopbackServer } from "./loopback-server";
import { listenOnLoopback } from "./loopback-server";
import { readRange } from "./range-access";
import type { RecordedRequest } from "./recorded-request";
import { RequestLog } from "./request-log";
import type { RouteName } from "./route-name";
import type { EmulatedSessionInfo } from "./session-registry";
import type { CellValue, WorkbookView, WorksheetInfo } from "./workbook-view";

/**
 * A local HTTP server that answers Microsoft Graph workbook requests the way Graph does: sessions
 * with inactivity expiry, asynchronous session creation, ranges and table rows, Graph error
 * envelopes, and scripted faults. Start one with {@link startEmulator}.
 */
export class WorkbookEmulator {
  private readonly state: EmulatorState;
  private readonly faults = new FaultScript();
  private readonly log: RequestLog;
  private server: LoopbackServer | undefined;

  private constructor(settings: EmulatorSettings, maxRecordedRequests: number) {
    this.state = new EmulatorState(settings);
    this.log = new RequestLog(maxRecordedRequests);
  }

  /** Starts an emulator; same as {@link startEmulator}. */
  static async start(options: EmulatorOptions = {}): Promise<WorkbookEmulator> {
    const { port, host, maxRecordedRequests, settings } = checkEmulatorOptions(options);
    const emulator = new WorkbookEmulator(settings, maxRecordedRequests);
    const runtime = emulator.runtime();
    emulator.server = await listenOnLoopback(host, port, (request, response) => {
      void handleRequest(runtime, request, response);
    });
    return emulator;
  }

  /** Origin the emulator listens on, without a trailing slash, e.g. `http://127.0.0.1:4000`. */
  get url(): string {
    return this.listening().url;
  }

  /** Port the emulator listens on. */
  get port(): number {
    return this.listening().port;
  }

  /**
   * Every request received so far, in arrival order (a snapshot; records update when answered),
   * or the latest `maxRecordedRequests` of them.
   */
  get requests(): readonly RecordedRequest[] {
    return this.log.all();
  }

  /** The received requests that addressed one route (`"unknown"` for unmatched ones). */
  requestsTo(route: RouteName | "unknown"): readonly RecordedRequest[] {
    return this.log.to(route);
  }

  /** Forgets the recorded requests; sequence numbers carry on. */
  clearRequests(): void {
    this.log.clear();
  }

  /**
   * Queues faults for a route, or with `"*"` for every request including unmatched ones. Each
   * request consumes the first queued fault that matches it, looking at its route's queue before
   * the `"*"` queue. Preflights and requests refused for a missing token never reach the faults.
   * Throws, queuing none of them, for an unknown route, a bad field, a fault that changes
   * nothing, or `hang` or `drop` with a field they would leave unused (see {@link Fault}).
   */
  fault(route: FaultTarget, ...faults: Fault[]): this {
    this.faults.add(route, faults);
    return this;
  }

  /** Drops every queued fault. */
  clearFaults(): void {
    this.faults.clear();
  }

  /**
   * Changes settings while running. Keys passed replace the current ones; the nested objects
   * (`asyncCreate`, `sessionLifetime`, `expiredSessionError`) merge key by key; a key passed as
   * `undefined` goes back to its default. Throws, changing nothing, for a key the emulator does
   * not know or a value it could not use, as {@link startEmulator} does.
   */
  configure(settings: EmulatorSettings): void {
    this.state.configure(checkSettingsPatch(settings));
  }

  /** Sessions that are still live by the emulator clock. */
  sessions(): EmulatedSessionInfo[] {
    return this.state.sessions.list();
  }

  /**
   * Ends a session as if it had idled out; returns whether it was live, so `false` for an id that
   * is unknown, closed or already expired (`sessions()` lists the live ones). It does not throw
   * then, as tests often expire the session of a request whose session may already be gone.
   */
  expireSession(id: string): boolean {
    return this.state.sessions.close(id);
  }

  /** Ends every session as if it had idled out; returns how many were live. */
  expireAllSessions(): number {
    return this.state.sessions.clear();
  }

  /**
   * Reads cells of a workbook as stored, without any non-persistent session's changes.
   * `workbook` is a key such as `item:ABC` or `path:folder/Book.xlsx`; `address` is A1 style.
   * A key no request has addressed reads as an empty workbook. Throws for text that is not a key
   * (such as the driveItem address `/me/drive/items/ABC`), a worksheet or a bad address.
   */
  readRange(workbook: string, sheet: string, address: string): CellValue[][] {
    const data = findWorkbook(this.state.workbooks, workbook);
    const info = findWorksheet(data, workbook, sheet);
    return readRange(data, info.id, checkA1Range(address));
  }

  /**
   * Rows of a table as stored, without any non-persistent session's changes; none for a table
   * nobody added rows to. Throws for text that is not a workbook key, as `readRange` does.
   */
  readTableRows(workbook: string, table: string): readonly (readonly CellValue[])[] {
    const data = findWorkbook(this.state.workbooks, workbook);
    if (typeof table !== "string") {
      throw new TypeError(`A table name must be a string, got ${describeValue(table)}.`);
    }
    return data.tableRows(table);
  }

  /** Stops the server and destroys open connections, hung ones included; safe to call twice. */
  async close(): Promise<void> {
    await this.server?.close();
  }

  private runtime(): RequestRuntime {
    const { state, faults, log } = this;
    return { state, faults, log, localOrigin: () => this.listening().url };
  }

  private listening(): LoopbackServer {
    if (this.server === undefined) throw new Error("The emulator is not listening yet.");
    return this.server;
  }
}

function findWorksheet(data: WorkbookView, workbook: string, sheet: unknown): WorksheetInfo {
  const info = typeof sheet === "string" ? data.worksheet(sheet) : undefined;
  if (info !== undefined) return info;

  const names = data.worksheets().map((worksheet) => describeValue(worksheet.name));
  throw new RangeError(
    `The workbook ${describeValue(workbook)} has no worksheet ${describeValue(sheet)}; ` +
      `its worksheets are ${names.join(", ")}.`,
  );
}

function checkA1Range(address: unknown): CellRange {
  const range = typeof address === "string" ? parseA1Range(address) : undefined;
  if (range !== undefined) return range;
  throw new RangeError(
    `${describeValue(address)} is not a range address; give one cell or a rectangle in A1 ` +
      'style, such as "B2" or "A1:C3", inside the worksheet (A1:XFD1048576).',
  );
}
