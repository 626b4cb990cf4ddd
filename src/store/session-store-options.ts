import type { Client } from "@microsoft/microsoft-graph-client";
import { asyncScheduler, type SchedulerLike } from "rxjs";
import { defaultEnvironment } from "../environment/default-environment";
import type { PeerChannel } from "../environment/peer-channel";
import type { SessionEnvironment, SessionStorageLike } from "../environment/session-environment";
import { parseWorkbookAddress, type WorkbookAddress } from "../graph/workbook-address";
import {
  describeValue,
  readBoolean,
  readDelay,
  readFunction,
  readScheduler,
} from "../options/read-option";
import { type BackoffOptions, type ResolvedBackoff, resolveBackoff } from "../retry/backoff";

/** Options of a `SessionStore`. Only `client` and `workbook` are required. */
export interface SessionStoreOptions {
  /** The Microsoft Graph client (`@microsoft/microsoft-graph-client` v3) to send requests with. */
  readonly client: Client;

  /**
   * The workbook's driveItem address, with names written as they are (not
   * percent-encoded): `/me/drive/items/{id}`, `/drives/{drive}/items/{id}`,
   * `/sites/{site}/drive/items/{id}`, `/users/{user}/drive/items/{id}`,
   * `/groups/{group}/drive/items/{id}`, each `…/root:/{path}:` form, or
   * `/workbooks/{id}`. A trailing `/workbook` is accepted. Prefer an id form:
   * Graph has refused sessions on path-addressed items ("Could not obtain a
   * WAC access token").
   */
  readonly workbook: string;

  /**
   * Whether changes made in the session are saved to the file. With `false` the
   * session is a scratch copy whose changes vanish when it ends. Default `true`.
   */
  readonly persistChanges?: boolean;

  /**
   * How failed requests are sent again: `createSession` attempts, polls of a
   * long-running creation, and workbook calls made with `request()`. Count,
   * base delay and cap (ms), jitter, and the longest `Retry-After` honoured.
   * Defaults: 5 retries, 1000 ms base, 30 000 ms cap, equal jitter, 300 000 ms.
   * A server's `Retry-After` is always a floor under the computed wait; note
   * that Graph does not expose `Retry-After` to browser scripts (CORS), so in a
   * browser the backoff alone decides.
   */
  readonly retry?: BackoffOptions;

  /**
   * Longest wait for one HTTP exchange (answer and body) before the attempt
   * counts as failed and is abandoned, in ms. Applies to workbook calls made
   * with `request()` too, unless the call sets its own `timeout`. A
   * `createSession` past it is not aborted, since Graph makes the session all
   * the same: its answer is awaited in the background and the session it
   * brings closed. Default 30 000.
   */
  readonly attemptTimeout?: number;

  /**
   * Longest time `open()` may take, retries and long-running creation included,
   * in ms; past it the store turns `failed`. Default 180 000.
   */
  readonly openTimeout?: number;

  /**
   * Ask Graph to create the session as a long-running operation
   * (`Prefer: respond-async`). Graph still answers 201 when the workbook opens
   * quickly, and answers 202 with an operation to poll when it does not, which
   * avoids gateway timeouts on large workbooks. Default `true`.
   */
  readonly respondAsync?: boolean;

  /**
   * Polling of a long-running creation: the first wait and the cap, in ms; the
   * wait doubles from one to the other. Graph suggests about 30 s between polls
   * and never more than 4 minutes. Defaults 1000 and 30 000; the cap may be at
   * most 240 000.
   */
  readonly poll?: {
    /** Wait before the first poll, in ms. Default 1000. */
    readonly initialInterval?: number;
    /** Longest wait between polls, in ms, at most 240 000. Default 30 000. */
    readonly maxInterval?: number;
  };

  /**
   * Passed to `createSession` as `commitExplicitly` when set. Graph's beta API
   * lists the flag without describing its effect. Default: unset, not sent.
   */
  readonly commitExplicitly?: boolean;

  /**
   * Passed to `createSession` as `deferCoauthoringMerge` when set. Graph's beta
   * API lists the flag without describing its effect. Default: unset, not sent.
   */
  readonly deferCoauthoringMerge?: boolean;

  /**
   * The Graph base URL the client sends to, used to check that a `Location` from
   * Graph stays on that host before it is followed. Default: the client's own
   * base URL when it can be read, else `https://graph.microsoft.com/`.
   */
  readonly graphBaseUrl?: string;

  /**
   * Keeps an idle session alive by refreshing it (`refreshSession`) once it has
   * been idle for `expiresAfter - margin` ms; any call in the session counts as
   * use and pushes the refresh back, so a session in steady use is never
   * refreshed. Graph documents expiry after about 5 minutes idle for a
   * persistent session and about 7 for a non-persistent one (earlier docs had
   * them swapped), so the default assumes 5 for both. Default: on, refreshing
   * after 240 000 ms of idleness. `false` turns it off; an expired session is
   * then recreated on its next call.
   */
  readonly keepAlive?:
    | false
    | {
        /** Idle time after which Graph may drop the session, in ms. Default 300 000. */
        readonly expiresAfter?: number;
        /**
         * How long before `expiresAfter` the refresh is sent, in ms. Default 60 000. The
         * difference must be at least 1000 ms.
         */
        readonly margin?: number;
      };

  /**
   * How many `request()` calls may run at once; the rest wait their turn in the
   * order they were made. Graph asks for one call at a time per workbook
   * (concurrent writes cause throttling and merge conflicts). Default 1.
   */
  readonly concurrency?: number;

  /**
   * The page the store runs in: visibility, network state and page exit. When
   * a hidden tab is shown again or the network comes back, the store checks at
   * once whether its session needs a refresh. Default: the browser's when
   * `document` exists, else one that is always visible and online (Node, SSR).
   */
  readonly environment?: SessionEnvironment;

  /**
   * Where to remember the session across page loads, e.g. `sessionStorage`.
   * With it, a page that is left hands its session over, and the reloaded
   * page's store resumes it (checked with a refresh) instead of creating
   * another; a store still running elsewhere keeps its session to itself.
   * Default: none, nothing is remembered.
   */
  readonly storage?: SessionStorageLike;

  /**
   * Close the session when the page is left (`pagehide`), with a request that
   * outlives the page (`keepalive`). Default `true` without `storage`; with
   * `storage` the default is `false`, since a reload should resume the session.
   */
  readonly closeOnPageHide?: boolean;

  /**
   * Where the stores of this workbook in other tabs (or in this page) tell each
   * other how `createSession` went, so that many tabs meet an outage like one.
   * While Graph fails, an attempt of this store waits for another store's
   * attempt on the wire (at most `attemptTimeout`), and one due less than this
   * store's `retry.baseDelay` ms after another store's attempt failed (or while
   * that failure's Retry-After lasts) is not sent and counts as failed the same
   * way; when one store gets a session the others try again at once, spread
   * over `retry.baseDelay`. Stores of a group must share a clock (`scheduler`),
   * as the page's stores do.
   *
   * A `BroadcastChannel` fits. Each store of a workbook needs a channel object
   * of its own, since a channel never hears its own messages (a second store of
   * the workbook on the same object is refused); stores of different workbooks
   * may share one. The store stops listening when disposed and leaves closing a
   * channel it was given to its owner (in Node, an open `BroadcastChannel` keeps
   * the process alive). Default: in a browser page, a `BroadcastChannel` per
   * Graph host and workbook, which the store closes when disposed; elsewhere
   * (Node, SSR, workers, a DOM emulated under Node) none. `false` or `null`: none.
   */
  readonly peers?: PeerChannel | false | null;

  /**
   * The rxjs scheduler every wait and timestamp goes through; its `now()` must
   * count ms since the epoch, as state and event times do. Default `asyncScheduler`.
   */
  readonly scheduler?: SchedulerLike;

  /** A source of uniform numbers in [0, 1) for jitter. Default `Math.random`. */
  readonly random?: () => number;
}

/** Options after defaults and checks. */
export interface ResolvedStoreOptions {
  readonly client: Client;
  readonly address: WorkbookAddress;
  readonly persistChanges: boolean;
  readonly retry: ResolvedBackoff;
  readonly attemptTimeout: number;
  readonly openTimeout: number;
  readonly respondAsync: boolean;
  readonly poll: { readonly initialInterval: number; readonly maxInterval: number };
  readonly commitExplicitly: boolean | undefined;
  readonly deferCoauthoringMerge: boolean | undefined;
  readonly graphBaseUrl: string;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly keepAlive: ResolvedKeepAlive | null;
  readonly concurrency: number;
  readonly environment: SessionEnvironment;
  readonly storage: SessionStorageLike | null;
  readonly closeOnPageHide: boolean;
  /** The channel given, `"default"` to open the default one, or null for none. */
  readonly peers: PeerChannel | "default" | null;
}

/** Keep-alive timings, in ms. */
export interface ResolvedKeepAlive {
  readonly expiresAfter: number;
  /** Idle time after which the session is refreshed: `expiresAfter - margin`. */
  readonly refreshAfter: number;
}

const DEFAULT_GRAPH_BASE_URL = "https://graph.microsoft.com/";

/** Whether a session saves its changes when `persistChanges` is not given. */
export const DEFAULT_PERSIST_CHANGES = true;
const MAX_POLL_INTERVAL = 240_000;

/**
 * Applies defaults and checks every option, throwing a `TypeError` (wrong type)
 * or `RangeError` (bad value) that names the option and the value given.
 */
export function resolveStoreOptions(options: SessionStoreOptions): ResolvedStoreOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`SessionStore options must be an object, got ${describeValue(options)}.`);
  }
  const client = checkClient(options.client);
  const storage = resolveStorage(options.storage);

  return {
    client,
    address: parseWorkbookAddress(options.workbook, "workbook"),
    persistChanges:
      readBoolean(options.persistChanges, "persistChanges") ?? DEFAULT_PERSIST_CHANGES,
    retry: resolveBackoff(options.retry, "retry"),
    attemptTimeout: readDelay(options.attemptTimeout, "attemptTimeout", 30_000, 1),
    openTimeout: readDelay(options.openTimeout, "openTimeout", 180_000, 1),
    respondAsync: readBoolean(options.respondAsync, "respondAsync") ?? true,
    poll: resolvePoll(options.poll),
    commitExplicitly: readBoolean(options.commitExplicitly, "commitExplicitly"),
    deferCoauthoringMerge: readBoolean(options.deferCoauthoringMerge, "deferCoauthoringMerge"),
    graphBaseUrl: resolveBaseUrl(options.graphBaseUrl, client),
    scheduler: readScheduler(options.scheduler, "scheduler") ?? asyncScheduler,
    random: readFunction(options.random, "random") ?? Math.random,
    keepAlive: resolveKeepAlive(options.keepAlive),
    concurrency: readCount(options.concurrency, "concurrency", 1),
    environment: resolveEnvironment(options.environment),
    storage,
    closeOnPageHide: readBoolean(options.closeOnPageHide, "closeOnPageHide") ?? storage === null,
    peers: resolvePeers(options.peers),
  };
}

/** The shortest idle time before a refresh, in ms: more often only spends Graph's limits. */
const MIN_REFRESH_AFTER = 1000;

function resolveKeepAlive(value: SessionStoreOptions["keepAlive"]): ResolvedKeepAlive | null {
  if (value === false) return null;
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw new TypeError(
      `keepAlive must be false or an object, got ${describeValue(value)}; leave it out, or ` +
        "pass {}, to keep the session alive with the default timings.",
    );
  }
  const expiresAfter = readDelay(value?.expiresAfter, "keepAlive.expiresAfter", 300_000, 1);
  const margin = readDelay(value?.margin, "keepAlive.margin", 60_000, 0);
  if (margin >= expiresAfter) {
    const hint = leftAtDefault(value, "keepAlive", ["margin", "expiresAfter"]);
    throw new RangeError(
      `keepAlive.margin (${margin}) must be less than keepAlive.expiresAfter ` +
        `(${expiresAfter})${hint}.`,
    );
  }
  const refreshAfter = expiresAfter - margin;
  if (refreshAfter < MIN_REFRESH_AFTER) {
    throw new RangeError(
      `keepAlive would refresh an idle session every ${refreshAfter} ms; keepAlive.expiresAfter ` +
        `minus keepAlive.margin must be at least ${MIN_REFRESH_AFTER} ms (Graph keeps an idle ` +
        "session for minutes).",
    );
  }
  return { expiresAfter, refreshAfter };
}

/* Names the one of two clashing options the caller left at its default, and may not know of. */
function leftAtDefault(
  given: object | undefined,
  group: string,
  names: readonly [string, string],
): string {
  const unset = names.find(
    (name) => (given as Record<string, unknown> | undefined)?.[name] === undefined,
  );
  return unset === undefined ? "" : `; ${group}.${unset} was left at its default, set it too`;
}

function readCount(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(`${name} must be a number, got ${describeValue(value)}.`);
  }
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `${name} must be a whole number of at least 1, got ${describeValue(value)}.`,
    );
  }
  return value;
}

function resolveEnvironment(value: unknown): SessionEnvironment {
  if (value === undefined) return defaultEnvironment();
  if (!hasMethods(value, ["isVisible", "isOnline", "watch"])) {
    throw new TypeError(
      `environment must have isVisible, isOnline and watch methods, got ${describeValue(value)}.`,
    );
  }
  return value as SessionEnvironment;
}

/** Whether `value` is an object with a function under each of `methods`. */
function hasMethods(value: unknown, methods: readonly string[]): boolean {
  if (typeof value !== "object" || value === null) return false;
  return methods.every((name) => typeof (value as Record<string, unknown>)[name] === "function");
}

function resolvePeers(value: unknown): PeerChannel | "default" | null {
  if (value === undefined) return "default";
  if (value === false || value === null) return null;
  if (!hasMethods(value, ["postMessage", "addEventListener", "removeEventListener"])) {
    throw new TypeError(
      "peers must be false, null, or have postMessage, addEventListener and removeEventListener " +
        `methods (like a BroadcastChannel), got ${describeValue(value)}.`,
    );
  }
  return value as PeerChannel;
}

function resolveStorage(value: unknown): SessionStorageLike | null {
  if (value === undefined || value === null) return null;
  if (!hasMethods(value, ["getItem", "setItem", "removeItem"])) {
    throw new TypeError(
      `storage must have getItem, setItem and removeItem methods (like sessionStorage), got ${describeValue(value)}.`,
    );
  }
  return value as SessionStorageLike;
}

function checkClient(client: unknown): Client {
  const api = typeof client === "object" && client !== null && "api" in client && client.api;
  if (typeof api !== "function") {
    throw new TypeError(
      "client must be a Microsoft Graph Client (Client.init or Client.initWithMiddleware), " +
        `got ${describeValue(client)}.`,
    );
  }
  return client as Client;
}

function resolvePoll(poll: SessionStoreOptions["poll"]): ResolvedStoreOptions["poll"] {
  if (poll !== undefined && (typeof poll !== "object" || poll === null)) {
    throw new TypeError(`poll must be an object, got ${describeValue(poll)}.`);
  }
  const initialInterval = readDelay(poll?.initialInterval, "poll.initialInterval", 1_000, 1);
  const maxInterval = readDelay(poll?.maxInterval, "poll.maxInterval", 30_000, 1);

  if (maxInterval > MAX_POLL_INTERVAL) {
    throw new RangeError(
      `poll.maxInterval must be at most ${MAX_POLL_INTERVAL} ms, got ${maxInterval}.`,
    );
  }
  if (initialInterval > maxInterval) {
    const hint = leftAtDefault(poll, "poll", ["initialInterval", "maxInterval"]);
    throw new RangeError(
      `poll.initialInterval (${initialInterval}) must not exceed poll.maxInterval ` +
        `(${maxInterval})${hint}.`,
    );
  }
  return { initialInterval, maxInterval };
}

/*
 * The Graph client keeps its base URL in a field it does not declare public;
 * reading it saves users from repeating the URL. When it is absent, Graph's
 * public endpoint is assumed, and a client aimed elsewhere needs `graphBaseUrl`.
 */
function resolveBaseUrl(value: unknown, client: Client): string {
  const fromClient = (client as unknown as { config?: { baseUrl?: unknown } }).config?.baseUrl;
  const candidate = value ?? (typeof fromClient === "string" ? fromClient : DEFAULT_GRAPH_BASE_URL);
  if (typeof candidate !== "string") {
    throw new TypeError(`graphBaseUrl must be a URL string, got ${describeValue(candidate)}.`);
  }
  const url = URL.canParse(candidate) ? new URL(candidate) : null;
  if (url?.protocol !== "https:" && url?.protocol !== "http:") {
    throw new RangeError(
      `graphBaseUrl must be an absolute http(s) URL, got ${describeValue(candidate)}.`,
    );
  }
  return candidate;
}
