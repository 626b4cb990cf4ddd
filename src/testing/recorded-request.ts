import type { RouteName } from "./route-name";

/** How the emulator answered: a status code, a hang, a dropped socket, or not (yet) at all. */
export type RequestOutcome = number | "hang" | "drop" | null;

/** One request as the emulator received it, kept in arrival order for assertions. */
export interface RecordedRequest {
  /** Arrival number, starting at 1; keeps counting after {@link WorkbookEmulator.clearRequests}. */
  readonly seq: number;
  /** Arrival time in ms, read from the emulator's `now` clock. */
  readonly time: number;
  /** HTTP method in upper case. */
  readonly method: string;
  /** Raw path and query exactly as received, still percent-encoded. */
  readonly path: string;
  /** Route the request addressed, or `"unknown"` when no route matched. */
  readonly route: RouteName | "unknown";
  /**
   * Key of the addressed workbook: `item:{id}` for item-id and `/workbooks/{id}` addresses,
   * `path:{decoded path}` for `root:/…:` addresses; `null` when no workbook was addressed.
   */
  readonly workbook: string | null;
  /** Request headers with lower-cased names; repeated headers are joined with `", "`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON body, the raw text when it is not JSON, or `undefined` when empty. */
  readonly body: unknown;
  /** Value of the `workbook-session-id` header, or `null` when absent. */
  readonly sessionId: string | null;
  /** How the emulator answered; `null` while the answer is pending or was never delivered. */
  readonly answeredWith: RequestOutcome;
}

/** The emulator's own writable view of a record; callers only ever see {@link RecordedRequest}. */
export type MutableRecordedRequest = { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] };
