import type { WorkbookError } from "graph-workbook-session";
import { describe, expect, it } from "vitest";
import { CANARY_TOKEN, plainClient, recordStates, useHarness, WORKBOOK } from "./support/harness";

const h = useHarness();

describe("authentication and authorization", () => {
  it("sends the caller's token on every call, over loopback too", async () => {
    const store = h.store();

    await store.open();
    await store.request((session) => session.api("/worksheets").get());
    await store.refresh();
    await store.close();

    expect(h.emulator.requests.length).toBeGreaterThanOrEqual(4);
    for (const request of h.emulator.requests) {
      expect(request.headers.authorization).toBe(`Bearer ${CANARY_TOKEN}`);
      expect(request.answeredWith).not.toBe(401);
    }
  });

  it("fails with a non-retryable auth error when the token is missing", async () => {
    const store = h.store({ client: plainClient(h.emulator) });

    await expect(store.open()).rejects.toMatchObject({
      kind: "auth",
      status: 401,
      code: "InvalidAuthenticationToken",
    });
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
  });

  it("does not retry a 403 on a path-addressed item and says to use the item id", async () => {
    h.emulator.fault("createSession", {
      status: 403,
      code: "AccessDenied",
      innerCode: "forbiddenUncategorized",
      message: "Could not obtain a WAC access token.",
      match: (request) => request.path.includes("root:"),
      times: Number.POSITIVE_INFINITY,
    });
    const byPath = h.store({ workbook: "/me/drive/root:/Reports/Budget.xlsx:" });
    const byId = h.store({ workbook: WORKBOOK });

    const error = (await byPath.open().catch((failure: unknown) => failure)) as WorkbookError;
    await expect(byId.open()).resolves.toBeDefined();

    expect(error).toMatchObject({ kind: "auth", status: 403, code: "AccessDenied" });
    expect(error.message).toMatch(/item id/i);
    const byPathRequests = h.emulator
      .requestsTo("createSession")
      .filter((r) => r.path.includes("root:"));
    expect(byPathRequests).toHaveLength(1);
  });

  it("drops the session on a 401/403 unauthorizedUncategorized workbook call", async () => {
    const store = h.store();
    const states = recordStates(store);
    await store.open();
    h.emulator.fault("worksheets", {
      status: 401,
      code: "unauthenticated",
      innerCode: "unauthorizedUncategorized",
    });

    const failure = store.request((session) => session.api("/worksheets").get(), {
      idempotent: true,
    });

    await expect(failure).rejects.toMatchObject({ kind: "auth", status: 401 });
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(1);
    expect(states.at(-1)).toMatchObject({ status: "failed", error: { kind: "auth" } });
  });

  it("keeps the token out of every state, error and message, whatever fails", async () => {
    const store = h.store({ retry: { retries: 0 } });
    const states = recordStates(store);
    const errors: unknown[] = [];
    h.emulator.fault("createSession", { status: 503, message: "try later" });
    await store.open().catch((error: unknown) => errors.push(error));
    await store.open();
    h.emulator.fault("worksheets", { status: 401, innerCode: "unauthorizedUncategorized" });
    await store
      .request((session) => session.api("/worksheets").get())
      .catch((e: unknown) => errors.push(e));

    const seen =
      JSON.stringify(states) + errors.map((error) => `${error} ${JSON.stringify(error)}`).join();
    expect(errors).toHaveLength(2);
    expect(seen).not.toContain(CANARY_TOKEN);
  });
});
