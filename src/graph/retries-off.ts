import { type Client, RetryHandlerOptions } from "@microsoft/microsoft-graph-client";

type RetryOptionsClass = new (delay: number, maxRetries: number) => object;

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
 */
export function retriesOff(client: Client): object[] {
  const own = new RetryHandlerOptions(0, 0);
  const RetryOptions = retryOptionsClassOf(client);
  if (!RetryOptions || RetryOptions === RetryHandlerOptions) return [own];

  try {
    return [own, new RetryOptions(0, 0)];
  } catch {
    return [own];
  }
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
