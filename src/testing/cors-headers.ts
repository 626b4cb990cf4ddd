const ALLOWED_METHODS = "GET, POST, PATCH, DELETE, OPTIONS";

/**
 * Request headers a browser may send; Graph clients and this library need no others. The
 * `x-forwarded-*` pair is what `createEmulatorClient` adds to every request, so a page using it
 * gets past the preflight.
 */
const ALLOWED_HEADERS = [
  "authorization",
  "content-type",
  "prefer",
  "workbook-session-id",
  "client-request-id",
  "sdkversion",
  "retry-attempt",
  "x-forwarded-host",
  "x-forwarded-proto",
].join(", ");

/** CORS headers for an ordinary response: the caller's origin (or `*`) and the exposed headers. */
export function corsHeaders(
  origin: string | undefined,
  exposeHeaders: readonly string[],
): Record<string, string> {
  const headers: Record<string, string> = { "access-control-allow-origin": origin ?? "*" };
  if (origin !== undefined) headers.vary = "Origin";
  if (exposeHeaders.length > 0) headers["access-control-expose-headers"] = exposeHeaders.join(", ");
  return headers;
}

/** Extra headers answering a CORS preflight (`OPTIONS`) request. */
export function preflightHeaders(): Record<string, string> {
  return {
    "access-control-allow-methods": ALLOWED_METHODS,
    "access-control-allow-headers": ALLOWED_HEADERS,
    "access-control-max-age": "600",
  };
}
