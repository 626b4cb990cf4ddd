import type { WorkbookError } from "../errors/workbook-error";

/** A workbook session that Graph has opened. */
export interface WorkbookSession {
  /** The id Graph gave the session; sent as the `workbook-session-id` header. */
  readonly id: string;
  /** Whether changes made in the session are saved to the file. */
  readonly persistChanges: boolean;
}

/** No session, and none being created. The state a store starts in. */
export interface IdleState {
  readonly status: "idle";
}

/** A session is being created, possibly after failed attempts. */
export interface CreatingState {
  readonly status: "creating";
  /** The attempt under way or about to start, from 1. */
  readonly attempt: number;
  /** Why the previous attempt failed, or null on the first attempt. */
  readonly lastError: WorkbookError | null;
  /**
   * When the next request of the creation is sent (ms since the epoch, on the
   * store's clock) while the store waits: a backoff after a failed attempt, or
   * a server cooldown (`Retry-After`). Null while a request is under way.
   */
  readonly nextAttemptAt: number | null;
  /** See {@link ActiveState.changesLost}; true already while the replacement is created. */
  readonly changesLost: boolean;
}

/** A session is open and usable. */
export interface ActiveState {
  readonly status: "active";
  readonly session: WorkbookSession;
  /**
   * True when a non-persistent session (`persistChanges: false`) was dropped by
   * Graph since the last `open()` from idle, so changes made in it are gone.
   * Stays true until the store is closed.
   */
  readonly changesLost: boolean;
}

/** Opening or keeping the session failed for good; `open()` starts over. */
export interface FailedState {
  readonly status: "failed";
  readonly error: WorkbookError;
  /**
   * See {@link ActiveState.changesLost}: a failure does not forget a loss, and the
   * next `open()` carries it on, since the store was not closed.
   */
  readonly changesLost: boolean;
}

/**
 * Everything a store can be, told apart by `status`. States are frozen: a new
 * state is a new object, so comparing references tells whether anything changed.
 */
export type SessionState = IdleState | CreatingState | ActiveState | FailedState;

/** The four values of `SessionState["status"]`. */
export type SessionStatus = SessionState["status"];
