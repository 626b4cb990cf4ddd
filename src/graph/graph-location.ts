import { type GraphOperation, WorkbookError } from "../errors/workbook-error";
import { isPlainClientPath } from "./client-path";
import { malformedResponse } from "./malformed-response";

/** A URL Graph handed back, made relative to the client's base URL. */
export interface GraphPath {
  /** The API version segment, e.g. `v1.0`. */
  readonly version: string;
  /** The path and query after the version, e.g. `/me/drive/items/1/workbook/operations/7`. */
  readonly path: string;
}

/**
 * Checks that a URL from a Graph response (a `Location` or `resourceLocation`)
 * points at the Graph host the client talks to, and returns it relative to that
 * host. A relative URL is resolved against `requestUrl`, the URL of the request
 * whose answer carried it, as RFC 9110 (section 10.2.2) says. A URL on any other
 * host is refused: following it would send the caller's token to a server it was
 * never meant for.
 */
export function resolveGraphLocation(
  location: unknown,
  requestUrl: string,
  graphBaseUrl: string,
  operation: GraphOperation,
): GraphPath {
  if (typeof location !== "string" || location.trim() === "") {
    throw malformedResponse(
      operation,
      "Graph's answer could not be followed: its location is missing or not a string.",
    );
  }

  const base = new URL(graphBaseUrl);
  const url = parseUrl(location, requestUrl, operation);
  if (url.origin !== base.origin) {
    throw foreignHost(operation, url.host, base.host);
  }

  const relative = stripBasePath(url.pathname, base.pathname);
  const [, version, ...rest] = relative.split("/");
  if (!version || rest.length === 0) {
    throw malformedResponse(
      operation,
      "Graph's answer could not be followed: its location has no API version and path.",
    );
  }
  const path = `/${rest.join("/")}${url.search}`;
  if (!isPlainClientPath(path)) {
    throw malformedResponse(
      operation,
      "Graph's answer could not be followed: its location has a URL inside its path or query.",
    );
  }
  return { version, path };
}

/**
 * The absolute URL of `target` under the Graph base URL, as the Graph client
 * builds it from its base URL, the version and the path.
 */
export function graphUrl(graphBaseUrl: string, target: GraphPath): string {
  const base = new URL(graphBaseUrl);
  const root = base.pathname.replace(/\/+$/, "");
  return `${base.origin}${root}/${target.version}${target.path}`;
}

function parseUrl(location: string, requestUrl: string, operation: GraphOperation): URL {
  try {
    return new URL(location, requestUrl);
  } catch {
    throw malformedResponse(
      operation,
      "Graph's answer could not be followed: its location is not a URL.",
    );
  }
}

function stripBasePath(pathname: string, basePath: string): string {
  const prefix = basePath.replace(/\/+$/, "");
  return prefix && pathname.startsWith(`${prefix}/`) ? pathname.slice(prefix.length) : pathname;
}

function foreignHost(operation: GraphOperation, host: string, graphHost: string): WorkbookError {
  return new WorkbookError({
    kind: "fatal",
    operation,
    status: null,
    code: "foreignLocation",
    innerCode: null,
    detail:
      `The response pointed to ${JSON.stringify(host.slice(0, 100))}, which is not the ` +
      `configured Graph host ${graphHost}; it was not followed and no token was sent there.`,
  });
}
