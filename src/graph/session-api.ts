import {
  type Client,
  type GraphRequest,
  type MiddlewareOptions,
  ResponseType,
} from "@microsoft/microsoft-graph-client";
import {
  defer,
  map,
  type Observable,
  of,
  type SchedulerLike,
  switchMap,
  throwError,
  timer,
} from "rxjs";
import {
  type ClassifyContext,
  classifyError,
  errorFromFailedOperation,
  errorFromResponse,
} from "../errors/classify";
import { usageError } from "../errors/usage-error";
import type { GraphOperation, WorkbookError } from "../errors/workbook-error";
import { describeValue } from "../options/read-option";
import type { ResolvedBackoff } from "../retry/backoff";
import { retryWithBackoff } from "../retry/retry-with-backoff";
import type { WorkbookSession } from "../state/session-state";
import { keepAnswerHeaders } from "./answer-headers";
import { attemptTimedOut } from "./attempt-timed-out";
import { hasControlCharacter, hasDotSegment, isPlainClientPath } from "./client-path";
import {
  type AbortableDeadline,
  fromAbortable,
  fromIrrevocable,
  type HandOver,
} from "./from-abortable";
import { type GraphPath, graphUrl, resolveGraphLocation } from "./graph-location";
import { readOperationProgress } from "./operation-status";
import { type AnswerWatcher, retriesOff } from "./retries-off";
import { discardBody, ownProperty, readJsonBody, readSessionBody } from "./session-body";
import { SESSION_HEADER } from "./session-header";
import type { WorkbookAddress } from "./workbook-address";

/** How long-running session creation is polled. */
export interface PollPolicy {
  /** Wait before the first poll, in ms. */
  readonly initialInterval: number;
  /** Longest wait between polls, in ms; the wait doubles up to it. */
  readonly maxInterval: number;
}

/** The store-wide pause Graph asks for with `Retry-After`. */
export interface RequestGate {
  /** Sends `request$` once the pause is over. */
  hold<T>(request$: Observable<T>, operation: GraphOperation): Observable<T>;
  /** Takes note of the pause a failure asks for, if any. */
  record(error: WorkbookError): void;
}

/** Everything the Graph calls of one store need. */
export interface SessionApiConfig {
  readonly client: Client;
  readonly address: WorkbookAddress;
  readonly graphBaseUrl: string;
  /** Longest wait for one HTTP exchange, body included, in ms. */
  readonly attemptTimeout: number;
  readonly poll: PollPolicy;
  readonly retry: ResolvedBackoff;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  /**
   * The store's pause, which the polls of a long-running creation wait for and
   * extend like any other request of the store.
   */
  readonly gate: RequestGate;
}

/** What `createSession` sends. Optional flags are sent only when set. */
export interface CreateSessionRequest {
  readonly persistChanges: boolean;
  readonly respondAsync: boolean;
  readonly commitExplicitly?: boolean | undefined;
  readonly deferCoauthoringMerge?: boolean | undefined;
}

/** A createSession answer: the session, or the operation to poll for it. */
export type CreateOutcome =
  | { readonly session: WorkbookSession }
  | { readonly location: string | null };

/**
 * The Graph calls that open, keep and close one workbook's session. Each method
 * returns a cold observable that makes one attempt when subscribed (retrying only
 * the polls of a long-running create) and aborts its request when unsubscribed.
 * Bodies are read inside the attempt, so the attempt timeout bounds them too.
 * The Graph client's own retry middleware is switched off on every request: the
 * store's policy is the only one that decides when to send again.
 */
export class SessionApi {
  readonly #config: SessionApiConfig;
  readonly #retriesOff: MiddlewareOptions[];
  /** Where createSession is sent, which a relative `Location` in its answer is resolved against. */
  readonly #createSessionUrl: string;

  constructor(config: SessionApiConfig) {
    this.#config = config;
    this.#retriesOff = retriesOff(config.client) as MiddlewareOptions[];
    this.#createSessionUrl = graphUrl(config.graphBaseUrl, {
      version: clientVersion(config.client),
      path: this.#workbookPath("/createSession"),
    });
  }

  /**
   * The createSession request alone: the session, when Graph answers 201, or
   * the operation to poll, when it answers 202. It is never aborted, since
   * Graph makes the session all the same: when it is let go of, or its attempt
   * timeout passes, while on the wire, its answer goes to `handOver`.
   */
  postCreateSession(
    request: CreateSessionRequest,
    handOver?: HandOver<CreateOutcome>,
  ): Observable<CreateOutcome> {
    const send = () => {
      const call = this.#workbook("/createSession");
      if (request.respondAsync) call.header("Prefer", "respond-async");
      return call.post(createSessionBody(request));
    };
    const read = async (response: Response): Promise<CreateOutcome> => {
      if (response.status !== 202) {
        const body = await readJsonBody(response, "createSession");
        return { session: readSessionBody(body, "createSession", request.persistChanges) };
      }
      await discardBody(response);
      return { location: response.headers.get("location") };
    };

    const attempt = this.#attempt("createSession", send, read, false);
    return fromIrrevocable(() => attempt(undefined), this.#deadline("createSession"), handOver);
  }

  /** The session an answer to createSession leads to, polling its operation if needed. */
  sessionFrom(outcome: CreateOutcome, persistChanges: boolean): Observable<WorkbookSession> {
    return "session" in outcome
      ? of(outcome.session)
      : this.#awaitOperation(outcome.location, persistChanges);
  }

  /** Resets the session's inactivity clock on the server. */
  refreshSession(sessionId: string): Observable<void> {
    return this.#postInSession("refreshSession", "/refreshSession", sessionId);
  }

  /**
   * Ends the session on the server. With `keepalive` the request outlives the
   * page that sends it, for closing while the page is being left.
   */
  closeSession(sessionId: string, keepalive = false): Observable<void> {
    return this.#postInSession("closeSession", "/closeSession", sessionId, keepalive);
  }

  /**
   * A request to a path under the workbook (e.g. `/worksheets`), carrying the
   * session header, the signal, and no client-side retries. Each error it fails
   * with carries the headers of its own answer, whatever the status and body (see
   * {@link keepAnswerHeaders}). Only when the Graph client is not built as this
   * relies on does `watch` see answers instead: those Graph may attach a
   * `Retry-After` to (see {@link retriesOff}).
   */
  workbookRequest(
    path: string,
    sessionId: string,
    signal: AbortSignal,
    watch?: AnswerWatcher,
  ): GraphRequest {
    if (!isPlainClientPath(path)) {
      throw usageError(
        new RangeError(
          `The workbook path ${describeValue(path)} contains "://"; the Graph client would send ` +
            "it to the host written there. Percent-encode the value that holds the URL.",
        ),
      );
    }
    if (hasControlCharacter(path)) {
      throw usageError(
        new RangeError(
          `The workbook path ${describeValue(path)} holds a control character, which a URL ` +
            "cannot carry. Percent-encode it, or remove it.",
        ),
      );
    }
    if (hasDotSegment(path)) {
      throw usageError(
        new RangeError(
          `The workbook path ${describeValue(path)} has a '.' or '..' step, which would lead ` +
            "out of the workbook. Percent-encode names that contain dots and slashes.",
        ),
      );
    }
    const request = this.#request(this.#workbookPath(path), signal);
    if (!keepAnswerHeaders(request) && watch) {
      request.middlewareOptions(retriesOff(this.#config.client, watch) as MiddlewareOptions[]);
    }
    return request.header(SESSION_HEADER, sessionId);
  }

  /** What errors of `operation` are classified against, at the scheduler's time. */
  context(operation: GraphOperation, sessionful: boolean): ClassifyContext {
    return { operation, sessionful, now: this.#config.scheduler.now() };
  }

  #postInSession(
    operation: GraphOperation,
    path: string,
    sessionId: string,
    keepalive = false,
  ): Observable<void> {
    const send = (signal: AbortSignal) => {
      const call = this.#workbook(path, signal).header(SESSION_HEADER, sessionId);
      if (keepalive) call.option("keepalive", true);
      return call.post({}) as Promise<Response>;
    };
    return this.#exchange(operation, send, discardBody, true);
  }

  /*
   * A relative location is resolved against the URL of the request whose answer
   * carried it: the `Location` against createSession's, the `resourceLocation`
   * against the operation's.
   */
  #awaitOperation(location: string | null, persistChanges: boolean): Observable<WorkbookSession> {
    return defer(() => {
      const poll = this.#follow(location, this.#createSessionUrl, "pollOperation");
      return this.#pollUntilDone(poll, 0).pipe(
        switchMap((operation) => {
          const resource = ownProperty(operation, "resourceLocation");
          const pollUrl = graphUrl(this.#config.graphBaseUrl, poll);
          return this.#getJson("getSessionInfo", this.#follow(resource, pollUrl, "getSessionInfo"));
        }),
      );
    }).pipe(map((body) => readSessionBody(body, "getSessionInfo", persistChanges)));
  }

  /** Polls with a doubling wait until the operation is no longer pending. */
  #pollUntilDone(location: GraphPath, round: number): Observable<unknown> {
    return timer(this.#pollDelay(round), this.#config.scheduler).pipe(
      switchMap(() => this.#getJson("pollOperation", location)),
      switchMap((operation) => {
        const progress = readOperationProgress(operation);
        if (progress === "pending") return this.#pollUntilDone(location, round + 1);
        if (progress === "failed") {
          return throwError(() =>
            errorFromFailedOperation(operation, this.context("createSession", false)),
          );
        }
        return of(operation);
      }),
    );
  }

  #pollDelay(round: number): number {
    const { initialInterval, maxInterval } = this.#config.poll;
    return Math.min(maxInterval, initialInterval * 2 ** round);
  }

  /** A GET of a URL Graph handed back; these reads are safe to retry. */
  #getJson(operation: GraphOperation, target: GraphPath): Observable<unknown> {
    const send = (signal: AbortSignal) =>
      this.#request(target.path, signal)
        .version(target.version)
        .responseType(ResponseType.RAW)
        .get() as Promise<Response>;
    const read = (response: Response) => readJsonBody(response, operation);
    const { gate } = this.#config;
    const attempt$ = this.#exchange(operation, send, read);

    return gate.hold(attempt$, operation).pipe(
      retryWithBackoff({
        ...this.#config.retry,
        scheduler: this.#config.scheduler,
        random: this.#config.random,
        classify: (error) => {
          const failure = classifyError(error, this.context(operation, false));
          gate.record(failure);
          return failure;
        },
      }),
    );
  }

  #follow(location: unknown, requestUrl: string, operation: GraphOperation): GraphPath {
    return resolveGraphLocation(location, requestUrl, this.#config.graphBaseUrl, operation);
  }

  /**
   * One HTTP exchange, body included: the value `read` makes of a 2xx response,
   * or a classified error; aborted after the attempt timeout.
   */
  #exchange<T>(
    operation: GraphOperation,
    send: (signal: AbortSignal) => Promise<Response>,
    read: (response: Response) => Promise<T>,
    sessionful = false,
  ): Observable<T> {
    const attempt = this.#attempt(operation, send, read, sessionful);
    return fromAbortable(attempt, this.#deadline(operation));
  }

  /** Sends, classifies a failure, and reads a 2xx response with `read`. */
  #attempt<T, Signal extends AbortSignal | undefined>(
    operation: GraphOperation,
    send: (signal: Signal) => Promise<Response>,
    read: (response: Response) => Promise<T>,
    sessionful: boolean,
  ): (signal: Signal) => Promise<T> {
    return async (signal) => {
      const response = await send(signal).catch((error: unknown) => {
        throw classifyError(error, this.context(operation, sessionful));
      });
      if (!response.ok)
        throw await errorFromResponse(response, this.context(operation, sessionful));
      return read(response);
    };
  }

  #deadline(operation: GraphOperation): AbortableDeadline {
    const { attemptTimeout, scheduler } = this.#config;
    return {
      ms: attemptTimeout,
      scheduler,
      error: () => attemptTimedOut(operation, attemptTimeout),
    };
  }

  /** A raw request to a path under the workbook: the response is read here, not by the client. */
  #workbook(path: string, signal?: AbortSignal): GraphRequest {
    return this.#request(this.#workbookPath(path), signal).responseType(ResponseType.RAW);
  }

  #workbookPath(path: string): string {
    const relative = path.startsWith("/") ? path : `/${path}`;
    return `${this.#config.address.path}/workbook${relative}`;
  }

  /* Without a signal the request cannot be aborted, and Node's fetch follows none. */
  #request(path: string, signal?: AbortSignal): GraphRequest {
    const request = this.#config.client.api(path).middlewareOptions(this.#retriesOff);
    return signal ? request.option("signal", signal) : request;
  }
}

/*
 * The Graph client keeps the API version it sends requests with, createSession
 * among them, in a field it does not declare public. Graph's default is assumed
 * when it cannot be read.
 */
function clientVersion(client: Client): string {
  const version = (client as unknown as { config?: { defaultVersion?: unknown } }).config
    ?.defaultVersion;
  const trimmed = typeof version === "string" ? version.replace(/^\/+|\/+$/g, "") : "";
  return trimmed === "" ? "v1.0" : trimmed;
}

function createSessionBody(request: CreateSessionRequest): Record<string, boolean> {
  const body: Record<string, boolean> = { persistChanges: request.persistChanges };
  if (request.commitExplicitly !== undefined) body.commitExplicitly = request.commitExplicitly;
  if (request.deferCoauthoringMerge !== undefined) {
    body.deferCoauthoringMerge = request.deferCoauthoringMerge;
  }
  return body;
}
