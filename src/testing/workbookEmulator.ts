import type { CellRange } from "./a1Range";
import { parseA1Range } from "./a1Range";
import type { EmulatorOptions, EmulatorSettings } from "./emulatorOptions";
import { EmulatorState } from "./emulatorState";
import type { Fault, FaultTarget } from "./fault";
import { FaultScript } from "./faultScript";
import type { RequestRuntime } from "./handleRequest";
import { handleRequest } from "./handleRequest";
import type { LoopbackServer } from "./loopbackServer";
import { listenOnLoopback } from "./loopbackServer";
import { readRange } from "./rangeAccess";
import type { RecordedRequest } from "./recordedRequest";
import { RequestLog } from "./requestLog";
import type { RouteName } from "./routeName";
import type { EmulatedSessionInfo } from "./sessionRegistry";
import type { CellValue } from "./workbookView";

/**
 * A local HTTP server that answers Microsoft Graph workbook requests the way Graph does: sessions
 * with inactivity expiry, asynchronous session creation, ranges and table rows, Graph error
 * envelopes, and scripted faults. Start one with {@link startEmulator}.
 */
export class WorkbookEmulator {
  private readonly state: EmulatorState;
  private readonly faults = new FaultScript();
  private readonly log = new RequestLog();
  private server: LoopbackServer | undefined;

  private constructor(settings: EmulatorSettings) {
    this.state = new EmulatorState(settings);
  }

  /** Starts an emulator; same as {@link startEmulator}. */
  static async start(options: EmulatorOptions = {}): Promise<WorkbookEmulator> {
    const { port = 0, host = "127.0.0.1", ...settings } = options;
    const emulator = new WorkbookEmulator(settings);
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

  /** Every request received so far, in arrival order (a snapshot; records update when answered). */
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
   * Queues faults for a route, or for every route with `"*"`. Each request consumes the first
   * queued fault that matches it (its route's queue before the `"*"` queue).
   */
  fault(route: FaultTarget, ...faults: Fault[]): this {
    this.faults.add(route, faults);
    return this;
  }

  /** Drops every queued fault. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Changes settings while running; keys passed replace the current ones (see the options). */
  configure(settings: EmulatorSettings): void {
    this.state.configure(settings);
  }

  /** Sessions that are still live by the emulator clock. */
  sessions(): EmulatedSessionInfo[] {
    return this.state.sessions.list();
  }

  /** Ends a session as if it had idled out; returns whether it was live. */
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
   */
  readRange(workbook: string, sheet: string, address: string): CellValue[][] {
    const data = this.state.workbooks.get(workbook);
    const info = data.worksheet(sheet);
    const range: CellRange | undefined = parseA1Range(address);
    if (info === undefined || range === undefined) {
      throw new RangeError(`Cannot read ${sheet}!${address}: no such worksheet or bad address.`);
    }
    return readRange(data, info.id, range);
  }

  /** Rows of a table as stored, without any non-persistent session's changes. */
  readTableRows(workbook: string, table: string): readonly (readonly CellValue[])[] {
    return this.state.workbooks.get(workbook).tableRows(table);
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
