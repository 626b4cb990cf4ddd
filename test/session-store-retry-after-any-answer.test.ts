import type { SessionContext } from "graph-workbook-session";
import type { Fault, RecordedRequest, RouteName } from "graph-workbook-session/testing";
import { beforeEach, describe, expect, it } from "vitest";
import {
  driveUntilSettled,
  listSheets,
  openSession,
  useHarness,
  useVirtualTime,
} from "./support/harness";

/*
 * Graph's Retry-After holds the whole store back whatever the answer that carries it: any status,
 * and a body that is Graph's error envelope, an HTML page, plain text or other JSON.
 */

const h = useHarness();
beforeEach(useVirtualTime);

const COOLDOWN_MS = 30_000;

const BODIES = [
  ["an HTML page", "<html><body>Bad Gateway</body></html>", "text/html"],
  ["plain text", "Bad Gateway", "text/plain"],
  ["JSON without an error envelope", '{"message":"bad gateway"}', "application/json"],
] as const;

function pacedFault(status: number, body: string, contentType: string): Fault {
  return { status, retryAfter: COOLDOWN_MS / 1000, body, contentType };
}

/** The first request to `route`, after checking that Graph answered it with `status`. */
function failedRequest(route: RouteName, status: number): RecordedRequest {
  const failed = h.emulator.requestsTo(route)[0];
  expect(failed?.answeredWith).toBe(status);
  return failed!;
}

function expectNothingSentBeforeCooldown(failed: RecordedRequest): void {
  const after = h.emulator.requests.filter((request) => request.seq > failed.seq);
  expect(after.length).toBeGreaterThan(0);
  for (const request of after) {
    const label = `${request.method} ${request.route}`;
    expect(request.time - failed.time, label).toBeGreaterThanOrEqual(COOLDOWN_MS);
  }
}

describe.each(BODIES)("a Retry-After on an answer whose body is %s", (_, body, contentType) => {
  it.each([502, 503, 429])(
    "on a call's %i: sends nothing (new try, recreation, close) before it has passed",
    async (status) => {
      const store = h.store();
      await openSession(store);
      h.emulator.fault("worksheets", pacedFault(status, body, contentType));

      const outcome = await driveUntilSettled(store.request(listSheets), 250);

      expect(outcome.error).toBeUndefined();
      expectNothingSentBeforeCooldown(failedRequest("worksheets", status));
    },
  );

  it.each([500, 400])(
    "on a call's %i, which fails the call: sends the next call only after it has passed",
    async (status) => {
      const store = h.store();
      await openSession(store);
      h.emulator.fault("worksheets", pacedFault(status, body, contentType));

      const failed = await driveUntilSettled(store.request(listSheets), 250);
      const next = await driveUntilSettled(store.request(listSheets), 250);

      expect(failed.error).toMatchObject({ status, retryAfterMs: COOLDOWN_MS });
      expect(next.error).toBeUndefined();
      expectNothingSentBeforeCooldown(failedRequest("worksheets", status));
    },
  );

  it("on createSession's 502: sends the next createSession only after it has passed", async () => {
    h.emulator.fault("createSession", pacedFault(502, body, contentType));

    const outcome = await driveUntilSettled(h.store().open(), 250);

    expect(outcome.error).toBeUndefined();
    expectNothingSentBeforeCooldown(failedRequest("createSession", 502));
  });

  it("on a poll's 502: polls the operation again only after it has passed", async () => {
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 1 } });
    h.emulator.fault("operation", pacedFault(502, body, contentType));

    const outcome = await driveUntilSettled(h.store().open(), 250);

    expect(outcome.error).toBeUndefined();
    expectNothingSentBeforeCooldown(failedRequest("operation", 502));
  });

  it("on refreshSession's 502: sends nothing before it has passed", async () => {
    const store = h.store();
    await openSession(store);
    h.emulator.fault("refreshSession", pacedFault(502, body, contentType));

    await driveUntilSettled(
      store.refresh().catch(() => undefined),
      250,
    );
    await driveUntilSettled(store.request(listSheets), 250);

    expectNothingSentBeforeCooldown(failedRequest("refreshSession", 502));
  });
});

describe("a Retry-After on a call that reads its answers through a callback", () => {
  it("reaches the store all the same", async () => {
    const store = h.store();
    await openSession(store);
    h.emulator.fault("worksheets", pacedFault(502, "Bad Gateway", "text/plain"));

    const call = (session: SessionContext) =>
      new Promise((resolve, reject) => {
        const request = session.api("/worksheets");
        // With a callback, the client also rejects its promise, with nothing.
        request
          .get((error: unknown, response: unknown) => (error ? reject(error) : resolve(response)))
          .catch(() => undefined);
      });
    const outcome = await driveUntilSettled(store.request(call), 250);

    expect(outcome.error).toBeUndefined();
    expectNothingSentBeforeCooldown(failedRequest("worksheets", 502));
  });
});

describe("the Retry-After a failed call is held back by", () => {
  const HTML = "<html><body>Service Unavailable</body></html>";
  const readRows = (session: SessionContext) => session.api("/tables('Table1')/rows").get();

  it("is the one of the answer its error came from, not of a later request's answer", async () => {
    const store = h.store();
    await openSession(store);
    h.emulator.fault("worksheets", pacedFault(503, HTML, "text/html"));
    h.emulator.fault("tableRows", { status: 503, body: HTML, contentType: "text/html" });

    // The call goes on after its first failure, then gives that failure up.
    const call = async (session: SessionContext) => {
      const failure = await listSheets(session).then(
        () => null,
        (error: unknown) => error,
      );
      await readRows(session).catch(() => undefined);
      if (failure) throw failure;
    };
    const outcome = await driveUntilSettled(store.request(call), 250);

    expect(outcome.error).toBeUndefined();
    expectNothingSentBeforeCooldown(failedRequest("tableRows", 503));
  });

  it("is none when its own answer had none, though another request's answer had one", async () => {
    const store = h.store({ retry: { baseDelay: 100 } });
    await openSession(store);
    h.emulator.fault("worksheets", { ...pacedFault(503, HTML, "text/html"), delayMs: 1_000 });
    h.emulator.fault("tableRows", { status: 503, body: HTML, contentType: "text/html" });

    // Both requests go out at once; the paced answer arrives last, the call fails with the other.
    const call = async (session: SessionContext) => {
      const [, rows] = await Promise.allSettled([listSheets(session), readRows(session)]);
      if (rows.status === "rejected") throw rows.reason;
    };
    const outcome = await driveUntilSettled(store.request(call), 250);

    expect(outcome.error).toBeUndefined();
    const failed = failedRequest("tableRows", 503);
    const next = h.emulator.requests.find((request) => request.seq > failed.seq + 1);
    expect(next).toBeDefined();
    expect(next!.time - failed.time).toBeLessThan(COOLDOWN_MS);
  });
});
