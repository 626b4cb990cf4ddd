import type { RouteName } from "graph-workbook-session/testing";
import { beforeEach, describe, expect, it } from "vitest";
import {
  CANARY_TOKEN,
  driveUntilSettled,
  recordStates,
  statuses,
  useHarness,
  useVirtualTime,
} from "./support/harness";

const h = useHarness();

beforeEach(useVirtualTime);

const polls = () => h.emulator.requestsTo("operation");

describe("long-running createSession: statuses and pacing", () => {
  it.each(["camel", "pascal"] as const)(
    "waits through notStarted and running, spelled in %s case, until the operation completes",
    async (statusCasing) => {
      h.emulator.configure({
        asyncCreate: { mode: "async", notStartedPolls: 2, runningPolls: 2, statusCasing },
      });
      const store = h.store({ poll: { initialInterval: 1_000, maxInterval: 1_000 } });

      const outcome = await driveUntilSettled(store.open(), 250);

      expect(outcome.error).toBeUndefined();
      expect(polls()).toHaveLength(5);
      expect(h.emulator.requestsTo("sessionInfo")).toHaveLength(1);
      expect(outcome.value?.id).toBe(h.emulator.sessions()[0]?.id);
    },
  );

  it("doubles the wait between polls from the initial interval up to the cap", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 6 } });
    const store = h.store({ poll: { initialInterval: 1_000, maxInterval: 8_000 } });

    const outcome = await driveUntilSettled(store.open(), 100);

    expect(outcome.error).toBeUndefined();
    const times = [h.emulator.requestsTo("createSession")[0]!, ...polls()].map((r) => r.time);
    const waits = times.slice(1).map((time, index) => time - times[index]!);
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000, 8_000]);
  });

  it("retries a poll Graph answers 503, without starting another creation", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 1 } });
    h.emulator.fault("operation", { status: 503 });
    const store = h.store();

    const outcome = await driveUntilSettled(store.open(), 250);

    expect(outcome.error).toBeUndefined();
    expect(polls().map((poll) => poll.answeredWith)).toEqual([503, 200, 200]);
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
  });
});

describe("long-running createSession: answers that cannot be used", () => {
  it.each<[string, RouteName, string, RegExp]>([
    ["an operation that is not JSON", "operation", "<html>busy</html>", /not JSON/],
    ["an operation without a status", "operation", '{"id":"op-1"}', /without a status/],
    ["an operation whose status is a number", "operation", '{"status":3}', /without a status/],
    ["an operation with an unknown status", "operation", '{"status":"paused"}', /"paused"/],
    [
      "a succeeded operation without a resourceLocation",
      "operation",
      '{"status":"succeeded"}',
      /location is missing/,
    ],
    ["a session resource without an id", "sessionInfo", '{"persistChanges":true}', /no session id/],
    ["a session resource with an empty id", "sessionInfo", '{"id":""}', /no session id/],
    ["a session resource whose id is a number", "sessionInfo", '{"id":7}', /no session id/],
    ["a session resource that is an array", "sessionInfo", "[]", /no session id/],
    [
      "a session resource whose id cannot be a header",
      "sessionInfo",
      '{"id":"abc\\r\\nX-Injected: 1"}',
      /cannot be sent as a header/,
    ],
  ])("ends failed on %s, naming what was malformed", async (_, route, body, says) => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 0 } });
    h.emulator.fault(route, { status: 200, body, contentType: "application/json" });
    const store = h.store();
    const states = recordStates(store);

    const outcome = await driveUntilSettled(store.open(), 250);

    expect(outcome.error).toMatchObject({ kind: "fatal", code: "malformedResponse" });
    expect((outcome.error as Error).message).toMatch(says);
    expect(statuses(states)).not.toContain("active");
    expect(store.getState().status).toBe("failed");
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
    expect(polls()).toHaveLength(1);
  });

  it("refuses a resourceLocation on another host and never sends it the token", async () => {
    h.emulator.configure({
      asyncCreate: {
        mode: "async",
        runningPolls: 0,
        resourceLocation: `${h.emulator.url}/v1.0/me/drive/items/x/workbook/sessionInfoResource`,
      },
    });
    const store = h.store();

    const outcome = await driveUntilSettled(store.open(), 250);

    expect(outcome.error).toMatchObject({ kind: "fatal", code: "foreignLocation" });
    expect(String(outcome.error)).not.toContain(CANARY_TOKEN);
    expect(h.emulator.requestsTo("sessionInfo")).toHaveLength(0);
    expect(store.getState().status).toBe("failed");
  });

  it("ends failed on a resourceLocation that is not a URL", async () => {
    h.emulator.configure({
      asyncCreate: { mode: "async", runningPolls: 0, resourceLocation: "http://[not-a-url" },
    });
    const store = h.store();

    const outcome = await driveUntilSettled(store.open(), 250);

    expect(outcome.error).toMatchObject({ kind: "fatal", code: "malformedResponse" });
    expect((outcome.error as Error).message).toMatch(/location is not a URL/);
    expect(store.getState().status).toBe("failed");
  });
});
