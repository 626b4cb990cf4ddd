import type { GraphOperation, WorkbookError } from "../errors/workbook-error";

/**
 * Why a store closed a session: the app called `close()` or `dispose()`, the
 * page was left, the session arrived after the store stopped wanting it, it
 * was replaced by a new one, or it was dropped after an error that ends it
 * while Graph may still hold it open.
 */
export type CloseReason = "close" | "dispose" | "pagehide" | "late" | "replaced" | "dropped";

interface EventTime {
  /** When it happened, in ms on the store's clock (its scheduler's `now()`). */
  readonly at: number;
}

/**
 * The store set out to open a session: asked by the app (`open`), to replace
 * one Graph dropped (`recreate`), or to take up one a reloaded page handed over
 * (`resume`).
 */
export interface CreateRequestedEvent extends EventTime {
  readonly type: "create-requested";
  readonly reason: "open" | "recreate" | "resume";
}

/** One try of an operation failed; `error` says how Graph's answer was classified. */
export interface AttemptFailedEvent extends EventTime {
  readonly type: "attempt-failed";
  readonly operation: GraphOperation;
  /** The try that failed, from 1. */
  readonly attempt: number;
  readonly error: WorkbookError;
}

/** The store will try the operation again after `delay` ms (backoff or `Retry-After`). */
export interface RetryScheduledEvent extends EventTime {
  readonly type: "retry-scheduled";
  readonly operation: GraphOperation;
  /** The try that will be sent, from 2. */
  readonly attempt: number;
  /** The wait chosen, in ms. */
  readonly delay: number;
  /** When the try is sent, in ms on the store's clock. */
  readonly sendsAt: number;
}

/** A session is open: newly created, or resumed from storage after a reload. */
export interface CreatedEvent extends EventTime {
  readonly type: "created";
  readonly sessionId: string;
  readonly persistChanges: boolean;
  readonly resumed: boolean;
}

/** Keep-alive (or `refresh()`) reset the session's inactivity clock on the server. */
export interface RefreshedEvent extends EventTime {
  readonly type: "refreshed";
  readonly sessionId: string;
}

/**
 * Graph no longer knows the session (it expired or was dropped). When
 * `changesLost` is true it was non-persistent, and the changes made in it are gone.
 */
export interface ExpiredEvent extends EventTime {
  readonly type: "expired";
  readonly sessionId: string;
  readonly error: WorkbookError;
  readonly changesLost: boolean;
}

/** A new session replaced one that Graph dropped. */
export interface RecreatedEvent extends EventTime {
  readonly type: "recreated";
  readonly sessionId: string;
  readonly previousSessionId: string;
  /** Whether the replaced session was non-persistent, so its changes are gone. */
  readonly changesLost: boolean;
}

/** Opening or keeping the session failed for good; the state is `failed`. */
export interface FailedEvent extends EventTime {
  readonly type: "failed";
  readonly error: WorkbookError;
}

/**
 * The store asked Graph to close a session. `closed` tells whether Graph
 * confirmed it; closing is best effort, and a session left open expires.
 */
export interface ClosedEvent extends EventTime {
  readonly type: "closed";
  readonly sessionId: string;
  readonly reason: CloseReason;
  readonly closed: boolean;
}

/** The store was disposed; `events$` completes after this one. */
export interface DisposedEvent extends EventTime {
  readonly type: "disposed";
}

/**
 * Everything `SessionStore.events$` reports, told apart by `type`. Events never
 * hold a token; session ids appear only in `sessionId` and `previousSessionId`.
 */
export type SessionEvent =
  | CreateRequestedEvent
  | AttemptFailedEvent
  | RetryScheduledEvent
  | CreatedEvent
  | RefreshedEvent
  | ExpiredEvent
  | RecreatedEvent
  | FailedEvent
  | ClosedEvent
  | DisposedEvent;

/** The values of `SessionEvent["type"]`. */
export type SessionEventType = SessionEvent["type"];
