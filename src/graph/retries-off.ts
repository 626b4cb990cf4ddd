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

/** Middleware options that switch the client's own retries off, for this client. */
export function retriesOff(client: Client): object {
  const RetryOptions = retryOptionsClassOf(client) ?? RetryHandlerOptions;
  return new RetryOptions(0, 0);
}

function retryOptionsClassOf(client: Client): RetryOptionsClass | null {
  let middleware = (client as unknown as { httpClient?: { middleware?: unknown } }).httpClient
    ?.middleware;

  for (let step = 0; step < MAX_CHAIN_LENGTH && isObject(middleware); step += 1) {
    const options = (middleware as { options?: unknown }).options;
    if (isRetryOptions(options)) return options.constructor as RetryOptionsClass;
    middleware = (middleware as { nextMiddleware?: unknown }).nextMiddleware;
  }
  return null;
}

function isRetryOptions(value: unknown): value is object {
  if (!isObject(value)) return false;
  const { delay, maxRetries, shouldRetry } = value as Record<string, unknown>;
  return (
    typeof delay === "number" && typeof maxRetries === "number" && typeof shouldRetry === "function"
  );
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}
