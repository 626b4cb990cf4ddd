import type { FaultError } from "./fault";

/**
 * How createSession answers a request carrying `Prefer: respond-async`. Requests without that
 * header always get a plain 201.
 */
export interface AsyncCreateBehaviour {
  /**
   * `"sync"` answers 201 even though async was asked for, as Graph does when a workbook opens
   * quickly; `"async"` answers 202 with a `Location` to poll. Default `"sync"`.
   */
  readonly mode?: "sync" | "async" | undefined;
  /** Number of polls answering `running` before the final status. Default 2. */
  readonly runningPolls?: number | undefined;
  /** Number of polls answering `notStarted` before the first `running`. Default 0. */
  readonly notStartedPolls?: number | undefined;
  /** Final status of the operation. Default `"succeeded"`. */
  readonly outcome?: "succeeded" | "failed" | undefined;
  /**
   * Error object reported by a failed operation. Default: `internalServerError` /
   * `internalServerErrorUncategorized` / `GenericFileOpenError`.
   */
  readonly failure?: FaultError | undefined;
  /**
   * Spelling of operation statuses: `"camel"` gives `notStarted`, `running`, `succeeded`,
   * `failed`; `"pascal"` gives `NotStarted`, `Running`, `Completed`, `Failed` (both appear in
   * Graph's documentation). Default `"camel"`.
   */
  readonly statusCasing?: "camel" | "pascal" | undefined;
  /** Replaces the 202's `Location` header verbatim, e.g. with a foreign host. Default: none. */
  readonly location?: string | undefined;
  /** Replaces the succeeded operation's `resourceLocation` verbatim. Default: none. */
  readonly resourceLocation?: string | undefined;
}

/** Inactivity lifetimes of sessions: a session idle for longer than its lifetime is gone. */
export interface SessionLifetime {
  /** Lifetime of a session created with `persistChanges: true`, in ms. Default 300_000 (5 min). */
  readonly persistent?: number | undefined;
  /** Lifetime of a session created with `persistChanges: false`, in ms. Default 420_000 (7 min). */
  readonly nonPersistent?: number | undefined;
}

/** The error answered for an unknown, closed or expired session id. */
export interface SessionErrorResponse {
  /** HTTP status. Default 404. */
  readonly status?: number | undefined;
  /** Top-level code. Default `ItemNotFound`. */
  readonly code?: string | undefined;
  /** Second-level code; `null` sends none. Default `invalidSessionReCreatable`. */
  readonly innerCode?: string | null | undefined;
  /** Top-level message. Default: a sentence saying the session is gone. */
  readonly message?: string | undefined;
}

/**
 * Emulator behaviour that can also be changed while it runs, through
 * {@link WorkbookEmulator.configure}. Passing `undefined` for a key restores its default.
 */
export interface EmulatorSettings {
  /**
   * When set, every request must carry `Authorization: Bearer <requireToken>` or is answered 401
   * `InvalidAuthenticationToken` / `unauthorizedUncategorized`. Default: no check.
   */
  readonly requireToken?: string | undefined;
  /**
   * Clock in ms for session expiry and recorded times, read on every use so fake timers that
   * replace `Date` drive it. Default `() => Date.now()`.
   */
  readonly now?: (() => number) | undefined;
  /** Inactivity lifetimes of sessions; see {@link SessionLifetime} for units and defaults. */
  readonly sessionLifetime?: SessionLifetime | undefined;
  /** How `Prefer: respond-async` createSession requests are answered. Default: sync answers. */
  readonly asyncCreate?: AsyncCreateBehaviour | undefined;
  /** Error for an unknown or expired session id. Default 404 / `invalidSessionReCreatable`. */
  readonly expiredSessionError?: SessionErrorResponse | undefined;
  /**
   * Response headers exposed to browser scripts through `Access-Control-Expose-Headers`.
   * Default `["Location"]`. Real Graph does not expose `Retry-After`, so browser code cannot read
   * it; add it here only to test code paths that assume it can.
   */
  readonly exposeHeaders?: readonly string[] | undefined;
  /**
   * Most live sessions one workbook may hold; further createSession requests get 429
   * `tooManyRequests`. Graph has been reported to cap around 25. Default: no limit.
   */
  readonly maxSessionsPerWorkbook?: number | undefined;
}

/** Options of {@link startEmulator}. */
export interface EmulatorOptions extends EmulatorSettings {
  /** TCP port to listen on; 0 picks a free one. Default 0. */
  readonly port?: number | undefined;
  /** Loopback address to listen on (`127.0.0.1`, `::1` or `localhost`). Default `"127.0.0.1"`. */
  readonly host?: string | undefined;
  /**
   * Most requests kept for {@link WorkbookEmulator.requests}; past it the oldest are forgotten
   * (sequence numbers carry on), so an emulator left running does not grow without end. `0`
   * keeps none. Default `Infinity`: a test sees every request it caused.
   */
  readonly maxRecordedRequests?: number | undefined;
}
