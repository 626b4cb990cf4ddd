import {
  BehaviorSubject,
  catchError,
  defer,
  lastValueFrom,
  type Observable,
  type Subscription,
  switchMap,
  throwError,
  timeout,
  timer,
} from "rxjs";
import { classifyError } from "../errors/classify";
import { type GraphOperation, isWorkbookError, type WorkbookError } from "../errors/workbook-error";
import { attemptTimedOut } from "../graph/attempt-timed-out";
import { fromAbortable } from "../graph/from-abortable";
import { SessionApi } from "../graph/session-api";
import { readDelay } from "../options/read-option";
import { retryWithBackoff } from "../retry/retry-with-backoff";
import { initialSessionState, reduceSession } from "../state/reduce-session";
import type { SessionAction } from "../state/session-action";
import type { SessionState, WorkbookSession } from "../state/session-state";
import type { RequestOptions, SessionContext } from "./session-context";
import {
  type ResolvedStoreOptions,
  resolveStoreOptions,
  type SessionStoreOptions,
} from "./session-store-options";
import {
  abortedWords,
  cancelledError,
  closedWords,
  cooldownTooLong,
  disposedWords,
  openTimedOut,
  scratchSessionLost,
} from "./store-errors";

/** One shared creation: every `open()` made while it runs gets its promise. */
interface Opening {
  readonly promise: Promise<WorkbookSession>;
  readonly resolve: (session: WorkbookSession) => void;
  readonly reject: (error: WorkbookError) => void;
  subscription: Subscription | null;
}

type WorkbookCall<T> = (context: SessionContext) => Promise<T>;

/**
 * One Microsoft Graph workbook session, as an observable, immutable state.
 *
 * The store opens the session on demand (`open()`), retrying `createSession`
 * with exponential backoff and honouring Graph's `Retry-After`; runs workbook
 * calls inside it (`request()`); and closes it (`close()`, `dispose()`). Every
 * change goes through one reducer, and `state$` replays the current frozen state
 * to each subscriber.
 *
 * @example
 * ```ts
 * const store = new SessionStore({ client, workbook: "/me/drive/items/01ABC" });
 * store.state$.subscribe((state) => render(state.status));
 * const sheets = await store.request((s) => s.api("/worksheets").get());
 * await store.dispose();
 * ```
 */
export class SessionStore {
  /**
   * The session's state: the current one at once, then every change, in order.
   * Never errors; completes when the store is disposed.
   */
  readonly state$: Observable<SessionState>;

  readonly #options: ResolvedStoreOptions;
  readonly #api: SessionApi;
  readonly #state = new BehaviorSubject<SessionState>(initialSessionState);
  readonly #pendingActions: SessionAction[] = [];
  #dispatching = false;
  /** Cancels each `request()` and `refresh()` still in flight, with the reason given. */
  readonly #inFlight = new Set<(why: string) => void>();
  #opening: Opening | null = null;
  /** No request is sent before this time (scheduler ms): the latest `Retry-After`. */
  #cooldownUntil = 0;
  #disposal: Promise<void> | null = null;
  /** Set by dispose(); state$ completes once the actions already queued are applied. */
  #completing = false;
  /* A completed BehaviorSubject still updates its value on next(); this guards it. */
  #stateCompleted = false;

  /** Checks the options at once: a wrong one throws a `TypeError` or `RangeError` naming it. */
  constructor(options: SessionStoreOptions) {
    this.#options = resolveStoreOptions(options);
    this.#api = new SessionApi(this.#options);
    this.state$ = this.#state.asObservable();
  }

  /** The current state. */
  getState(): SessionState {
    return this.#state.getValue();
  }

  /** Whether `dispose()` has been called. */
  get disposed(): boolean {
    return this.#disposal !== null;
  }

  /**
   * Resolves with the open session, creating it if needed. Callers that ask while
   * a creation is under way share it: one `createSession` serves them all.
   * Rejects with a `WorkbookError` when creation fails for good or is cancelled.
   */
  open(): Promise<WorkbookSession> {
    if (this.disposed) return Promise.reject(cancelledError("createSession", disposedWords));

    const state = this.getState();
    if (state.status === "active") return Promise.resolve(state.session);

    const opening = this.#opening ?? newOpening();
    if (!this.#opening) {
      this.#opening = opening;
      this.#runOpening(opening);
    }
    return opening.promise;
  }

  /**
   * Runs a workbook call inside the session, opening it first if needed.
   *
   * Errors are sorted by Graph's error rules: throttling and unavailability are
   * retried with backoff (after any `Retry-After`); a session Graph asks to
   * recreate is recreated and the call replayed once, unless the session was a
   * non-persistent one whose changes were lost; errors that end the session
   * (an invalid session, an expired token) drop it and turn the store `failed`.
   * A call that got no answer, or a gateway timeout, is sent again only when
   * marked `idempotent`, since Graph may have applied it. Resolves or rejects
   * exactly once.
   *
   * Calls are not queued: several calls at once run at once. Graph recommends
   * sending a workbook's calls one after another, writes especially.
   */
  request<T>(call: WorkbookCall<T>, options: RequestOptions = {}): Promise<T> {
    const request$ = defer(() => {
      const timeout = readDelay(options.timeout, "timeout", this.#options.attemptTimeout, 1);
      return this.#requestWithReplay(call, options, timeout);
    });
    return this.#track(request$, "request", options?.signal);
  }

  /**
   * Tells Graph the session is still in use, resetting its inactivity clock.
   * Does nothing unless a session is active. A refresh Graph refuses is handled
   * like any failed call in the session (recreate, or drop the session) and
   * rejects with the `WorkbookError`.
   */
  async refresh(): Promise<void> {
    const state = this.getState();
    if (this.disposed || state.status !== "active") return;

    const { session } = state;
    const refresh$ = this.#afterCooldown(
      this.#api.refreshSession(session.id),
      "refreshSession",
    ).pipe(
      catchError((error: unknown) => {
        const failure = this.#asWorkbookError(error, "refreshSession", true);
        return throwError(() => this.#afterSessionError(failure, session));
      }),
    );
    await this.#track(refresh$, "refreshSession");
  }

  /**
   * Ends the session: cancels a creation and every call under way, returns to
   * `idle` at once, and asks Graph to close the session. Closing is best effort
   * and never rejects. While Graph's cooldown (`Retry-After`) lasts nothing is
   * sent, as Graph asks; a session left open that way expires by itself.
   */
  async close(): Promise<void> {
    this.#cancelAll(closedWords);
    const state = this.getState();
    this.#dispatch({ type: "reset" });
    if (state.status === "active" && this.#cooldownLeft() === 0) {
      await this.#closeOnServer(state.session.id);
    }
  }

  /**
   * Stops the store for good: cancels every creation, wait and call in flight at
   * once, closes the session (best effort), and completes `state$`. Safe to call
   * more than once; never rejects.
   */
  dispose(): Promise<void> {
    if (this.#disposal) return this.#disposal;

    this.#cancelAll(disposedWords);
    this.#disposal = this.close();
    this.#completing = true;
    if (!this.#dispatching) this.#completeState();
    return this.#disposal;
  }

  /**
   * Runs one piece of work to a promise that settles exactly once: with its
   * result, its error, or a cancellation when the signal aborts or the store is
   * closed or disposed first.
   */
  #track<T>(work$: Observable<T>, operation: GraphOperation, signal?: AbortSignal): Promise<T> {
    if (this.disposed) return Promise.reject(cancelledError(operation, disposedWords));
    if (signal?.aborted) return Promise.reject(cancelledError(operation, abortedWords));

    return new Promise<T>((resolve, reject) => {
      let subscription: Subscription | undefined;
      const settle = (outcome: () => void) => {
        signal?.removeEventListener("abort", onAbort);
        this.#inFlight.delete(cancel);
        subscription?.unsubscribe();
        outcome();
      };
      const cancel = (why: string) => settle(() => reject(cancelledError(operation, why)));
      const onAbort = () => cancel(abortedWords);

      this.#inFlight.add(cancel);
      signal?.addEventListener("abort", onAbort, { once: true });
      subscription = work$.subscribe({
        next: (value) => settle(() => resolve(value)),
        error: (error: unknown) => settle(() => reject(error)),
        complete: () => settle(() => resolve(undefined as T)),
      });
    });
  }

  /*
   * A subscriber may act on the store while a state is being delivered. Its
   * actions wait until every subscriber has that state, so all of them see the
   * states in the same order.
   */
  #dispatch(action: SessionAction): void {
    this.#pendingActions.push(action);
    if (this.#dispatching) return;

    this.#dispatching = true;
    try {
      for (let next = this.#pendingActions.shift(); next; next = this.#pendingActions.shift()) {
        this.#apply(next);
      }
    } finally {
      this.#dispatching = false;
    }
    if (this.#completing) this.#completeState();
  }

  #completeState(): void {
    if (this.#stateCompleted) return;
    this.#stateCompleted = true;
    this.#state.complete();
  }

  #apply(action: SessionAction): void {
    if (this.#stateCompleted) return;
    const current = this.getState();
    const next = reduceSession(current, action);
    if (next !== current) this.#state.next(next);
  }

  #runOpening(opening: Opening): void {
    this.#dispatch({ type: "create-requested" });
    // A subscriber may have closed or disposed the store on seeing "creating".
    if (this.#opening !== opening) return;

    const subscription = defer(() => this.#createWithRetries()).subscribe({
      next: (session) =>
        this.#finishOpening(opening, () => {
          this.#dispatch({ type: "created", session });
          opening.resolve(session);
        }),
      error: (error: unknown) =>
        this.#finishOpening(opening, () => {
          const failure = this.#asWorkbookError(error, "createSession", false);
          this.#dispatch({ type: "failed", error: failure });
          opening.reject(failure);
        }),
    });
    if (this.#opening === opening) opening.subscription = subscription;
  }

  #finishOpening(opening: Opening, outcome: () => void): void {
    if (this.#opening === opening) this.#opening = null;
    opening.subscription?.unsubscribe();
    outcome();
  }

  #cancelAll(why: string): void {
    for (const cancel of [...this.#inFlight]) cancel(why);

    const opening = this.#opening;
    if (opening) {
      this.#finishOpening(opening, () => opening.reject(cancelledError("createSession", why)));
    }
  }

  #createWithRetries(): Observable<WorkbookSession> {
    const { retry, scheduler, random, openTimeout } = this.#options;
    let attempt = 0;
    let lastError: WorkbookError | null = null;

    const attempt$ = defer(() => {
      attempt += 1;
      const wait = this.#cooldownLeft();
      const sendsAt = wait > 0 ? this.#options.scheduler.now() + wait : null;
      this.#dispatch({ type: "attempt-started", attempt, sendsAt });
      return this.#afterCooldown(this.#api.createSession(this.#createRequest()), "createSession");
    });

    return attempt$.pipe(
      retryWithBackoff({
        ...retry,
        scheduler,
        random,
        classify: (error) => this.#asWorkbookError(error, "createSession", false),
        // Polls already retried on their own; a failed poll must not start a new session.
        shouldRetry: (error) => error.operation === "createSession" && error.retryable,
        onRetry: ({ error, attempt: failed, nextAttemptAt }) => {
          lastError = error;
          this.#dispatch({ type: "attempt-failed", error, nextAttempt: failed + 1, nextAttemptAt });
        },
      }),
      timeout({
        first: openTimeout,
        scheduler,
        with: () => throwError(() => openTimedOut(openTimeout, attempt, lastError)),
      }),
    );
  }

  #createRequest() {
    const { persistChanges, respondAsync, commitExplicitly, deferCoauthoringMerge } = this.#options;
    return { persistChanges, respondAsync, commitExplicitly, deferCoauthoringMerge };
  }

  /** The call with retries, and one replay in a new session if Graph asks for one. */
  #requestWithReplay<T>(call: WorkbookCall<T>, options: RequestOptions, attemptTimeout: number) {
    const run = () => this.#requestWithRetries(call, options, attemptTimeout);
    const replay = (first: WorkbookError) =>
      run().pipe(
        catchError((error: WorkbookError) =>
          throwError(() => error.withAttempts(error.attempts + first.attempts)),
        ),
      );

    return run().pipe(
      catchError((error: WorkbookError) =>
        error.kind === "recreate-session" && error.operation === "request"
          ? replay(error)
          : throwError(() => error),
      ),
    );
  }

  #requestWithRetries<T>(call: WorkbookCall<T>, options: RequestOptions, attemptTimeout: number) {
    const { retry, scheduler, random } = this.#options;
    const idempotent = options.idempotent ?? false;

    return defer(() => this.open()).pipe(
      switchMap((session) =>
        this.#afterCooldown(this.#callInSession(call, session, attemptTimeout), "request"),
      ),
      retryWithBackoff<T>({
        ...retry,
        scheduler,
        random,
        classify: (error) => this.#asWorkbookError(error, "request", true),
        // A failed open() already spent the creation retries; only the call itself is resent.
        shouldRetry: (error) =>
          error.operation === "request" &&
          error.retryable &&
          (idempotent || !mayHaveBeenApplied(error)),
      }),
    );
  }

  #callInSession<T>(call: WorkbookCall<T>, session: WorkbookSession, attemptTimeout: number) {
    const { scheduler } = this.#options;
    const run = (signal: AbortSignal) =>
      call({
        session,
        signal,
        api: (path) => this.#api.workbookRequest(path, session.id, signal),
      });

    return fromAbortable(run).pipe(
      timeout({
        first: attemptTimeout,
        scheduler,
        with: () => throwError(() => attemptTimedOut("request", attemptTimeout)),
      }),
      catchError((error: unknown) => {
        const failure = this.#asWorkbookError(error, "request", true);
        return throwError(() => this.#afterSessionError(failure, session));
      }),
    );
  }

  /**
   * Applies what a failed call says about its session, and returns the error the
   * caller should see. Only the session the call ran in is touched: an error that
   * arrives after that session was already replaced changes nothing.
   */
  #afterSessionError(error: WorkbookError, session: WorkbookSession): WorkbookError {
    const state = this.getState();
    const current = state.status === "active" && state.session.id === session.id;

    if (error.kind === "recreate-session" && !session.persistChanges) {
      const lost = scratchSessionLost(error);
      if (current) this.#dispatch({ type: "session-lost", error: lost, recreate: false });
      return lost;
    }
    if (error.kind === "recreate-session") {
      if (current) this.#recreate(error);
      return error;
    }
    if (endsSession(error) && current) {
      this.#dispatch({ type: "session-lost", error, recreate: false });
    }
    return error;
  }

  /** Replaces a session Graph dropped, without passing through `failed`. */
  #recreate(error: WorkbookError): void {
    this.#dispatch({ type: "session-lost", error, recreate: true });
    // A subscriber that saw "creating" may have closed or disposed the store.
    if (this.getState().status === "creating") this.open().catch(() => undefined);
  }

  /** Classifies a failure at the store's time, and remembers any cooldown Graph asked for. */
  #asWorkbookError(
    error: unknown,
    operation: "createSession" | "refreshSession" | "request",
    sessionful: boolean,
  ): WorkbookError {
    const failure = isWorkbookError(error)
      ? error
      : classifyError(error, this.#api.context(operation, sessionful));

    if (failure.retryAfterMs !== null) {
      const until = this.#options.scheduler.now() + failure.retryAfterMs;
      this.#cooldownUntil = Math.max(this.#cooldownUntil, until);
    }
    return failure;
  }

  /** How long Graph's latest cooldown still lasts, in ms. */
  #cooldownLeft(): number {
    return Math.max(0, this.#cooldownUntil - this.#options.scheduler.now());
  }

  /**
   * Holds a request back until Graph's latest cooldown has passed. A cooldown
   * longer than `retry.maxRetryAfter` fails the request at once instead.
   */
  #afterCooldown<T>(request$: Observable<T>, operation: GraphOperation): Observable<T> {
    const { scheduler, retry } = this.#options;
    return defer(() => {
      const wait = this.#cooldownLeft();
      if (wait === 0) return request$;
      if (wait > retry.maxRetryAfter) {
        return throwError(() => cooldownTooLong(operation, wait, retry.maxRetryAfter));
      }
      return timer(wait, scheduler).pipe(switchMap(() => request$));
    });
  }

  async #closeOnServer(sessionId: string): Promise<void> {
    await lastValueFrom(this.#api.closeSession(sessionId), { defaultValue: undefined }).catch(
      () => undefined,
    );
  }
}

function newOpening(): Opening {
  let resolve: (session: WorkbookSession) => void = () => undefined;
  let reject: (error: WorkbookError) => void = () => undefined;
  const promise = new Promise<WorkbookSession>((resolvePromise, rejectPromise) => {
    resolve = resolvePromise;
    reject = rejectPromise;
  });
  return { promise, resolve, reject, subscription: null };
}

/** Errors after which Graph's session cannot be used again. */
function endsSession(error: WorkbookError): boolean {
  if (error.kind === "session-lost") return true;
  if (error.kind !== "auth") return false;
  return error.status === 401 || equalsCode(error.innerCode, "unauthorizedUncategorized");
}

/* Second-level codes with which Graph says the failed request may be sent again. */
const RESEND_CODES = [
  "tooManyRequestsUncategorized",
  "serviceUnavailableUncategorized",
  "transientFailure",
];

/**
 * Whether Graph may have carried the call out although it failed: no answer came,
 * or a gateway timed out, unless Graph's code says to send it again.
 */
function mayHaveBeenApplied(error: WorkbookError): boolean {
  if (RESEND_CODES.some((code) => equalsCode(error.innerCode, code))) return false;
  return (
    error.status === null ||
    error.status === 504 ||
    equalsCode(error.innerCode, "gatewayTimeoutUncategorized")
  );
}

function equalsCode(code: string | null, expected: string): boolean {
  return code !== null && code.toLowerCase() === expected.toLowerCase();
}
