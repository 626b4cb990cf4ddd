import { afterEach, beforeEach, vi } from "vitest";

/**
 * Makes a value before each test of the file and stops it after (with real
 * timers restored). The returned function gives the current test's value.
 */
export function perTest<T>(start: () => Promise<T>, stop: (value: T) => Promise<void>): () => T {
  let current: { value: T } | undefined;

  beforeEach(async () => {
    current = { value: await start() };
  });

  afterEach(async () => {
    vi.useRealTimers();
    if (current) await stop(current.value);
    current = undefined;
  });

  return () => {
    if (!current) throw new Error("this test fixture exists only while a test runs");
    return current.value;
  };
}
