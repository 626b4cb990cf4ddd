const usageErrors = new WeakSet<object>();

/**
 * Marks an error this library throws at a caller's mistake inside a workbook call (an
 * unsafe path, a call that returned no promise), so that the call's failure quotes it in
 * full instead of as an unexpected error.
 */
export function usageError<E extends Error>(error: E): E {
  usageErrors.add(error);
  return error;
}

/** Whether `value` was marked by {@link usageError}. */
export function isUsageError(value: unknown): value is Error {
  return typeof value === "object" && value !== null && usageErrors.has(value);
}
