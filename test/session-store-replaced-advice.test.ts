import { memoryStorage } from "graph-workbook-session";
import { createTestEnvironment } from "graph-workbook-session/testing";
import { describe, expect, it } from "vitest";
import {
  driveUntilSettled,
  eventsOf,
  openSession,
  recordEvents,
  recordStates,
  useHarness,
  useVirtualTime,
} from "./support/harness";

const h = useHarness();

/* The advice a recreate-session error gives an app that must recreate the session itself. */
const DO_IT_YOURSELF = "create a new session and send the request again";

describe("a refresh that finds the session dropped, which the store replaces by itself", () => {
  it("says so in the refreshSession attempt-failed event too, as in the state and the rejection", async () => {
    useVirtualTime();
    const store = h.store();
    const events = recordEvents(store);
    await openSession(store);
    h.emulator.fault("refreshSession", { status: 404, code: "itemNotFound", innerCode: null });

    const { error } = await driveUntilSettled(store.refresh(), 50);

    expect(error).toMatchObject({ kind: "recreate-session", operation: "refreshSession" });
    const [failed] = eventsOf(events, "attempt-failed");
    expect(failed).toMatchObject({ operation: "refreshSession" });
    expect(failed?.error.message).not.toContain(DO_IT_YOURSELF);
    expect(failed?.error.message).toContain("The store opens a new session in its place by itself");
  });
});

describe("a remembered session found dead on resume, which the store replaces by itself", () => {
  it("does not tell the app to create a new session, in the expired event or the state", async () => {
    useVirtualTime();
    const storage = memoryStorage();
    const environment = createTestEnvironment();
    const earlier = h.store({ storage, environment });
    const remembered = await openSession(earlier);
    environment.leavePage();
    h.emulator.expireSession(remembered.id);

    const store = h.store({ storage });
    const events = recordEvents(store);
    const states = recordStates(store);
    await openSession(store);

    expect(eventsOf(events, "recreated")).toHaveLength(1);
    const [expired] = eventsOf(events, "expired");
    expect(expired?.error.kind).toBe("recreate-session");
    expect(expired?.error.message).not.toContain(DO_IT_YOURSELF);
    const lastErrors = states.flatMap((state) =>
      state.status === "creating" && state.lastError ? [state.lastError.message] : [],
    );
    expect(lastErrors.length).toBeGreaterThan(0);
    for (const message of lastErrors) expect(message).not.toContain(DO_IT_YOURSELF);
  });
});
