import {
  type Client,
  type GraphRequest,
  ResponseType,
  RetryHandlerOptions,
} from "@microsoft/microsoft-graph-client";
import {
  defer,
  type Observable,
  type SchedulerLike,
  switchMap,
  throwError,
  timeout,
  timer,
} from "rxjs";
import { classifyError, errorFromFailedOperation, errorFromResponse } from "../errors/classify";
import { type GraphOperation, WorkbookError } from "../errors/workbook-error";
import type { ResolvedBackoff } from "../retry/backoff";
import { retryWithBackoff } from "../retry/retry-with-backoff";
import type { WorkbookSession } from "../state/session-state";
import { fromAbortable } from "./from-abortable";
import { type GraphPath, resolveGraphLocation } from "./graph-location";
import { readOperationProgress } from "./operation-status";
import { isRecord, readJsonBody, readSessionBody } from "./session-body";
import type { WorkbookAddress } from "./workbook-address";

/** How long-running session creation is polled. */
export interface PollPolicy {
  /** Wait before the first poll, in ms. */
  readonly initialInterval: number;
  /** Longest wait between polls, in ms; the wait doubles up to it. */
  readonly maxInterval: number;
}

/** Everything the Graph calls of one store need. */
export interface SessionApiConfig {
  readonly client: Client;
  readonly address: WorkbookAddress;
  readonly graphBaseUrl: string;
  /** Longest wait for one HTTP answer, in ms. */
  readonly attemptTimeout: number;
  readonly poll: PollPolicy;
  readonly retry: ResolvedBackoff;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
}

/** What `createSession` sends. Optional flags are sent only when set. */
export interface CreateSessionRequest {
  readonly persistChanges: boolean;
  readonly respondAsync: boolean;
  readonly commitExplicitly?: boolean | undefined;
  readonly deferCoauthoringMerge?: boolean | undefined;
}

/** The session header Graph documents. */
export const SESSION_HEADER = "workbook-session-id";

/**
 * The Graph calls that open, keep and close one workbook's session. Each method
 * returns a cold observable that makes one attempt when subscribed (retrying only
 * the polls of a long-running create) and aborts its request when unsubscribed.
 * The Graph client's own retry middleware is switched off on every request: the
 * store's policy is the only one that decides when to send again.
 */
export class SessionApi {
  readonly #config: SessionApiConfig;

  constructor(config: SessionApiConfig) {
    this.#config = config;
  }

  /** Opens a session; with `respondAsync`, follows a 202 by polling the operation. */
  createSession(request: CreateSessionRequest): Observable<WorkbookSession> {
    const send = (signal: AbortSignal) => {
      const call = this.#workbook("/createSession", signal);
      if (request.respondAsync) call.header("Prefer", "respond-async");
      return call.post(createSessionBody(request));
    };

    return this.#send("createSession", send).pipe(
      switchMap((response) =>
        response.status === 202
          ? this.#awaitOperation(response, request.persistChanges)
          : this.#readSession(response, "createSession", request.persistChanges),
      ),
    );
  }

  /** Resets the session's inactivity clock on the server. */
  refreshSession(sessionId: string): Observable<void> {
    return this.#sendInSession("refreshSession", "/refreshSession", sessionId);
  }

  /** Ends the session on the server. */
  closeSession(sessionId: string): Observable<void> {
    return this.#sendInSession("closeSession", "/closeSession", sessionId);
  }

  /**
   * A request to a path under the workbook (e.g. `/worksheets`), carrying the
   * session header, the signal, and no client-side retries.
   */
  workbookRequest(path: string, sessionId: string, signal: AbortSignal): GraphRequest {
    return this.#request(this.#workbookPath(path), signal).header(SESSION_HEADER, sessionId);
  }

  #sendInSession(operation: GraphOperation, path: string, sessionId: string): Observable<void> {
    const send = (signal: AbortSignal) =>
      this.#workbook(path, signal).header(SESSION_HEADER, sessionId).post({}) as Promise<Response>;
    return this.#send(operation, send, true).pipe(switchMap(async () => undefined));
  }

  #awaitOperation(accepted: Response, persistChanges: boolean): Observable<WorkbookSession> {
    return defer(() => {
      const location = this.#follow(accepted.headers.get("location"), "pollOperation");
      return this.#pollUntilDone(location, 0);
    }).pipe(
      switchMap((operation) => {
        const resource =
          isRecord(operation) && Object.hasOwn(operation, "resourceLocation")
            ? operation.resourceLocation
            : undefined;
        const target = this.#follow(resource, "getSessionInfo");
        return this.#getWithRetry("getSessionInfo", target);
      }),
      switchMap((response) => this.#readSession(response, "getSessionInfo", persistChanges)),
    );
  }

  #pollUntilDone(location: GraphPath, round: number): Observable<unknown> {
    return timer(this.#pollDelay(round), this.#config.scheduler).pipe(
      switchMap(() => this.#getWithRetry("pollOperation", location)),
      switchMap((response) => readJsonBody(response, "pollOperation")),
      switchMap((operation) => {
        const progress = readOperationProgress(operation);
        if (progress === "pending") return this.#pollUntilDone(location, round + 1);
        if (progress === "failed") {
          throw errorFromFailedOperation(operation, {
            operation: "createSession",
            sessionful: false,
          });
        }
        return [operation];
      }),
    );
  }

  #pollDelay(round: number): number {
    const { initialInterval, maxInterval } = this.#config.poll;
    return Math.min(maxInterval, initialInterval * 2 ** round);
  }

  #getWithRetry(operation: GraphOperation, target: GraphPath): Observable<Response> {
    const send = (signal: AbortSignal) =>
      this.#request(target.path, signal)
        .version(target.version)
        .responseType(ResponseType.RAW)
        .get() as Promise<Response>;
    return this.#send(operation, send).pipe(
      retryWithBackoff({
        ...this.#config.retry,
        scheduler: this.#config.scheduler,
        random: this.#config.random,
        classify: (error) => classifyError(error, { operation, sessionful: false }),
      }),
    );
  }

  #readSession(response: Response, operation: GraphOperation, persist: boolean) {
    return defer(async () =>
      readSessionBody(await readJsonBody(response, operation), operation, persist),
    );
  }

  #follow(location: unknown, operation: GraphOperation): GraphPath {
    return resolveGraphLocation(location, this.#config.graphBaseUrl, operation);
  }

  /** One HTTP exchange: a 2xx response, or a classified error; bounded by the attempt timeout. */
  #send(
    operation: GraphOperation,
    send: (signal: AbortSignal) => Promise<Response>,
    sessionful = false,
  ): Observable<Response> {
    const context = { operation, sessionful };
    const { attemptTimeout, scheduler } = this.#config;

    return fromAbortable(async (signal) => {
      const response = await send(signal).catch((error: unknown) => {
        throw classifyError(error, context);
      });
      if (!response.ok) throw await errorFromResponse(response, context);
      return response;
    }).pipe(
      timeout({
        first: attemptTimeout,
        scheduler,
        with: () => throwError(() => attemptTimedOut(operation, attemptTimeout)),
      }),
    );
  }

  /** A raw request to a path under the workbook: the response is read here, not by the client. */
  #workbook(path: string, signal: AbortSignal): GraphRequest {
    return this.#request(this.#workbookPath(path), signal).responseType(ResponseType.RAW);
  }

  #workbookPath(path: string): string {
    const relative = path.startsWith("/") ? path : `/${path}`;
    return `${this.#config.address.path}/workbook${relative}`;
  }

  #request(path: string, signal: AbortSignal): GraphRequest {
    return this.#config.client
      .api(path)
      .middlewareOptions([new RetryHandlerOptions(0, 0)])
      .option("signal", signal);
  }
}

function createSessionBody(request: CreateSessionRequest): Record<string, boolean> {
  const body: Record<string, boolean> = { persistChanges: request.persistChanges };
  if (request.commitExplicitly !== undefined) body.commitExplicitly = request.commitExplicitly;
  if (request.deferCoauthoringMerge !== undefined) {
    body.deferCoauthoringMerge = request.deferCoauthoringMerge;
  }
  return body;
}

function attemptTimedOut(operation: GraphOperation, ms: number): WorkbookError {
  return new WorkbookError({
    kind: "transient",
    operation,
    status: null,
    code: "attemptTimeout",
    innerCode: null,
    detail: `No answer came within ${ms} ms; the request was abandoned.`,
  });
}
