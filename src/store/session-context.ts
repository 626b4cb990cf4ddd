import type { GraphRequest } from "@microsoft/microsoft-graph-client";
import type { WorkbookSession } from "../state/session-state";

/** What a workbook call run by `SessionStore.request` is handed. */
export interface SessionContext {
  /** The session the call runs in. */
  readonly session: WorkbookSession;

  /**
   * Aborted when the caller's signal aborts, the call is abandoned, this try of it fails
   * (so requests still under way beside the failed one stop), or the store is disposed.
   */
  readonly signal: AbortSignal;

  /**
   * Starts a Graph request to a path under the workbook, e.g. `/worksheets` or
   * `/worksheets('Sheet1')/range(address='A1:B2')`. It carries the session
   * header and `signal`, and the Graph client's own retries are off: the store
   * decides what to send again. Calling `.middlewareOptions()` on it replaces
   * that setting and turns the client's retries back on.
   */
  api(path: string): GraphRequest;
}

/** Options of one `SessionStore.request` call. */
export interface RequestOptions {
  /** Cancels the call: before it starts it never runs, while it runs its request is aborted. */
  readonly signal?: AbortSignal;

  /**
   * Whether the call may safely run twice, such as a read. When a request gets no
   * answer at all (network failure, timeout) the server may still have applied
   * it, so only idempotent calls are resent then; the same goes for a gateway
   * timeout (504), and for a call that failed after Graph carried out one of its
   * writes (the whole call would run again). Calls Graph refused (throttling,
   * service unavailable) are resent either way. Default `false`.
   */
  readonly idempotent?: boolean;

  /**
   * Longest wait for one try of the call, in ms; past it the try is abandoned
   * and counts as unanswered. Default: the store's `attemptTimeout`.
   */
  readonly timeout?: number;

  /**
   * Run the call even when a non-persistent session was lost (and replaced)
   * after the call was made, so the changes made before it are gone. By default
   * such a call, replayed or still waiting its turn, rejects with a
   * `session-lost` error instead, because a write built on those changes would
   * silently land on a workbook without them. Set it on calls that depend on
   * nothing done earlier in the session. Default `false`.
   */
  readonly replayAfterChangesLost?: boolean;
}
