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
} from "rxjs";
import { classifyError } from "../errors/classify";
import { isWorkbookError, type WorkbookError } from "../errors/workbook-error";
import { fromAbortable } from "../graph/from-abortable";
import { SessionApi } from "../graph/session-api";
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
import { cancelledError, openTimedOut, scratchSessionLost } from "./store-errors";

interface Opening {
  readonly promise: Promise<WorkbookSession>;
  cancel(error: WorkbookError): void;
}

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
   * The session's state: the current one at once, then every change. Never
   * errors; completes when the store is disposed.
   */
  readonly state$: Observable<SessionState>;

  readonly #options: ResolvedStoreOptions;
  readonly #api: SessionApi;
  readonly #state = new BehaviorSubject<SessionState>(initialSessionState);
  /** Cancels each `request()` still in flight. */
  readonly #requests = new Set<() => void>();
  #opening: Opening | null = null;
  #disposal: Promise<void> | null = null;

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

    this.#opening ??= this.#startOpening();
    return this.#opening.promise;
  }

  /**
   * Runs a workbook call inside the session, opening it first if needed.
   *
   * Errors are sorted by Graph's error rules: throttling and unavailability are
   * retried with backoff (after any `Retry-After`); a session Graph asks to
   * recreate is recreated and the call replayed once, unless the session was a
   * non-persistent one whose changes were lost; errors that end the session
   * (authentication, an invalid session) drop it and turn the store `failed`.
   * Resolves or rejects exactly once.
   */
  request<T>(
    call: (context: SessionContext) => Promise<T>,
    options: RequestOptions = {},
  ): Promise<T> {
    const { signal } = options;
    if (this.disposed) return Promise.reject(cancelledError("request", disposedWords));
    if (signal?.aborted) return Promise.reject(cancelledError("request", abortedWords));

    return new Promise<T>((resolve, reject) => {
      let subscription: Subscription | undefined;
      const settle = (outcome: () => void) => {
        outcome();
        signal?.removeEventListener("abort", onAbort);
        this.#requests.delete(cancel);
        subscription?.unsubscribe();
      };
      const onAbort = () => settle(() => reject(cancelledError("request", abortedWords)));
      const cancel = () => settle(() => reject(cancelledError("request", disposedWords)));

      this.#requests.add(cancel);
      signal?.addEventListener("abort", onAbort, { once: true });
      subscription = this.#requestWithReplay(call, options).subscribe({
        next: (value) => settle(() => resolve(value)),
        error: (error: unknown) => settle(() => reject(error)),
      });
    });
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
    const refresh$ = this.#api.refreshSession(session.id).pipe(
      catchError((error: unknown) => {
        const failure = classifyError(error, { operation: "refreshSession", sessionful: true });
        return throwError(() => this.#afterSessionError(failure, session));
      }),
    );
    await lastValueFrom(refresh$, { defaultValue: undefined });
  }

  /**
   * Ends the session: cancels a creation under way, returns to `idle` at once,
   * and asks Graph to close the session. Closing is best effort and never
   * rejects; a session Graph cannot close expires by itself.
   */
  async close(): Promise<void> {
    this.#opening?.cancel(cancelledError("createSession", closedWords));
    const state = this.getState();
    this.#dispatch({ type: "reset" });
    if (state.status === "active") await this.#closeOnServer(state.session.id);
  }

  /**
   * Stops the store for good: cancels every creation, wait and call in flight at
   * once, closes the session (best effort), and completes `state$`. Safe to call
   * more than once; never rejects.
   */
  dispose(): Promise<void> {
    if (this.#disposal) return this.#disposal;

    for (const cancel of [...this.#requests]) cancel();
    this.#opening?.cancel(cancelledError("createSession", disposedWords));
    this.#disposal = this.close();
    this.#state.complete();
    return this.#disposal;
  }

  #dispatch(action: SessionAction): void {
    if (this.#state.closed) return;
    const current = this.getState();
    const next = reduceSession(current, action);
    if (next !== current) this.#state.next(next);
  }

  #startOpening(): Opening {
    let reject: (error: WorkbookError) => void = () => undefined;
    let subscription: Subscription | undefined;
    const done = () => {
      this.#opening = null;
      subscription?.unsubscribe();
    };

    const promise = new Promise<WorkbookSession>((resolvePromise, rejectPromise) => {
      reject = rejectPromise;
      this.#dispatch({ type: "create-requested" });
      subscription = this.#createWithRetries().subscribe({
        next: (session) => {
          done();
          this.#dispatch({ type: "created", session });
          resolvePromise(session);
        },
        error: (error: unknown) => {
          done();
          const failure = asWorkbookError(error, "createSession");
          this.#dispatch({ type: "failed", error: failure });
          rejectPromise(failure);
        },
      });
    });

    const cancel = (error: WorkbookError) => {
      done();
      reject(error);
    };
    return { promise, cancel };
  }

  #createWithRetries(): Observable<WorkbookSession> {
    const { retry, scheduler, random, openTimeout } = this.#options;
    let attempt = 0;
    let lastError: WorkbookError | null = null;

    const attempt$ = defer(() => {
      attempt += 1;
      this.#dispatch({ type: "attempt-started", attempt });
      return this.#api.createSession(this.#createRequest());
    });

    return attempt$.pipe(
      retryWithBackoff({
        ...retry,
        scheduler,
        random,
        classify: (error) =>
          classifyError(error, { operation: "createSession", sessionful: false }),
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
  #requestWithReplay<T>(call: (context: SessionContext) => Promise<T>, options: RequestOptions) {
    return this.#requestWithRetries(call, options).pipe(
      catchError((error: WorkbookError) =>
        error.kind === "recreate-session"
          ? this.#requestWithRetries(call, options)
          : throwError(() => error),
      ),
    );
  }

  #requestWithRetries<T>(call: (context: SessionContext) => Promise<T>, options: RequestOptions) {
    const { retry, scheduler, random } = this.#options;
    const idempotent = options.idempotent ?? false;

    return defer(() => this.open()).pipe(
      switchMap((session) => this.#callInSession(call, session)),
      retryWithBackoff<T>({
        ...retry,
        scheduler,
        random,
        classify: (error) => asWorkbookError(error, "request"),
        // A failed open() already spent the creation retries; only the call itself is resent.
        shouldRetry: (error) =>
          error.operation === "request" && error.retryable && (idempotent || error.status !== null),
      }),
    );
  }

  #callInSession<T>(call: (context: SessionContext) => Promise<T>, session: WorkbookSession) {
    return fromAbortable((signal) =>
      call({
        session,
        signal,
        api: (path) => this.#api.workbookRequest(path, session.id, signal),
      }),
    ).pipe(
      catchError((error: unknown) => {
        const failure = classifyError(error, { operation: "request", sessionful: true });
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

    if (error.kind === "recreate-session") {
      if (!session.persistChanges) {
        if (current) this.#dispatch({ type: "session-lost", error, recreate: false });
        return scratchSessionLost(error);
      }
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
    this.open().catch(() => undefined);
  }

  async #closeOnServer(sessionId: string): Promise<void> {
    await lastValueFrom(this.#api.closeSession(sessionId), { defaultValue: undefined }).catch(
      () => undefined,
    );
  }
}

const disposedWords = "The store was disposed; create a new SessionStore to continue.";
const closedWords = "The store was closed before the session opened.";
const abortedWords = "The call was cancelled by its AbortSignal.";

function endsSession(error: WorkbookError): boolean {
  return error.kind === "session-lost" || error.kind === "auth";
}

function asWorkbookError(error: unknown, operation: "createSession" | "request"): WorkbookError {
  return isWorkbookError(error) ? error : classifyError(error, { operation, sessionful: false });
}
