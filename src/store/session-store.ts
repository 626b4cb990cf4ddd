import {
  catchError,
  defer,
  EMPTY,
  finalize,
  type InteropObservable,
  identity,
  type MonoTypeOperatorFunction,
  map,
  type Observable,
  Subject,
  Subscription,
  switchMap,
  tap,
  throwError,
  timeout,
} from "rxjs";
import { defaultPeerChannel, peerChannelName } from "../environment/peer-channel";
import type { EnvironmentChange } from "../environment/session-environment";
import { classifyError } from "../errors/classify";
import { mayHaveBeenApplied } from "../errors/may-have-been-applied";
import {
  type GraphOperation,
  isWorkbookError,
  WorkbookError,
  workbookErrorInit,
} from "../errors/workbook-error";
import type { CloseReason, SessionEvent } from "../events/session-event";
import { withAnswerHeaders } from "../graph/answer-headers";
import { attemptTimedOut } from "../graph/attempt-timed-out";
import { fromAbortable } from "../graph/from-abortable";
import { type CreateOutcome, SessionApi } from "../graph/session-api";
import { type RetryEvent, type RetryOptions, retryWithBackoff } from "../retry/retry-with-backoff";
import type { SessionAction } from "../state/session-action";
import type {
  CreatingState,
  SessionState,
  SessionStatus,
  WorkbookSession,
} from "../state/session-state";
import { CallQueue } from "./call-queue";
import { CallWrites } from "./call-writes";
import { Cooldown } from "./cooldown";
import { endsSession, worthClosing } from "./error-rules";
import { KeepAlive } from "./keep-alive";
import { PeerOutages } from "./peer-outages";
import { quietOnAbort } from "./quiet-on-abort";
import {
  type CheckedRequestOptions,
  checkCall,
  checkCallResult,
  checkRequestOptions,
} from "./request-options";
import { selectState } from "./select-state";
import { SessionCloser } from "./session-closer";
import type { RequestOptions, SessionContext } from "./session-context";
import { type RememberedSession, SessionMemory } from "./session-memory";
import {
  type ResolvedStoreOptions,
  resolveStoreOptions,
  type SessionStoreOptions,
} from "./session-store-options";
import { StateContainer } from "./state-container";
import {
  abortedWords,
  cancelledError,
  closedWords,
  disposedWords,
  type OpenAttempts,
  offlineWords,
  openTimedOut,
  pageLeftWords,
  replayRefused,
  scratchSessionLost,
  sessionReplaced,
  takenOverWords,
  usedAfterDispose,
  type WriteStop,
  writeNotRepeated,
} from "./store-errors";

type OpenReason = "open" | "recreate";

/** What had happened to the store when a call was made. */
interface IssuedAt {
  readonly losses: number;
  readonly failures: number;
}

/** The tries of a call, or of its replay in a new session, and whether it may be sent again. */
interface Tries {
  made: number;
  /** These are the replay's tries; a replay is not replayed again. */
  readonly replay: boolean;
  /** What the latest try wrote; null for an idempotent call, which may run twice all the same. */
  readonly writes: CallWrites | null;
  /** The latest try failed after Graph carried out one of its writes, or may have. */
  wrote: boolean;
  /** What had happened to the store when the call was made. */
  readonly issued: IssuedAt;
  /** The latest try was refused before it was sent. */
  refused?: boolean;
}

/** One shared creation: every `open()` made while it runs gets its promise. */
interface Opening {
  readonly promise: Promise<WorkbookSession>;
  readonly resolve: (session: WorkbookSession) => void;
  readonly reject: (error: WorkbookError) => void;
  subscription: Subscription | null;
  /** Let go of by its store: a createSession answer still to come brings a session to close. */
  abandoned: boolean;
  /** A handed-over session being checked; if the opening is let go it must be closed. */
  resuming: WorkbookSession | null;
}

/** A workbook call run by `SessionStore.request`: it gets the session's context and returns a promise. */
export type WorkbookCall<T> = (context: SessionContext) => Promise<T>;

/**
 * One Microsoft Graph workbook session, as an observable, immutable state.
 *
 * The store opens the session on demand (`open()`), retrying `createSession`
 * with exponential backoff and honouring Graph's `Retry-After`; keeps it alive
 * while idle; recreates it when Graph drops it; runs workbook calls inside it
 * one after another (`request()`); and closes it (`close()`, `dispose()`, or
 * when the page is left). Every change goes through one reducer, and `state$`
 * replays the current frozen state to each subscriber.
 *
 * @example
 * ```ts
 * const store = new SessionStore({ client, workbook: "/me/drive/items/01ABC" });
 * store.subscribe((state) => render(state.status));
 * const sheets = await store.request((s) => s.api("/worksheets").get());
 * await store.dispose();
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below declares a member the constructor defines
export class SessionStore {
  /**
   * The session's state: the current one at once, then every change, in order.
   * Never errors; completes when the store is disposed.
   */
  readonly state$: Observable<SessionState>;

  /** The status alone (`idle`, `creating`, `active`, `failed`), emitted when it changes. */
  readonly status$: Observable<SessionStatus>;

  /** The active session's id, or null when no session is active; emitted when it changes. */
  readonly sessionId$: Observable<string | null>;

  /**
   * What the store does, as it happens: creation requested, attempts failed and
   * retries scheduled (with the delay chosen), sessions created, refreshed,
   * expired, recreated and closed, and disposal. Nothing is replayed to late
   * subscribers. Completes after the `disposed` event.
   */
  readonly events$: Observable<SessionEvent>;

  readonly #options: ResolvedStoreOptions;
  readonly #api: SessionApi;
  readonly #state = new StateContainer((previous, next) => this.#followSession(previous, next));
  readonly #events = new Subject<SessionEvent>();
  /** Cancels each `request()` and `refresh()` still in flight, with the reason given. */
  readonly #inFlight = new Set<(why: string) => void>();
  readonly #queue: CallQueue;
  readonly #cooldown: Cooldown;
  readonly #peers: PeerOutages | null;
  /**
   * When this store's latest createSession attempt was sent, or found not worth
   * sending, in the scheduler's ms: a success heard after it ends the wait.
   */
  #lastAttemptAt = Number.NEGATIVE_INFINITY;
  /** The current attempt is held while another store's attempt is on the wire. */
  #waitingForPeer = false;
  /** createSession's retry policy: the same for every opening, so built once. */
  readonly #createRetry: MonoTypeOperatorFunction<WorkbookSession>;
  readonly #keepAlive: KeepAlive | null;
  readonly #memory: SessionMemory | null;
  readonly #stopWatching: () => void;
  readonly #closer: SessionCloser;
  #opening: Opening | null = null;
  /** The refresh under way, with the session it refreshes. */
  #refreshing: { readonly sessionId: string; readonly done: Promise<void> } | null = null;
  /** Tries of calls running, by the id of the session they run in. */
  readonly #callsIn = new Map<string, number>();
  /** Sessions given up on while calls still ran in them: closed when the last one ends. */
  readonly #closeWhenLeft = new Map<string, CloseReason>();
  /** The session being replaced, for the `recreated` event. */
  #replaced: WorkbookSession | null = null;
  /** Counts non-persistent sessions lost; a call made before a loss must not run after it. */
  #changesLostCount = 0;
  /** What the calls made before the latest loss are refused with. */
  #lastChangesLost: WorkbookError | null = null;
  /** Non-persistent sessions lost since the store was last idle, with their loss. */
  readonly #lostSessions = new Map<string, WorkbookError>();
  /** Errors of tries refused before they were sent: neither counted nor reported. */
  readonly #unsent = new WeakSet<WorkbookError>();
  /** Counts creations that failed for good; a call made before one shares its failure. */
  #failureCount = 0;
  #isDisposed = false;
  #disposal: Promise<void> | null = null;

  /** Checks the options at once: a wrong one throws a `TypeError` or `RangeError` naming it. */
  constructor(options: SessionStoreOptions) {
    this.#options = resolveStoreOptions(options);
    this.#cooldown = new Cooldown(this.#options.scheduler, this.#options.retry.maxRetryAfter);
    this.#api = new SessionApi({ ...this.#options, gate: this.#cooldown });
    this.#queue = new CallQueue(this.#options.concurrency);
    this.#peers = this.#newPeers();
    try {
      this.#createRetry = this.#newCreateRetry();
      this.#keepAlive = this.#newKeepAlive();
      this.#memory = this.#newMemory();
      this.#closer = new SessionCloser({
        api: this.#api,
        cooldown: this.#cooldown,
        scheduler: this.#options.scheduler,
        classify: (error, operation, sessionful) =>
          this.#asWorkbookError(error, operation, sessionful),
        reportClosed: (sessionId, reason, closed) =>
          this.#emit({ type: "closed", at: this.#now(), sessionId, reason, closed }),
      });

      this.state$ = this.#state.state$;
      this.status$ = this.select((state) => state.status);
      this.sessionId$ = this.select(activeSessionId);
      this.events$ = this.#events.asObservable();
      if (typeof Symbol.observable === "symbol") {
        Object.defineProperty(this, Symbol.observable, { value: () => this.state$ });
      }

      this.#stopWatching = this.#options.environment.watch((change) => this.#onPageChange(change));
    } catch (error) {
      // The channel must not stay claimed, or open, by a store that never came to be.
      this.#peers?.dispose();
      throw error;
    }
  }

  /** The current state. */
  getState(): SessionState {
    return this.#state.get();
  }

  /** Whether `dispose()` has been called. */
  get disposed(): boolean {
    return this.#isDisposed;
  }

  /**
   * A part of the state, emitted when it changes: `equal` (default `Object.is`)
   * compares each projection with the previous one. The projector runs once per
   * state however many subscribe; a late subscriber gets the latest value at once,
   * and the store is let go when the last one unsubscribes.
   */
  select<T>(
    projector: (state: SessionState) => T,
    equal: (previous: T, next: T) => boolean = Object.is,
  ): Observable<T> {
    return selectState(this.state$, projector, equal);
  }

  /**
   * Calls `listener` with the current state at once and then with every change,
   * until the returned function is called. Fits React's `useSyncExternalStore`
   * and Svelte's store contract.
   */
  subscribe(listener: (state: SessionState) => void): () => void {
    const subscription = this.state$.subscribe(listener);
    return () => subscription.unsubscribe();
  }

  /** Lets `from(store)` and other Observable-interop libraries read `state$`. */
  "@@observable"(): Observable<SessionState> {
    return this.state$;
  }

  /**
   * Resolves with the open session, creating it if needed. Callers that ask while
   * a creation is under way share it: one `createSession` serves them all.
   * Rejects with a `WorkbookError` when creation fails for good or is cancelled.
   */
  open(): Promise<WorkbookSession> {
    if (this.disposed) return Promise.reject(usedAfterDispose("createSession"));

    const state = this.getState();
    if (state.status === "active") return Promise.resolve(state.session);
    // Creating without an opening: a recreation is being set up; this open() starts it.
    const reason = state.status === "creating" ? "recreate" : "open";
    return (this.#opening ?? this.#startOpening(reason)).promise;
  }

  /**
   * Runs a workbook call inside the session, opening it first if needed.
   *
   * Calls wait their turn: by default one runs at a time, in the order they
   * were made (see the `concurrency` option). Errors are sorted by Graph's error
   * rules: throttling and unavailability are retried with backoff (after any
   * `Retry-After`); a session Graph asks to recreate is recreated and the call
   * replayed once in the new session; errors that end the session (an invalid
   * session, an expired token) drop it and turn the store `failed`. A call is
   * sent again as a whole, so one that got no answer, or a gateway timeout, or
   * that failed after Graph carried out one of its writes, is sent again or
   * replayed only when marked `idempotent`. When a non-persistent session is
   * lost, calls made before the loss reject instead of running in the new
   * session (see `replayAfterChangesLost`). Resolves or rejects exactly once.
   */
  request<T>(call: WorkbookCall<T>, options: RequestOptions = {}): Promise<T> {
    let checked: CheckedRequestOptions;
    try {
      checkCall(call);
      checked = checkRequestOptions(options, this.#options.attemptTimeout);
    } catch (error) {
      return Promise.reject(error);
    }

    const issued = { losses: this.#changesLostCount, failures: this.#failureCount };
    const request$ = defer(() => this.#requestWithReplay(call, checked, issued));
    return this.#track(this.#queue.schedule(request$), "request", checked.signal);
  }

  /**
   * Tells Graph the session is still in use, resetting its inactivity clock.
   * Keep-alive calls it on its own; apps rarely need to. Does nothing unless a
   * session is active. Failures Graph allows are retried; a refresh Graph
   * refuses is handled like any failed call in the session (recreate, or drop
   * the session) and rejects with the `WorkbookError`.
   */
  refresh(): Promise<void> {
    const state = this.getState();
    if (this.disposed || state.status !== "active") return Promise.resolve();

    const { session } = state;
    if (this.#refreshing?.sessionId === session.id) return this.#refreshing.done;

    const done = this.#track(this.#refresh$(session), "refreshSession").finally(() => {
      if (this.#refreshing?.done === done) this.#refreshing = null;
    });
    this.#refreshing = { sessionId: session.id, done };
    return done;
  }

  /**
   * Ends the session: cancels a creation and every call under way, returns to
   * `idle` at once, and asks Graph to close the session. A session whose
   * creation was already on the wire is closed when it arrives. Closing is best
   * effort and never rejects. While Graph's cooldown (`Retry-After`) lasts
   * nothing is sent, as Graph asks; a session left open that way expires by itself.
   */
  close(): Promise<void> {
    return this.#endSession("close", closedWords);
  }

  /**
   * Stops the store for good: cancels every creation, wait and call in flight at
   * once, closes the session (best effort), and completes `state$`. Resolves once
   * the session is closed. A session whose creation was under way is closed
   * when it arrives (followed for the longer of `openTimeout` and
   * `attemptTimeout`), after this resolves; `events$` reports that close, then
   * `disposed`, and completes. A close Graph's cooldown would hold is given up,
   * so that disposal ends. Safe to call more than once; never rejects.
   */
  dispose(): Promise<void> {
    if (this.#disposal) return this.#disposal;

    // Set first: a subscriber told of the reset below may call dispose() again, and gets this one.
    let ended!: () => void;
    this.#disposal = new Promise<void>((resolve) => {
      ended = resolve;
    });
    this.#isDisposed = true;
    // A listener may make the workbook's next store while this one ends: it may have the channel.
    this.#peers?.release();
    this.#stopListening();
    this.#closer.stopWaiting();
    void this.#endSession("dispose", disposedWords).then(ended, ended);
    this.#peers?.dispose();
    void this.#disposal.then(() => this.#closer.settled()).then(() => this.#finishEvents());

    this.#state.complete();
    return this.#disposal;
  }

  /**
   * Runs one piece of work to a promise that settles exactly once: with its
   * result, its error, or a cancellation when the signal aborts or the store is
   * closed or disposed first.
   */
  #track<T>(work$: Observable<T>, operation: GraphOperation, signal?: AbortSignal): Promise<T> {
    if (this.disposed) return Promise.reject(usedAfterDispose(operation));
    if (signal?.aborted) {
      return Promise.reject(cancelledError(operation, abortedWords, signal.reason));
    }

    return new Promise<T>((resolve, reject) => {
      // Made first: the work may be cancelled while it is still being subscribed to.
      const subscription = new Subscription();
      const settle = (outcome: () => void) => {
        signal?.removeEventListener("abort", onAbort);
        this.#inFlight.delete(cancel);
        subscription.unsubscribe();
        outcome();
      };
      const cancel = (why: string, cause?: unknown) =>
        settle(() => reject(cancelledError(operation, why, cause)));
      const onAbort = () => cancel(abortedWords, signal?.reason);

      this.#inFlight.add(cancel);
      signal?.addEventListener("abort", onAbort, { once: true });
      subscription.add(
        work$.subscribe({
          next: (value) => settle(() => resolve(value)),
          error: (error: unknown) => settle(() => reject(error)),
          complete: () => settle(() => resolve(undefined as T)),
        }),
      );
    });
  }

  /** Applies `action`; `announce` tells its events once every subscriber has the state. */
  #dispatch(action: SessionAction, announce?: () => void): void {
    this.#state.dispatch(action, announce);
  }

  /* An environment that fails to stop watching must not stop the store's disposal. */
  #stopListening(): void {
    try {
      this.#stopWatching();
    } catch {
      // Nothing is left to do with it: the store no longer acts on what it reports.
    }
  }

  /** Starts keep-alive and remembers the session while one is active; stops and forgets after. */
  #followSession(previous: SessionState, next: SessionState): void {
    const previousId = activeSessionId(previous);
    const nextId = activeSessionId(next);

    if (previousId !== nextId && next.status === "active") {
      this.#keepAlive?.start();
      // A session this page handed over while still checking it stays handed over.
      if (!this.#memory?.handedOver) this.#memory?.remember(next.session, this.#now());
    } else if (previousId !== nextId) {
      this.#keepAlive?.stop();
    }

    if (next.status === "idle" || next.status === "failed") {
      this.#memory?.forget();
      this.#replaced = null;
    }
    // Calls still running in a lost session were cancelled with the close.
    if (next.status === "idle") this.#lostSessions.clear();
  }

  /** Tells `event` in its turn: after the state being delivered, if one is. */
  #emit(event: SessionEvent): void {
    this.#state.announce(() => this.#tell(event));
  }

  /** Tells `event` now; for announcements, which already run in their turn. */
  #tell(event: SessionEvent): void {
    this.#events.next(event);
  }

  #now(): number {
    return this.#options.scheduler.now();
  }

  /* ---------------------------------------------------------------- opening */

  #startOpening(reason: OpenReason): Opening {
    const opening = newOpening();
    this.#opening = opening;

    const remembered = reason === "open" ? this.#recall() : null;
    this.#dispatch({ type: "create-requested" }, () =>
      this.#tell({
        type: "create-requested",
        at: this.#now(),
        reason: remembered ? "resume" : reason,
      }),
    );
    // A subscriber may have closed or disposed the store on seeing "creating".
    if (this.#opening !== opening) return opening;

    const session$ = remembered
      ? this.#resume(remembered, opening)
      : this.#createWithRetries(opening);

    // Held before subscribing: a subscriber may cancel the opening while it starts.
    const subscription = new Subscription();
    opening.subscription = subscription;
    subscription.add(this.#openDeadline(opening));
    subscription.add(
      session$.subscribe({
        next: (session) =>
          this.#finishOpening(opening, () => {
            this.#opened(session, remembered?.session.id === session.id);
            opening.resolve(session);
          }),
        error: (error: unknown) =>
          this.#failOpening(opening, this.#asWorkbookError(error, "createSession", false)),
      }),
    );
    return opening;
  }

  /**
   * Fails the opening after `openTimeout`. A createSession still on the wire
   * then is left to finish, so the session it brings can be closed.
   */
  #openDeadline(opening: Opening): Subscription {
    const { openTimeout, scheduler } = this.#options;
    return scheduler.schedule(() => {
      const state = this.getState();
      const creating = state.status === "creating" ? state : null;
      const failure = openTimedOut(openTimeout, this.#attemptsSoFar(creating));

      this.#letGoOf(opening, "dropped");
      this.#failOpening(opening, failure);
    }, openTimeout);
  }

  /* What the opening's attempts came to: an attempt waiting its turn has not been sent yet. */
  #attemptsSoFar(creating: CreatingState | null): OpenAttempts {
    if (!creating) return { sent: 0, underWay: false, last: null };
    // At the same instant the open deadline, scheduled first, fires before the attempt's wait ends.
    const waiting =
      this.#waitingForPeer ||
      (creating.nextAttemptAt !== null && creating.nextAttemptAt >= this.#now());
    const sent = creating.attempt - Number(waiting);
    const last = creating.lastError;
    // An attempt is under way when more were sent than the last failure counts.
    return { sent, underWay: sent > (last?.attempts ?? 0), last };
  }

  #failOpening(opening: Opening, failure: WorkbookError): void {
    this.#finishOpening(opening, () => {
      this.#failureCount += 1;
      this.#dispatch({ type: "failed", error: failure }, () =>
        this.#tell({ type: "failed", at: this.#now(), error: failure }),
      );
      opening.reject(failure);
    });
  }

  #opened(session: WorkbookSession, resumed: boolean): void {
    const { id, persistChanges } = session;
    const replaced = this.#replaced;
    this.#replaced = null;

    this.#dispatch({ type: "created", session }, () => {
      const at = this.#now();
      this.#tell({ type: "created", at, sessionId: id, persistChanges, resumed });

      if (replaced === null || this.getState().status !== "active") return;
      this.#tell({
        type: "recreated",
        at,
        sessionId: id,
        previousSessionId: replaced.id,
        changesLost: !replaced.persistChanges,
      });
    });
  }

  /** Ends the current opening with `outcome`; an opening already ended is left alone. */
  #finishOpening(opening: Opening, outcome: () => void): void {
    if (this.#opening !== opening) return;
    this.#opening = null;
    opening.subscription?.unsubscribe();
    outcome();
  }

  #recall(): RememberedSession | null {
    const maxIdle = this.#options.keepAlive?.expiresAfter ?? DEFAULT_EXPIRY;
    return this.#memory?.recall(this.#now(), maxIdle) ?? null;
  }

  /**
   * Takes up a session from an earlier page load, checking with a refresh that
   * Graph still has it. If not, a new session is created in its place.
   */
  #resume(remembered: RememberedSession, opening: Opening): Observable<WorkbookSession> {
    const { session } = remembered;
    opening.resuming = session;
    return this.#refreshAttempts(session).pipe(
      map(() => {
        opening.resuming = null;
        return session;
      }),
      catchError((error: WorkbookError) => {
        opening.resuming = null;
        this.#giveUpRemembered(session, error);
        return this.#createWithRetries(opening);
      }),
    );
  }

  /** A remembered session could not be checked: it is replaced, and closed if it may live on. */
  #giveUpRemembered(session: WorkbookSession, failure: WorkbookError): void {
    const changesLost = !session.persistChanges;
    const error = changesLost ? scratchSessionLost(failure, true) : sessionReplaced(failure);
    if (changesLost) this.#countChangesLost(error, session.id);
    this.#replaced = session;
    const closing = worthClosing(failure);
    this.#dispatch({ type: "resume-failed", error, changesLost }, () => {
      if (closing) return;
      this.#tell({ type: "expired", at: this.#now(), sessionId: session.id, error, changesLost });
    });
    if (closing) this.#closeInBackground(session.id, "replaced");
  }

  #createWithRetries(opening: Opening): Observable<WorkbookSession> {
    let attempt = 0;

    const attempt$ = defer(() => {
      attempt += 1;
      this.#waitingForPeer = false;
      const wait = this.#cooldown.left();
      const sendsAt = wait > 0 ? this.#now() + wait : null;
      this.#dispatch({ type: "attempt-started", attempt, sendsAt });
      // A subscriber may have closed or disposed the store on seeing this attempt.
      if (this.#opening !== opening) return EMPTY;
      // A longer pause Graph asks for meanwhile moves the time the state shows.
      const held = (at: number) =>
        this.#dispatch({ type: "attempt-started", attempt, sendsAt: at });
      return this.#cooldown
        .hold(this.#createUnlessPeersFailed(opening), "createSession", held)
        .pipe(this.#reportFailure("createSession", attempt, false), this.#tellPeers());
    });

    return attempt$.pipe(this.#createRetry);
  }

  #newCreateRetry(): MonoTypeOperatorFunction<WorkbookSession> {
    return this.#retryPolicy("createSession", false, {
      // Polls already retried on their own; a failed poll must not start a new session.
      shouldRetry: (error) => error.operation === "createSession" && error.retryable,
      onRetry: ({ error, attempt: failed, nextAttemptAt }) =>
        this.#dispatch({ type: "attempt-failed", error, nextAttempt: failed + 1, nextAttemptAt }),
      retryNow: this.#peers?.recoveredAfter(() => this.#lastAttemptAt),
    });
  }

  /*
   * While Graph is having trouble, another store's attempt on the wire, or one
   * that failed a moment ago, stands for this one, which is then not sent.
   */
  #createUnlessPeersFailed(opening: Opening): Observable<WorkbookSession> {
    const peers = this.#peers;
    if (!peers) return this.#createOnce(opening);
    return defer(() => {
      const standing = peers.standing();
      if (standing.kind === "wait") {
        this.#waitingForPeer = true;
        return standing.changed$.pipe(
          switchMap(() => {
            this.#waitingForPeer = false;
            return this.#createUnlessPeersFailed(opening);
          }),
        );
      }
      if (standing.kind === "failed") {
        this.#lastAttemptAt = this.#now();
        return throwError(() => standing.error);
      }
      this.#lastAttemptAt = peers.tellTrying();
      return this.#createOnce(opening);
    });
  }

  /** Tells the other stores of the workbook how an attempt that was sent went. */
  #tellPeers<T>(): MonoTypeOperatorFunction<T> {
    const peers = this.#peers;
    // A store without peers goes without the operator: one fewer on every attempt.
    if (!peers) return identity;
    return tap({
      next: () => peers.tellCreated(),
      error: (error: WorkbookError) => peers.tellFailed(error, this.#lastAttemptAt),
      // Closed, timed out or disposed while on the wire: the others must not wait for it.
      unsubscribe: () => peers.tellStopped(),
    });
  }

  /**
   * One createSession, and the polling of its operation when Graph answers 202.
   * The POST is never aborted, since Graph makes the session all the same: when
   * its opening is let go of, or its attempt times out, while it is on the wire,
   * the closer awaits its answer and closes the session it brings. A long-running
   * creation let go of while it is polled is handed over the same way.
   */
  #createOnce(opening: Opening): Observable<WorkbookSession> {
    return this.#api
      .postCreateSession(this.#createRequest(), (answer) => this.#closeLate(answer))
      .pipe(switchMap((outcome) => this.#sessionFrom(outcome, opening)));
  }

  #sessionFrom(outcome: CreateOutcome, opening: Opening): Observable<WorkbookSession> {
    const session$ = this.#api.sessionFrom(outcome, this.#options.persistChanges);
    if ("session" in outcome) return session$;

    // Graph goes on with the operation; a session that cannot be had here is the closer's.
    const handOver = () => this.#closeLate(Promise.resolve(outcome));
    return session$.pipe(
      tap({
        // A failed operation made no session; a poll or read that ran out of retries may have
        // missed one. One refused for good (malformed, another host) would be refused again.
        error: (error: WorkbookError) => {
          if (error.operation !== "createSession" && error.retryable) handOver();
        },
        unsubscribe: () => {
          if (opening.abandoned) handOver();
        },
      }),
    );
  }

  /**
   * Closes the session a creation nobody waits for any more brings. It is
   * followed as long as the store would have waited for it: the longer of
   * `openTimeout` and `attemptTimeout`.
   */
  #closeLate(answer: Promise<CreateOutcome>): void {
    const { openTimeout, attemptTimeout, retry } = this.#options;
    this.#closer.closeWhenItArrives(answer, {
      followFor: Math.max(openTimeout, attemptTimeout),
      maxWait: retry.maxRetryAfter,
    });
  }

  #createRequest() {
    const { persistChanges, respondAsync, commitExplicitly, deferCoauthoringMerge } = this.#options;
    return { persistChanges, respondAsync, commitExplicitly, deferCoauthoringMerge };
  }

  #cancelAll(why: string, reason: CloseReason, keepalive = false): void {
    // Newest first: cancelling a running call frees its slot, and a call still
    // waiting behind it would start, and open a session, if it were still there.
    for (const cancel of [...this.#inFlight].reverse()) cancel(why);

    const opening = this.#opening;
    if (!opening) return;

    this.#letGoOf(opening, reason, keepalive);
    this.#finishOpening(opening, () => opening.reject(cancelledError("createSession", why)));
  }

  /*
   * Sessions an abandoned opening may still bring, or was checking, are closed:
   * a remembered one as the active session would be, when the app lets go, and
   * once any cooldown has passed, when the store drops it by itself.
   */
  #letGoOf(opening: Opening, reason: CloseReason, keepalive = false): void {
    opening.abandoned = true;
    const remembered = opening.resuming;
    if (!remembered) return;

    if (reason === "dropped") this.#closeInBackground(remembered.id, reason);
    else void this.#closer.close(remembered.id, reason, keepalive);
  }

  /* ------------------------------------------------------------------ calls */

  /** The call with retries, and one replay in a new session if Graph asks for one. */
  #requestWithReplay<T>(
    call: WorkbookCall<T>,
    options: CheckedRequestOptions,
    issued: IssuedAt,
  ): Observable<T> {
    const run = (tries: Tries) => this.#requestWithRetries(call, options, issued, tries);
    const writes = options.idempotent ? null : new CallWrites();
    const replay = (first: WorkbookError) => {
      const tries = { made: 0, replay: true, writes, wrote: false, issued };
      return run(tries).pipe(
        catchError((error: WorkbookError) =>
          // The call's tries add up, none if the replay was refused before it was sent;
          // a failed recreation counts its own createSession attempts.
          throwError(() =>
            error.operation === "request" ? error.withAttempts(first.attempts + tries.made) : error,
          ),
        ),
      );
    };

    const tries = { made: 0, replay: false, writes, wrote: false, issued };
    return run(tries).pipe(
      catchError((error: WorkbookError) =>
        error.kind === "recreate-session" && error.operation === "request" && !tries.wrote
          ? replay(error)
          : throwError(() => error),
      ),
    );
  }

  /** The call, sent again while Graph's answer allows it; `tries` counts the times it was sent. */
  #requestWithRetries<T>(
    call: WorkbookCall<T>,
    options: CheckedRequestOptions,
    issued: IssuedAt,
    tries: Tries,
  ): Observable<T> {
    const idempotent = options.idempotent ?? false;

    return defer(() => {
      this.#refuseAfterFailure(issued);
      // Checked before waiting for the session too: the caller learns of the loss at once.
      this.#refuseAfterChangesLost(issued, options);
      return this.open();
    }).pipe(
      switchMap((session) => {
        this.#refuseAfterChangesLost(issued, options);
        tries.made += 1;
        tries.wrote = false;
        tries.refused = false;
        tries.writes?.startTry();
        const attempt = tries.made;
        const send$ = defer(() => {
          // Checked again once the cooldown has passed: another call may have lost the session.
          const refused = this.#refusedUnsent(issued, options, tries);
          if (refused) return throwError(() => refused);
          // A call that may run without the lost changes runs in the session that replaces it.
          if (!this.#lostSessions.has(session.id))
            return this.#callInSession(call, session, options, tries);
          return defer(() => this.open()).pipe(
            switchMap((next) => this.#callInSession(call, next, options, tries)),
          );
        });
        return this.#cooldown
          .hold(send$, "request")
          .pipe(this.#reportFailure("request", attempt, true));
      }),
      this.#retryPolicy<T>("request", true, {
        // A failed open() already spent the creation retries; only the call itself is resent.
        shouldRetry: (error) =>
          error.operation === "request" &&
          error.retryable &&
          !tries.wrote &&
          (idempotent || !mayHaveBeenApplied(error)),
      }),
      // The policy counts its tries; one refused before it was sent is not among the call's.
      catchError((error: WorkbookError) => {
        const sent = Math.max(1, tries.made);
        const counted = tries.refused && error.attempts > sent;
        return throwError(() => (counted ? error.withAttempts(sent) : error));
      }),
    );
  }

  /**
   * A call made while a creation was under way, or before, shares that
   * creation's failure, as an `open()` made then would, instead of starting a
   * creation of its own.
   */
  #refuseAfterFailure(issued: IssuedAt): void {
    const state = this.getState();
    if (state.status === "failed" && this.#failureCount !== issued.failures) throw state.error;
  }

  /** A call made before a non-persistent session was lost would run without its changes. */
  #refuseAfterChangesLost(issued: IssuedAt, options: RequestOptions): void {
    const lost = this.#lostSince(issued);
    if (lost && !options.replayAfterChangesLost) throw lost;
  }

  /**
   * The error of a try refused before it was sent, since a non-persistent session was
   * lost after the call was made; the try is taken back from the count.
   */
  #refusedUnsent(issued: IssuedAt, options: RequestOptions, tries: Tries): WorkbookError | null {
    const lost = this.#lostSince(issued);
    if (!lost || options.replayAfterChangesLost) return null;
    tries.made -= 1;
    tries.refused = true;
    const refused = lost.withAttempts(Math.max(1, tries.made));
    this.#unsent.add(refused);
    return refused;
  }

  /** The loss of a non-persistent session since `issued`, if there was one. */
  #lostSince(issued: IssuedAt): WorkbookError | null {
    return this.#changesLostCount === issued.losses ? null : this.#lastChangesLost;
  }

  #callInSession<T>(
    call: WorkbookCall<T>,
    session: WorkbookSession,
    options: CheckedRequestOptions,
    tries: Tries,
  ) {
    const { scheduler } = this.#options;
    // For a client without the request internals the store reads headers from: the last
    // answer Graph may have paced with Retry-After, for errors that lost its headers.
    let answer: Response | undefined;
    const watch = (response: Response) => {
      answer = response;
    };
    const { writes } = tries;
    const run = (signal: AbortSignal) => {
      this.#touch(session);
      const result = call({
        session,
        signal,
        api: (path) => {
          // Each request uses the session, however long the call runs.
          this.#touch(session);
          const request = this.#api.workbookRequest(path, session.id, signal, watch);
          return quietOnAbort(writes ? writes.watch(request) : request, signal);
        },
      });
      return checkCallResult<T>(result);
    };

    let release: (() => void) | undefined;
    return defer(() => {
      // In use as long as the try runs, however long Graph takes to answer it.
      release = this.#isCurrent(session) ? this.#keepAlive?.hold() : undefined;
      this.#enter(session.id);
      return fromAbortable(run);
    }).pipe(
      timeout({
        first: options.timeout,
        scheduler,
        with: () => throwError(() => attemptTimedOut("request", options.timeout)),
      }),
      finalize(() => {
        release?.();
        this.#leave(session.id);
      }),
      tap(() => {
        this.#touch(session);
        // Another call lost this non-persistent session meanwhile, and the call's changes with it.
        const lost = this.#lostSessions.get(session.id);
        if (!lost) return;
        // The call's changes went with the session: one that may run without them runs again.
        throw options.replayAfterChangesLost ? toReplay(lost) : lost.withAttempts(tries.made);
      }),
      catchError((error: unknown) => {
        const classified = this.#asWorkbookError(withAnswerHeaders(error, answer), "request", true);
        const shown = this.#afterSessionError(classified, session);
        // A replaced session says so; a lost non-persistent one is told by the replay,
        // which refuses the call or runs it.
        const failure = session.persistChanges ? shown : classified;
        return throwError(() => this.#unlessWriteRepeats(failure, error, session, tries, options));
      }),
    );
  }

  /*
   * A call is sent again, or replayed in a new session, as a whole. After Graph
   * carried out one of its writes, that would write twice: the call stops there,
   * and its error says so, whatever its kind, since whoever sends it again next
   * must know. Replaying after a non-persistent session was lost repeats nothing,
   * since the lost session took the write with it.
   */
  #unlessWriteRepeats(
    failure: WorkbookError,
    thrown: unknown,
    session: WorkbookSession,
    tries: Tries,
    options: RequestOptions,
  ): WorkbookError {
    const recreate = failure.kind === "recreate-session";
    const shown = recreate && tries.replay ? replayRefused(failure) : failure;
    const { writes } = tries;
    // A non-persistent session that Graph ends takes the call's writes with it, also
    // when another call found it ended meanwhile: then this call is refused for that.
    const lost = this.#lostSessions.get(session.id);
    if (lost && !options.replayAfterChangesLost) return lost.withAttempts(tries.made);
    const writesKept = session.persistChanges || !(lost || recreate || endsSession(failure));
    if (!writes || !writesKept) return shown;

    // Read without recording: a Retry-After the call itself dealt with is not the store's.
    const classify = (error: unknown) =>
      isWorkbookError(error) ? error : classifyError(error, this.#api.context("request", true));
    const method = writes.firstApplied(thrown, classify);
    if (method === null) return shown;

    tries.wrote = true;
    return writeNotRepeated(failure, method, this.#writeStop(failure, tries));
  }

  /* What the store would have done with the call, had it not written. */
  #writeStop(failure: WorkbookError, tries: Tries): WriteStop {
    if (failure.kind === "recreate-session") return tries.replay ? "failed" : "not-replayed";
    const wouldResend =
      failure.retryable &&
      !mayHaveBeenApplied(failure) &&
      tries.made <= this.#options.retry.retries;
    return wouldResend ? "not-resent" : "failed";
  }

  #newPeers(): PeerOutages | null {
    const { peers, graphBaseUrl, address, scheduler, random, retry, attemptTimeout } =
      this.#options;
    const channel = peers === "default" ? defaultPeerChannel(graphBaseUrl, address.path) : peers;
    if (channel === null) return null;
    return new PeerOutages({
      channel,
      workbook: peerChannelName(graphBaseUrl, address.path),
      owned: peers === "default",
      scheduler,
      window: retry.baseDelay,
      attemptTimeout,
      maxRetryAfter: retry.maxRetryAfter,
      random,
    });
  }

  /* ---------------------------------------------------------- keeping alive */

  #newKeepAlive(): KeepAlive | null {
    const { keepAlive, scheduler, environment } = this.#options;
    if (!keepAlive) return null;
    return new KeepAlive({
      scheduler,
      refreshAfter: keepAlive.refreshAfter,
      expiresAfter: keepAlive.expiresAfter,
      isOnline: () => environment.isOnline(),
      pausedFor: () => this.#cooldown.left(),
      refresh: () => this.refresh(),
    });
  }

  #refresh$(session: WorkbookSession): Observable<void> {
    return this.#refreshAttempts(session).pipe(
      tap(() => {
        this.#touch(session);
        this.#emit({ type: "refreshed", at: this.#now(), sessionId: session.id });
      }),
    );
  }

  /**
   * refreshSession, sent again while Graph's answer says it may be (throttling, no
   * answer). A failure is applied to the session before it is reported, so the
   * attempt-failed event shows it as the state does.
   */
  #refreshAttempts(session: WorkbookSession): Observable<void> {
    let attempt = 0;

    const attempt$ = defer(() => {
      attempt += 1;
      // A retry waits for nothing while offline: keep-alive checks again when the network is back.
      if (attempt > 1 && !this.#options.environment.isOnline()) {
        return throwError(() => cancelledError("refreshSession", offlineWords));
      }
      return this.#cooldown.hold(this.#api.refreshSession(session.id), "refreshSession").pipe(
        catchError((error: unknown) => {
          const failure = this.#asWorkbookError(error, "refreshSession", true);
          return throwError(() => this.#afterSessionError(failure, session));
        }),
        this.#reportFailure("refreshSession", attempt, true),
      );
    });

    return attempt$.pipe(this.#retryPolicy("refreshSession", true));
  }

  /** Records use of the session, which pushes keep-alive's next refresh back. */
  #touch(session: WorkbookSession): void {
    if (!this.#isCurrent(session)) return;
    this.#keepAlive?.touch();
    if (this.#memory && !this.#memory.handedOver) this.#memory.remember(session, this.#now());
  }

  #onPageChange(change: EnvironmentChange): void {
    if (change === "visible") this.#takeBack();
    if (change === "visible" || change === "online") this.#keepAlive?.check();
    if (change !== "pagehide") return;

    if (this.#options.closeOnPageHide) void this.#leavePage();
    else this.#handOver();
  }

  /*
   * The page is being left without closing: the next page may resume the session,
   * also one this page was still checking after taking it up from the page before.
   */
  #handOver(): void {
    const state = this.getState();
    const session = state.status === "active" ? state.session : this.#opening?.resuming;
    if (session) this.#memory?.release(session);
  }

  /*
   * The page came back (from the back-forward cache). If no other page took up
   * the session meanwhile it is this store's again; if one did, this store lets
   * go of it without closing it, and the next call opens a session of its own.
   */
  #takeBack(): void {
    const state = this.getState();
    if (!this.#memory?.handedOver || state.status !== "active") return;
    if (this.#memory.takeBack(state.session)) return;

    this.#cancelAll(takenOverWords, "close");
    this.#dispatch({ type: "reset" });
  }

  #isCurrent(session: WorkbookSession): boolean {
    return activeSessionId(this.getState()) === session.id;
  }

  /* ------------------------------------------------------- losing sessions */

  /**
   * Applies what a failed call says about its session, and returns the error the
   * caller should see. Only the session the call ran in is touched: an error that
   * arrives after that session was already replaced changes nothing.
   */
  #afterSessionError(error: WorkbookError, session: WorkbookSession): WorkbookError {
    if (!this.#isCurrent(session)) return error;

    if (error.kind === "recreate-session") return this.#recreate(error, session);
    if (endsSession(error)) this.#dropSession(error, session);
    return error;
  }

  /**
   * Replaces a session Graph dropped, without passing through `failed`; returns
   * the error as the state and the events show it.
   */
  #recreate(error: WorkbookError, session: WorkbookSession): WorkbookError {
    const changesLost = !session.persistChanges;
    const shown = changesLost ? scratchSessionLost(error, true) : sessionReplaced(error);
    if (changesLost) this.#countChangesLost(shown, session.id);

    this.#replaced = session;
    this.#dispatch({ type: "session-lost", error: shown, recreate: true }, () =>
      this.#tell({
        type: "expired",
        at: this.#now(),
        sessionId: session.id,
        error: shown,
        changesLost,
      }),
    );
    if (worthClosing(error)) this.#closeInBackground(session.id, "replaced");

    // Subscribers may have closed or disposed the store, or opened it, meanwhile.
    if (this.getState().status === "creating" && !this.#opening && !this.disposed) {
      this.#startOpening("recreate").promise.catch(() => undefined);
    }
    return shown;
  }

  #dropSession(error: WorkbookError, session: WorkbookSession): void {
    const changesLost = !session.persistChanges;
    if (changesLost) this.#countChangesLost(scratchSessionLost(error, false), session.id);

    this.#dispatch({ type: "session-lost", error, recreate: false }, () => {
      const at = this.#now();
      // Only if the session was this store's active one, and so turned failed here; read
      // first, since an events$ subscriber may close the store on "expired".
      const state = this.getState();
      const failedHere = state.status === "failed" && state.error === error;
      if (error.kind === "session-lost") {
        this.#tell({ type: "expired", at, sessionId: session.id, error, changesLost });
      }
      if (failedHere) this.#tell({ type: "failed", at, error });
    });
    if (worthClosing(error)) this.#closeInBackground(session.id, "dropped");
  }

  /** `lost` is the error the calls made before the loss are refused with. */
  #countChangesLost(lost: WorkbookError, sessionId: string): void {
    this.#changesLostCount += 1;
    this.#lastChangesLost = lost;
    this.#lostSessions.set(sessionId, lost);
  }

  /* ---------------------------------------------------------------- closing */

  /*
   * A session given up on while the store goes on: closed once any cooldown has
   * passed, and once no call of this store still runs in it (with concurrency
   * above 1, one call's failure may replace the session under another).
   */
  #closeInBackground(sessionId: string, reason: CloseReason): void {
    if (this.#callsIn.has(sessionId)) {
      this.#closeWhenLeft.set(sessionId, reason);
      return;
    }
    const { maxRetryAfter } = this.#options.retry;
    void this.#closer.closeAfterCooldown(sessionId, reason, maxRetryAfter);
  }

  /* A try of a call started running in the session. */
  #enter(sessionId: string): void {
    this.#callsIn.set(sessionId, (this.#callsIn.get(sessionId) ?? 0) + 1);
  }

  /* A try of a call ended; the last one out of a session given up on closes it. */
  #leave(sessionId: string): void {
    const inside = this.#callsIn.get(sessionId);
    if (inside === undefined) return;
    const left = inside - 1;
    if (left > 0) {
      this.#callsIn.set(sessionId, left);
      return;
    }
    this.#callsIn.delete(sessionId);
    const reason = this.#closeWhenLeft.get(sessionId);
    if (reason === undefined) return;
    this.#closeWhenLeft.delete(sessionId);
    this.#closeInBackground(sessionId, reason);
  }

  async #endSession(reason: CloseReason, why: string, keepalive = false): Promise<void> {
    this.#cancelAll(why, reason, keepalive);
    const state = this.getState();
    // A session handed over and taken up by another page is that page's to close.
    const closeIt = state.status === "active" && !this.#memory?.takenUp(state.session);
    this.#dispatch({ type: "reset" });
    if (closeIt) await this.#closer.close(state.session.id, reason, keepalive);
  }

  /* The page is going away: close with a request that outlives it. */
  #leavePage(): Promise<void> {
    return this.#endSession("pagehide", pageLeftWords, true);
  }

  #finishEvents(): void {
    this.#state.announce(() => {
      this.#tell({ type: "disposed", at: this.#now() });
      this.#events.complete();
    });
  }

  /* ------------------------------------------------------ errors and waits */

  #newMemory(): SessionMemory | null {
    const { storage, address } = this.#options;
    return storage ? new SessionMemory(storage, address.path, this.#options) : null;
  }

  /** Classifies each failure of one try, reports it, and passes it on. */
  #reportFailure<T>(
    operation: "createSession" | "refreshSession" | "request",
    attempt: number,
    sessionful: boolean,
  ): MonoTypeOperatorFunction<T> {
    return catchError((error: unknown) => {
      const classified = this.#asWorkbookError(error, operation, sessionful);
      if (this.#unsent.has(classified)) return throwError(() => classified);
      // Counted here already, so the event and the state report the same attempts.
      const failure = classified.attempts < attempt ? classified.withAttempts(attempt) : classified;
      if (failure.kind !== "aborted") {
        this.#emit({ type: "attempt-failed", at: this.#now(), operation, attempt, error: failure });
      }
      return throwError(() => failure);
    });
  }

  /**
   * The store's retry policy for one operation: its backoff, its scheduler,
   * its classification (which notes any cooldown), and a `retry-scheduled`
   * event before each wait. `extra` narrows what is retried or adds to it.
   */
  #retryPolicy<T>(
    operation: "createSession" | "refreshSession" | "request",
    sessionful: boolean,
    extra: Pick<RetryOptions, "shouldRetry" | "onRetry" | "retryNow"> = {},
  ): MonoTypeOperatorFunction<T> {
    const { retry, scheduler, random } = this.#options;
    const { shouldRetry, onRetry, retryNow } = extra;
    // Object.assign, not a spread: V8 (Node 20) builds a spread followed by more
    // properties through a slow path, microseconds each, and this runs per call.
    const options: RetryOptions = Object.assign({}, retry, {
      scheduler,
      random,
      classify: (error: unknown) => this.#asWorkbookError(error, operation, sessionful),
      onRetry: (event: RetryEvent) => {
        onRetry?.(event);
        this.#emitRetry(operation, event);
      },
    });
    if (shouldRetry) options.shouldRetry = shouldRetry;
    if (retryNow) options.retryNow = retryNow;
    return retryWithBackoff<T>(options);
  }

  #emitRetry(operation: GraphOperation, { attempt, delay, nextAttemptAt }: RetryEvent): void {
    this.#emit({
      type: "retry-scheduled",
      at: this.#now(),
      operation,
      attempt: attempt + 1,
      delay,
      sendsAt: nextAttemptAt,
    });
  }

  /** Classifies a failure at the store's time, and remembers any cooldown Graph asked for. */
  #asWorkbookError(error: unknown, operation: GraphOperation, sessionful: boolean): WorkbookError {
    const failure = isWorkbookError(error)
      ? error
      : classifyError(error, this.#api.context(operation, sessionful));

    this.#cooldown.record(failure);
    return failure;
  }
}

// The constructor adds the interop method under `Symbol.observable` when the
// platform defines that symbol; this declaration lets TypeScript accept `from(store)`.
export interface SessionStore extends InteropObservable<SessionState> {}

/** Graph's documented idle expiry of a persistent session, in ms. */
const DEFAULT_EXPIRY = 300_000;

/* The loss of a call's session, as an error the call is replayed for in the new session. */
function toReplay(lost: WorkbookError): WorkbookError {
  return new WorkbookError({ ...workbookErrorInit(lost), kind: "recreate-session" });
}

function activeSessionId(state: SessionState): string | null {
  return state.status === "active" ? state.session.id : null;
}

function newOpening(): Opening {
  let resolve: (session: WorkbookSession) => void = () => undefined;
  let reject: (error: WorkbookError) => void = () => undefined;
  const promise = new Promise<WorkbookSession>((resolvePromise, rejectPromise) => {
    resolve = resolvePromise;
    reject = rejectPromise;
  });
  return { promise, resolve, reject, subscription: null, abandoned: false, resuming: null };
}
