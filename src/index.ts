/**
 * One reactive, immutable view of a Microsoft Graph Excel workbook session:
 * `SessionStore`, its options, states, events and errors, the retry operator,
 * and a registry that shares one store per workbook.
 *
 * @packageDocumentation
 * @module graph-workbook-session
 */
export type { BrowserWindowLike } from "./environment/browser-environment";
export { browserEnvironment } from "./environment/browser-environment";
export type { PeerChannel, PeerMessageEvent } from "./environment/peer-channel";
export { memoryStorage } from "./environment/safe-storage";
export type {
  EnvironmentChange,
  SessionEnvironment,
  SessionStorageLike,
} from "./environment/session-environment";
export { staticEnvironment } from "./environment/static-environment";
export type { ClassifyContext, GraphFailure } from "./errors/classify";
export {
  classifyError,
  classifyFailure,
  errorFromFailedOperation,
  errorFromResponse,
} from "./errors/classify";
export type { ErrorKind } from "./errors/error-kind";
export { isRetryableKind } from "./errors/error-kind";
export type { GraphOperation, WorkbookErrorInit, WorkbookErrorJSON } from "./errors/workbook-error";
export { isWorkbookError, WorkbookError } from "./errors/workbook-error";
export type {
  AttemptFailedEvent,
  ClosedEvent,
  CloseReason,
  CreatedEvent,
  CreateRequestedEvent,
  DisposedEvent,
  ExpiredEvent,
  FailedEvent,
  RecreatedEvent,
  RefreshedEvent,
  RetryScheduledEvent,
  SessionEvent,
  SessionEventType,
} from "./events/session-event";
export { SESSION_HEADER } from "./graph/session-header";
export type { WorkbookAddress } from "./graph/workbook-address";
export { parseWorkbookAddress } from "./graph/workbook-address";
export type { SessionLease } from "./registry/session-lease";
export { SessionRegistry } from "./registry/session-registry";
export type { SessionRegistryOptions } from "./registry/session-registry-options";
export type { SessionOverrides } from "./registry/session-settings";
export type { BackoffOptions, Jitter } from "./retry/backoff";
export { parseRetryAfter } from "./retry/retry-after";
export type { RetryEvent, RetryOptions } from "./retry/retry-with-backoff";
export { retryWithBackoff } from "./retry/retry-with-backoff";
export type {
  ActiveState,
  CreatingState,
  FailedState,
  IdleState,
  SessionState,
  SessionStatus,
  WorkbookSession,
} from "./state/session-state";
export type { RequestOptions, SessionContext } from "./store/session-context";
export { SessionStore, type WorkbookCall } from "./store/session-store";
export type { SessionStoreOptions } from "./store/session-store-options";
