export {
  type BackoffOptions,
  backoffDelay,
  DEFAULT_BACKOFF,
  nextDelay,
  type ResolvedBackoff,
  resolveBackoff,
} from "./backoff";
export { parseRetryAfter } from "./retry-after";
export { type RetryEvent, type RetryOptions, retryWithBackoff } from "./retry-with-backoff";
