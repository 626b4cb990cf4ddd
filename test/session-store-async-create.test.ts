import { Client } from "@microsoft/microsoft-graph-client";
import { createEmulatorClient } from "graph-workbook-session/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { CANARY_TOKEN, driveUntilSettled, useHarness, useVirtualTime } from "./support/harness";

const h = useHarness();

beforeEach(useVirtualTime);

describe("long-running createSession (Prefer: respond-async)", () => {
  it("polls a 202's operation until it succeeds and opens that session", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 2 } });
    const store = h.store({ poll: { initialInterval: 1_000, maxInterval: 4_000 } });

    const outcome = await driveUntilSettled(store.open(), 250);

    expect(outcome.error).toBeUndefined();
    const [create] = h.emulator.requestsTo("createSession");
    expect(create?.headers.prefer).toBe("respond-async");
    const polls = h.emulator.requestsTo("operation");
    expect(polls).toHaveLength(3);
    expect(polls[1]!.time - polls[0]!.time).toBeGreaterThanOrEqual(2_000);
    expect(h.emulator.requestsTo("sessionInfo")).toHaveLength(1);

    const [live] = h.emulator.sessions();
    expect(outcome.value).toEqual({ id: live?.id, persistChanges: true });
  });

  it("reads operation statuses in either casing Graph documents", async () => {
    h.emulator.configure({
      asyncCreate: { mode: "async", runningPolls: 1, notStartedPolls: 1, statusCasing: "pascal" },
    });
    const store = h.store();

    const outcome = await driveUntilSettled(store.open(), 500);

    expect(outcome.value?.id).toBe(h.emulator.sessions()[0]?.id);
  });

  it("ends failed, classified, when the operation fails with status 200", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 1, outcome: "failed" } });
    const store = h.store();

    const outcome = await driveUntilSettled(store.open(), 500);

    expect(outcome.error).toMatchObject({
      kind: "fatal",
      status: null,
      code: "internalServerError",
      innerCode: "internalServerErrorUncategorized",
    });
    expect((outcome.error as { codes: string[] }).codes).toContain("GenericFileOpenError");
    expect(store.getState().status).toBe("failed");
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
  });

  it("accepts a plain 201 even when it asked for async", async () => {
    const store = h.store({ respondAsync: true });

    const outcome = await driveUntilSettled(store.open(), 500);

    expect(outcome.value?.id).toBe(h.emulator.sessions()[0]?.id);
    expect(h.emulator.requestsTo("operation")).toHaveLength(0);
  });

  it("does not ask for async when told not to", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async" } });
    await driveUntilSettled(h.store({ respondAsync: false }).open(), 500);

    expect(h.emulator.requestsTo("createSession")[0]?.headers.prefer).toBeUndefined();
    expect(h.emulator.requestsTo("operation")).toHaveLength(0);
  });

  it("refuses a Location on another host and never sends it the token", async () => {
    h.emulator.configure({
      asyncCreate: {
        mode: "async",
        location: `${h.emulator.url}/v1.0/me/drive/items/x/workbook/operations/1`,
      },
    });
    const store = h.store();

    const outcome = await driveUntilSettled(store.open(), 500);

    expect(outcome.error).toMatchObject({ kind: "fatal", code: "foreignLocation" });
    expect(String(outcome.error)).not.toContain(CANARY_TOKEN);
    expect(h.emulator.requestsTo("operation")).toHaveLength(0);
    expect(store.getState().status).toBe("failed");
  });

  it.each([
    ["a Location that is not a URL", "http://[not-a-url"],
    ["an empty Location", " "],
  ])("ends failed on %s, naming what was malformed", async (_, location) => {
    h.emulator.configure({ asyncCreate: { mode: "async", location } });
    const store = h.store();

    const outcome = await driveUntilSettled(store.open(), 500);

    expect(outcome.error).toMatchObject({ kind: "fatal", code: "malformedResponse" });
    expect((outcome.error as Error).message).toMatch(/location/i);
    expect(store.getState().status).toBe("failed");
  });

  it("ends failed when createSession answers without a session id", async () => {
    h.emulator.fault("createSession", { status: 201, body: '{"persistChanges":true}' });
    const store = h.store();

    const outcome = await driveUntilSettled(store.open(), 500);

    expect(outcome.error).toMatchObject({ kind: "fatal", code: "malformedResponse" });
    expect((outcome.error as Error).message).toMatch(/session id/);
  });

  it("ends failed when createSession answers an empty session id", async () => {
    h.emulator.fault("createSession", { status: 201, body: '{"id":"","persistChanges":true}' });

    const outcome = await driveUntilSettled(h.store().open(), 500);

    expect(outcome.error).toMatchObject({ code: "malformedResponse" });
  });
});

describe("long-running createSession: relative locations", () => {
  const WORKBOOK_PATH = "/v1.0/me/drive/items/01TESTWORKBOOK/workbook";
  const SESSION_BODY = '{"id":"session-1","persistChanges":true}';
  const json = (body: unknown) => ({
    status: 200,
    contentType: "application/json",
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

  /** Scripts a 202 with `location`, an operation op-1 that succeeded, and its session. */
  function scriptCreation(location: string, resourceLocation: string): void {
    h.emulator.fault("createSession", {
      ...json("{}"),
      status: 202,
      headers: { location },
    });
    h.emulator.fault("operation", {
      ...json({ id: "op-1", status: "succeeded", resourceLocation }),
      match: (request) => request.path.endsWith("/operations/op-1"),
    });
    h.emulator.fault("*", {
      ...json(SESSION_BODY),
      match: (request) => request.path.includes("sessionInfoResource"),
    });
  }

  const gets = () => h.emulator.requests.filter((request) => request.method === "GET");

  it.each([
    ["a relative path", "operations/op-1"],
    ["a path with a dot segment", "../workbook/operations/op-1"],
    ["a path from the host's root", `${WORKBOOK_PATH}/operations/op-1`],
  ])("resolves a Location given as %s against the createSession URL", async (_, location) => {
    scriptCreation(location, `${WORKBOOK_PATH}/sessionInfoResource(key='op-1')`);
    const store = h.store();

    const outcome = await driveUntilSettled(store.open(), 250);

    expect(outcome.value?.id).toBe("session-1");
    expect(gets()[0]?.path).toBe(`${WORKBOOK_PATH}/operations/op-1`);
  });

  it.each([
    ["a path up from the operation", "../sessionInfoResource(key='op-1')", "sessionInfoResource"],
    ["a bare name", "sessionInfoResource(key='op-1')", "operations/sessionInfoResource"],
  ])(
    "resolves a resourceLocation given as %s against the operation URL",
    async (_, resourceLocation, resolved) => {
      scriptCreation("operations/op-1", resourceLocation);
      const store = h.store();

      const outcome = await driveUntilSettled(store.open(), 250);

      expect(outcome.value?.id).toBe("session-1");
      expect(gets().map((request) => request.path)).toEqual([
        `${WORKBOOK_PATH}/operations/op-1`,
        `${WORKBOOK_PATH}/${resolved}(key='op-1')`,
      ]);
    },
  );

  it("resolves a relative Location under a Graph base URL that has a path", async () => {
    scriptCreation("operations/op-1", "../sessionInfoResource(key='op-1')");
    const graphBaseUrl = "https://graph-proxy.example.com/graph/";
    const client = createEmulatorClient(h.emulator, { token: CANARY_TOKEN, graphBaseUrl });
    const store = h.store({ client });

    const outcome = await driveUntilSettled(store.open(), 250);

    expect(outcome.value?.id).toBe("session-1");
    expect(gets()[0]?.path).toBe(`${WORKBOOK_PATH}/operations/op-1`);
  });

  it("resolves a relative Location under the API version the client sends with", async () => {
    scriptCreation("operations/op-1", "../sessionInfoResource(key='op-1')");
    const client = Client.init({
      authProvider: (done) => done(null, CANARY_TOKEN),
      baseUrl: `${h.emulator.url}/`,
      defaultVersion: "beta",
      // The client sends no Authorization header to a plain http host by itself.
      fetchOptions: { headers: { authorization: `Bearer ${CANARY_TOKEN}` } },
    });
    const store = h.store({ client });

    const outcome = await driveUntilSettled(store.open(), 250);

    expect(outcome.value?.id).toBe("session-1");
    expect(gets()[0]?.path).toBe(`${WORKBOOK_PATH.replace("v1.0", "beta")}/operations/op-1`);
  });

  it("refuses a protocol-relative Location to another host and never sends it the token", async () => {
    scriptCreation("//evil.example.com/v1.0/operations/op-1", "sessionInfoResource");
    const store = h.store();

    const outcome = await driveUntilSettled(store.open(), 250);

    expect(outcome.error).toMatchObject({ kind: "fatal", code: "foreignLocation" });
    expect(gets()).toHaveLength(0);
  });
});
