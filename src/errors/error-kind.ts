/**
 * What a failed Graph call means for the caller, and so what may be done next.
 *
 * - `throttled`: Graph is limiting the request rate (429, `tooManyRequests*`). Send the
 *   request again only after the server's cooldown.
 * - `transient`: a temporary failure (503, 504, a network failure, an attempt that ran out of
 *   time, `serviceUnavailableUncategorized`, `transientFailure`,
 *   `gatewayTimeoutUncategorized`). Sending the request again after a pause may succeed.
 * - `recreate-session`: the session is gone, but a new one may be created and the work
 *   resumed (`invalidSessionReCreatable`, or a 502/503 on a call inside a session without a
 *   known second-level code).
 * - `session-lost`: the session is gone and the call must not simply be sent again: the
 *   other `invalidSession*` codes and `internalServerErrorUncategorized` on a call inside a
 *   session (a store turns `failed`), and a call refused because the non-persistent session
 *   it depended on was lost (the store has already replaced that session).
 * - `auth`: the token was refused (401, which ends the session) or the app lacks permission
 *   (403, after which the session stays usable for other calls).
 * - `fatal`: sending the same request again will fail the same way (bad requests, missing
 *   items, conflicts, unsupported workbooks, malformed responses).
 * - `aborted`: the caller or the store cancelled the call.
 */
export type ErrorKind =
  | "throttled"
  | "transient"
  | "recreate-session"
  | "session-lost"
  | "auth"
  | "fatal"
  | "aborted";

/** Every error kind, in the order they are documented. */
export const ERROR_KINDS: readonly ErrorKind[] = Object.freeze([
  "throttled",
  "transient",
  "recreate-session",
  "session-lost",
  "auth",
  "fatal",
  "aborted",
]);

/**
 * Tells whether the failed request itself may be sent again: true for `throttled` and
 * `transient`, false for every other kind.
 */
export function isRetryableKind(kind: ErrorKind): boolean {
  return kind === "throttled" || kind === "transient";
}
