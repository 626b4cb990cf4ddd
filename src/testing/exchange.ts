import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { corsHeaders, preflightHeaders } from "./cors-headers";
import { errorEnvelope, graphErrorDate } from "./error-envelope";
import type { GraphErrorSpec } from "./graph-error-spec";
import type { MutableRecordedRequest } from "./recorded-request";
import type { ResolvedSettings } from "./resolved-settings";

/** What an {@link Exchange} needs from the emulator around it. */
export interface ExchangeEnvironment {
  /** The emulator's own origin, e.g. `http://127.0.0.1:4000`. */
  readonly localOrigin: string;
  /** Current settings (clock and exposed headers). */
  readonly settings: () => ResolvedSettings;
}

type Headers = Readonly<Record<string, string>>;

/**
 * One request and its response: reads request headers, writes exactly one answer, and notes on
 * the request's record how it was answered. Writes after the client went away are ignored.
 */
export class Exchange {
  private readonly requestId = randomUUID();
  private extraHeaders: Record<string, string> = {};
  private cutAfter: number | undefined;

  constructor(
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
    readonly record: MutableRecordedRequest,
    private readonly environment: ExchangeEnvironment,
  ) {}

  /** Request method in upper case. */
  get method(): string {
    return this.record.method;
  }

  /** A request header by case-insensitive name. */
  header(name: string): string | undefined {
    return this.record.headers[name.toLowerCase()];
  }

  /**
   * Origin to write into `Location` and similar links: the forwarded Graph host when a proxy
   * (such as the emulator client) sent `X-Forwarded-Host`, else the emulator itself.
   */
  get origin(): string {
    const host = firstValue(this.header("x-forwarded-host"));
    if (!host) return this.environment.localOrigin;
    return `${firstValue(this.header("x-forwarded-proto")) || "https"}://${host}`;
  }

  /** Adds headers to whatever answer follows. */
  addHeaders(headers: Headers): void {
    Object.assign(this.extraHeaders, headers);
  }

  /** Answers with a JSON body. */
  json(status: number, body: unknown, headers: Headers = {}): void {
    this.send(status, JSON.stringify(body), { "content-type": "application/json", ...headers });
  }

  /** Answers 204 without a body. */
  noContent(): void {
    this.send(204, undefined, {});
  }

  /** Answers with a Graph error envelope; `headers` may override the content type. */
  error(spec: GraphErrorSpec, headers: Headers = {}): void {
    this.json(spec.status, errorEnvelope(spec, this.stamp()), headers);
  }

  /** Answers with a body sent verbatim. */
  raw(status: number, body: string, headers: Headers): void {
    this.send(status, body, headers);
  }

  /**
   * Answers 500 after the emulator failed while answering. The fault's headers and cut-off are
   * left out, as they may be what failed; when an answer had already begun, the socket is
   * destroyed instead.
   */
  crashed(spec: GraphErrorSpec): void {
    this.extraHeaders = {};
    this.cutAfter = undefined;
    if (this.response.writableEnded) return;
    if (this.response.headersSent) this.drop();
    else this.error(spec);
  }

  /** Answers a CORS preflight. */
  preflight(): void {
    this.send(204, undefined, preflightHeaders());
  }

  /** Makes the answer that follows stop after `bytes` bytes of its body, resetting the socket. */
  cutOffAfter(bytes: number): void {
    this.cutAfter = Math.max(0, Math.floor(bytes));
  }

  /** Leaves the request unanswered; the socket stays open until one side closes it. */
  hang(): void {
    this.record.answeredWith = "hang";
  }

  /** Destroys the socket without answering. */
  drop(): void {
    this.record.answeredWith = "drop";
    this.request.socket.destroy();
  }

  private send(status: number, body: string | undefined, headers: Headers): void {
    if (this.response.destroyed || this.response.headersSent) return;

    this.record.answeredWith = status;
    const allHeaders = { ...this.standardHeaders(), ...this.extraHeaders, ...headers };
    if (this.cutAfter !== undefined) {
      this.sendCut(status, body ?? "", allHeaders);
      return;
    }
    this.response.writeHead(status, allHeaders);
    this.response.end(body);
  }

  /** Sends the headers and the first bytes of the body, then resets the connection. */
  private sendCut(status: number, body: string, headers: Headers): void {
    const bytes = Buffer.from(body);
    this.response.writeHead(status, { ...headers, "content-length": String(bytes.length) });
    this.response.flushHeaders();
    const part = bytes.subarray(0, this.cutAfter);
    this.response.write(part, () => this.request.socket.destroy());
  }

  private standardHeaders(): Record<string, string> {
    const { exposeHeaders } = this.environment.settings();
    return {
      ...corsHeaders(this.header("origin"), exposeHeaders),
      "request-id": this.requestId,
      "client-request-id": this.clientRequestId(),
    };
  }

  private clientRequestId(): string {
    return this.header("client-request-id") ?? this.requestId;
  }

  private stamp() {
    const date = graphErrorDate(this.environment.settings().now());
    return { date, requestId: this.requestId, clientRequestId: this.clientRequestId() };
  }
}

function firstValue(header: string | undefined): string | undefined {
  return header?.split(",")[0]?.trim();
}
