/** The codes and message Graph pairs with an HTTP status by default. */
export interface StatusDefaults {
  readonly code: string;
  readonly innerCode: string | null;
  readonly message: string;
}

const TABLE: Readonly<Record<number, StatusDefaults>> = {
  400: entry("badRequest", "badRequestUncategorized", "The request is malformed."),
  401: entry("unauthorized", "unauthorizedUncategorized", "The caller is not authenticated."),
  403: entry("forbidden", "forbiddenUncategorized", "The caller may not do this."),
  404: entry("notFound", "notFoundUncategorized", "The requested resource does not exist."),
  405: entry("methodNotAllowed", "methodNotAllowedUncategorized", "This method is not allowed."),
  409: entry("conflict", "conflictUncategorized", "The request conflicts with the workbook."),
  413: entry("payloadTooLarge", "payloadTooLargeUncategorized", "The request body is too large."),
  429: entry("tooManyRequests", "tooManyRequestsUncategorized", "Too many requests; slow down."),
  500: entry("internalServerError", "internalServerErrorUncategorized", "The server failed."),
  501: entry("notImplemented", "notImplementedUncategorized", "This is not implemented."),
  502: entry("badGateway", null, "An upstream service failed; try again."),
  503: entry("serviceUnavailable", "serviceUnavailableUncategorized", "The service is busy."),
  504: entry("gatewayTimeout", "gatewayTimeoutUncategorized", "The request took too long."),
};

function entry(code: string, innerCode: string | null, message: string): StatusDefaults {
  return { code, innerCode, message };
}

/**
 * Returns the documented top-level and second-level codes for a status; statuses outside the
 * documented table get `generalException` and no second-level code.
 */
export function statusDefaults(status: number): StatusDefaults {
  return TABLE[status] ?? entry("generalException", null, `The request failed (${status}).`);
}
