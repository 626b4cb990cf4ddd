import {
  type Client,
  RetryHandlerOptions,
  type ShouldRetry,
} from "@microsoft/microsoft-graph-client";

/** Sees the answer of a request whose retries are off; the Graph client calls it for 429, 503, 504. */
export type AnswerWatcher = (response: Response) => void;

type RetryOptionsClass = new (
  delay: number,
  maxRetries: number,
  shouldRetry?: ShouldRetry,
) => object;

/*
 * The Graph client finds per-request middleware options by their class. When
 * the app's client comes from another copy of the package than this library's
 * (a linked or folder install, two versions side by side), this library's
 * RetryHandlerOptions would not be recognised and the client's own retries
 * would stack on the store's. So the class is taken from the client's own
 * retry handler when its middleware chain can be read.
 */
const MAX_CHAIN_LENGTH = 32;

/**
 * Middleware options that switch the client's own retries off: this library's
 * `RetryHandlerOptions`, and the client's own class of it when that differs.
 *
 * With `watch`, the retry handler is allowed one retry that its `shouldRetry` always refuses:
 * the handler then hands over the answers it would retry (429, 503, 504), whose headers the
 * client leaves out of its error when the body is not JSON, so their `Retry-After` is not lost.
 */
export function retriesOff(client: Client, watch?: AnswerWatcher): object[] {
  const shouldRetry = watch && refuseAfterWatching(watch);
  const maxRetries = shouldRetry ? 1 : 0;
  const own = new RetryHandlerOptions(0, maxRetries, shouldRetry);
  const RetryOptions = retryOptionsClassOf(client);
  if (!RetryOptions || RetryOptions === RetryHandlerOptions) return [own];

  try {
    return [own, new RetryOptions(0, maxRetries, shouldRetry)];
  } catch {
    return [own];
  }
}

function refuseAfterWatching(watch: AnswerWatcher): ShouldRetry {
  return (_delay, _attempt, _request, _options, response) => {
    try {
      watch(response);
    } catch {
      // A watcher's failure must not turn into a retry decision.
    }
    return false;
  };
}

/* The options class of the chain's RetryHandler, told by the handler's own methods. */
function retryOptionsClassOf(client: Client): RetryOptionsClass | null {
  let middleware = (client as unknown as { httpClient?: { middleware?: unknown } }).httpClient
    ?.middleware;

  for (let step = 0; step < MAX_CHAIN_LENGTH && isObject(middleware); step += 1) {
    if (isRetryHandler(middleware)) {
      const options = (middleware as { options?: unknown }).options;
      return isObject(options) ? (options.constructor as RetryOptionsClass) : null;
    }
    middleware = (middleware as { nextMiddleware?: unknown }).nextMiddleware;
  }
  return null;
}

function isRetryHandler(middleware: object): boolean {
  const handler = middleware as Record<string, unknown>;
  return (
    typeof handler.executeWithRetry === "function" &&
    typeof handler.getExponentialBackOffTime === "function"
  );
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}
