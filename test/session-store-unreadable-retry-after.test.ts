import type { RetryScheduledEvent, SessionEvent } from "graph-workbook-session";
import { WorkbookError } from "graph-workbook-session";
import { describe, expect, it } from "vitest";
import { nextDelay, resolveBackoff } from "../src/retry/backoff";
import { useHarness } from "./support/harness";

/*
 * A browser cannot read Graph's Retry-After (it is not exposed through CORS), so to the store a
 * 429 there looks like one without the header. Full jitter alone could then send the request
 * again after a few ms, which Graph asks clients not to do; so even a store set to full jitter
 * waits at least half the ceiling after such a 429.
 */

const h = useHarness();

function throttled(retryAfterMs: number | null): WorkbookError {
  return new WorkbookError({
    kind: "throttled",
    operation: "createSession",
    status: 429,
    code: "tooManyRequests",
    innerCode: "tooManyRequestsUncategorized",
    retryAfterMs,
  });
}

function retryDelays(events: SessionEvent[]): number[] {
  return events
    .filter((event): event is RetryScheduledEvent => event.type === "retry-scheduled")
    .map((event) => event.delay);
}

describe("a 429 without a readable Retry-After", () => {
  const policy = resolveBackoff({ baseDelay: 1000, maxDelay: 8000, jitter: "full" });

  it("waits at least half the backoff ceiling, even when the jitter draws 0", () => {
    expect(nextDelay(throttled(null), 0, policy, () => 0)).toBe(500);
    expect(nextDelay(throttled(null), 2, policy, () => 0)).toBe(2000);
    expect(nextDelay(throttled(null), 5, policy, () => 0)).toBe(4000);
  });

  it("still spreads the waits over the upper half of the ceiling", () => {
    expect(nextDelay(throttled(null), 0, policy, () => 0.5)).toBe(750);
    expect(nextDelay(throttled(null), 0, policy, () => 1 - Number.EPSILON)).toBe(1000);
  });

  it("leaves a readable Retry-After and other failures as they were", () => {
    expect(nextDelay(throttled(3000), 0, policy, () => 0)).toBe(3000);
    const transient = new WorkbookError({
      kind: "transient",
      operation: "createSession",
      status: 503,
      code: null,
      innerCode: null,
    });
    expect(nextDelay(transient, 0, policy, () => 0)).toBe(0);
  });

  it("keeps the store from sending createSession again at once", async () => {
    h.emulator.fault("createSession", { status: 429, times: 2 });
    const store = h.store({ retry: { baseDelay: 100, jitter: "full" }, random: () => 0 });
    const events: SessionEvent[] = [];
    store.events$.subscribe((event) => events.push(event));

    await store.open();

    expect(retryDelays(events)).toEqual([50, 100]);
    const times = h.emulator.requestsTo("createSession").map((request) => request.time);
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(50);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(100);
  });
});
