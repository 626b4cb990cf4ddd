import type { IncomingMessage, ServerResponse } from "node:http";
import { SESSION_HEADER } from "../graph/session-header";
import { applyFault } from "./apply-fault";
import { dispatchRoute } from "./dispatch-route";
import type { EmulatorState } from "./emulator-state";
import { Exchange } from "./exchange";
import type { FaultScript } from "./fault-script";
import { graphErrorSpec } from "./graph-error-spec";
import type { ParsedBody } from "./request-body";
import { parseBody, readBody } from "./request-body";
import type { RequestLog } from "./request-log";
import type { RequestedWorkbook } from "./request-path";
import { parseRequestPath } from "./request-path";
import type { WorkbookRoute } from "./workbook-route";
import { matchWorkbookRoute, ROUTE_METHODS } from "./workbook-route";

/** The parts of a running emulator that serve requests. */
export interface RequestRuntime {
  readonly state: EmulatorState;
  readonly faults: FaultScript;
  readonly log: RequestLog;
  /** The emulator's own origin, e.g. `http://127.0.0.1:4000`. */
  readonly localOrigin: () => string;
}

interface IncomingCall {
  readonly address: RequestedWorkbook | undefined;
  readonly route: WorkbookRoute | undefined;
  readonly body: ParsedBody;
}

/**
 * Records a request, then answers it (or, as a fault says, delays, hangs or drops it). Never
 * rejects: the server calls it without waiting, and a rejection would end the Node process.
 */
export async function handleRequest(
  runtime: RequestRuntime,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  await recordAndAnswer(runtime, request, response).catch((error: unknown) =>
    failBeforeAnswering(response, error),
  );
}

async function recordAndAnswer(
  runtime: RequestRuntime,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const text = await readBody(request).catch(() => undefined);
  if (text === undefined) return;

  const headers = flattenHeaders(request);
  const call = understand(request, headers, text);
  const record = runtime.log.add({
    time: runtime.state.now(),
    method: request.method ?? "GET",
    path: request.url ?? "/",
    route: call.route?.name ?? "unknown",
    workbook: call.address?.key ?? null,
    headers,
    body: call.body.value,
    sessionId: headers[SESSION_HEADER] ?? null,
  });
  // Whatever the request meets (a fault, a missing token), its workbook is now one a test may read.
  if (call.address !== undefined) runtime.state.workbooks.get(call.address.key);
  const environment = {
    localOrigin: runtime.localOrigin(),
    settings: () => runtime.state.settings,
  };
  const exchange = new Exchange(request, response, record, environment);
  await serve(runtime, exchange, call).catch((error: unknown) => answerCrash(exchange, error));
}

/**
 * Answers 500 when the emulator itself throws, so a test sees the bug instead of a hang. Should
 * this fail too, {@link handleRequest} answers a plain 500 or cuts the connection.
 */
function answerCrash(exchange: Exchange, error: unknown): void {
  const message = `The emulator failed while answering: ${describeError(error)}`;
  exchange.crashed(graphErrorSpec(500, { message }));
}

/*
 * The last resort, for a failure before the request could be recorded (a settings clock that
 * throws, say) or while answering one: a plain 500 says so, or, if an answer had begun, the
 * connection is cut.
 */
function failBeforeAnswering(response: ServerResponse, error: unknown): void {
  try {
    if (response.headersSent) throw new Error("an answer had begun");
    const message = `The emulator failed before answering: ${describeError(error)}`;
    response.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
    response.end(message);
  } catch {
    response.destroy();
  }
}

/** `String(error)`, except for values that cannot become text, such as `Object.create(null)`. */
function describeError(error: unknown): string {
  try {
    return String(error);
  } catch {
    return "a thrown value that cannot be shown as text";
  }
}

function understand(
  request: IncomingMessage,
  headers: Readonly<Record<string, string>>,
  text: string,
): IncomingCall {
  const pathname = (request.url ?? "/").split("?")[0] ?? "/";
  const address = parseRequestPath(pathname);
  const method = request.method ?? "GET";
  const route = address && matchWorkbookRoute(address.rest, method);
  return { address, route, body: parseBody(text, headers["content-type"]) };
}

async function serve(runtime: RequestRuntime, exchange: Exchange, call: IncomingCall) {
  if (exchange.method === "OPTIONS") return exchange.preflight();
  if (!isAuthorized(runtime.state, exchange)) return answerUnauthorized(exchange);

  const fault = runtime.faults.take(exchange.record.route, exchange.record);
  if (fault !== undefined && (await applyFault(exchange, fault))) return;

  const { address, route, body } = call;
  if (address === undefined || route === undefined) return answerUnknown(exchange);
  if (!ROUTE_METHODS[route.name].includes(exchange.method)) {
    return exchange.error(graphErrorSpec(405));
  }
  if (body.malformed) {
    return exchange.error(graphErrorSpec(400, { message: "The request body is not valid JSON." }));
  }
  dispatchRoute(runtime.state, exchange, { address, body: body.value }, route);
}

function isAuthorized(state: EmulatorState, exchange: Exchange): boolean {
  const required = state.settings.requireToken;
  if (required === undefined) return true;

  const match = /^bearer\s+(.+)$/i.exec(exchange.header("authorization") ?? "");
  return match?.[1]?.trim() === required;
}

function answerUnauthorized(exchange: Exchange): void {
  const hasToken = exchange.header("authorization") !== undefined;
  const message = hasToken ? "The access token is not valid." : "The access token is missing.";
  const code = "InvalidAuthenticationToken";
  const spec = graphErrorSpec(401, { code, innerCode: "unauthorizedUncategorized", message });
  exchange.error(spec, { "www-authenticate": "Bearer" });
}

function answerUnknown(exchange: Exchange): void {
  const message = `The emulator has no route for ${exchange.method} ${exchange.record.path}.`;
  exchange.error(graphErrorSpec(404, { code: "itemNotFound", message }));
}

function flattenHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}
