import type { ErrorKind } from "./error-kind";

/**
 * The second-level codes Graph requires workbook clients to handle, lower-cased (codes are
 * compared case-insensitively), with the kind each one means. `internalServerErrorUncategorized`
 * is listed as `fatal`; on a call inside a session it also ends the session
 * (see {@link kindForRequiredCode}).
 * @see https://learn.microsoft.com/en-us/graph/workbook-error-handling
 */
export const REQUIRED_INNER_CODES: ReadonlyMap<string, ErrorKind> = new Map<string, ErrorKind>([
  ["accessconflict", "fatal"],
  ["badrequestuncategorized", "fatal"],
  ["conflictuncategorized", "fatal"],
  ["forbiddenuncategorized", "auth"],
  ["gatewaytimeoutuncategorized", "transient"],
  ["internalservererroruncategorized", "fatal"],
  ["invalidsessionaccessconflict", "session-lost"],
  ["invalidsessionauthentication", "session-lost"],
  ["invalidsessionnotfound", "session-lost"],
  ["invalidsessionrecreatable", "recreate-session"],
  ["invalidsessionrestricted", "session-lost"],
  ["invalidsessionunexpected", "session-lost"],
  ["invalidsessionunsupportedworkbook", "session-lost"],
  ["methodnotalloweduncategorized", "fatal"],
  ["notfounduncategorized", "fatal"],
  ["notimplementeduncategorized", "fatal"],
  ["payloadtoolargeuncategorized", "fatal"],
  ["serviceunavailableuncategorized", "transient"],
  ["toomanyrequestsuncategorized", "throttled"],
  ["transientfailure", "transient"],
  ["unauthorizeduncategorized", "auth"],
  ["unsupportedworkbook", "fatal"],
]);

/**
 * Second-level codes Graph documents as optional whose meaning differs from what the status
 * alone would say. The others it lists (`invalidArgument`, `itemNotFound`…) all mean "do not
 * send again", which the top-level code or status already gives.
 */
const OPTIONAL_INNER_CODES: ReadonlyMap<string, ErrorKind> = new Map<string, ErrorKind>([
  ["accessdenied", "auth"],
]);

/**
 * Top-level codes, lower-cased: those of Graph's workbook error table (old and new names) and
 * the general Graph codes seen with workbook calls. A code missing here falls through to the
 * HTTP status.
 * @see https://learn.microsoft.com/en-us/graph/workbook-error-codes
 */
const TOP_LEVEL_CODES: ReadonlyMap<string, ErrorKind> = new Map<string, ErrorKind>([
  ["toomanyrequests", "throttled"],
  ["activitylimitreached", "throttled"],
  ["serviceunavailable", "transient"],
  ["gatewaytimeout", "transient"],
  ["badgateway", "transient"],
  ["unauthorized", "auth"],
  ["unauthenticated", "auth"],
  ["invalidauthenticationtoken", "auth"],
  ["forbidden", "auth"],
  ["accessdenied", "auth"],
  ["badrequest", "fatal"],
  ["invalidrequest", "fatal"],
  ["invalidargument", "fatal"],
  ["notfound", "fatal"],
  ["itemnotfound", "fatal"],
  ["resourcenotfound", "fatal"],
  ["methodnotallowed", "fatal"],
  ["conflict", "fatal"],
  ["payloadtoolarge", "fatal"],
  ["requestsizeexceeded", "fatal"],
  ["internalservererror", "fatal"],
  ["notimplemented", "fatal"],
]);

/**
 * The kind a required second-level code means, or null when `code` is not one. On a call
 * inside a session, `internalServerErrorUncategorized` means the session is lost too.
 */
export function kindForRequiredCode(code: string | null, sessionful: boolean): ErrorKind | null {
  if (code === null) return null;
  const lower = code.toLowerCase();
  if (sessionful && lower === "internalservererroruncategorized") return "session-lost";
  return REQUIRED_INNER_CODES.get(lower) ?? null;
}

/** The kind an optional second-level code means, or null when it adds nothing. */
export function kindForOptionalCode(code: string | null): ErrorKind | null {
  return code === null ? null : (OPTIONAL_INNER_CODES.get(code.toLowerCase()) ?? null);
}

/** The kind a top-level code means, or null when it is not a known one. */
export function kindForTopLevelCode(code: string | null): ErrorKind | null {
  return code === null ? null : (TOP_LEVEL_CODES.get(code.toLowerCase()) ?? null);
}

/** The kind an HTTP status means when no code decided it. */
export function kindForStatus(status: number | null): ErrorKind {
  if (status === 429) return "throttled";
  if (status === 408 || status === 502 || status === 503 || status === 504) return "transient";
  if (status === 401 || status === 403) return "auth";
  return "fatal";
}
