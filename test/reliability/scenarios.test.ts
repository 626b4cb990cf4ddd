import { RetryHandlerOptions } from "@microsoft/microsoft-graph-client";
import { isWorkbookError, retryWithBackoff, SESSION_HEADER } from "graph-workbook-session";
import { rateLimitFault } from "graph-workbook-session/testing";
import { defer, firstValueFrom } from "rxjs";
import { describe, expect, it } from "vitest";
import {
  CANARY_TOKEN,
  driveUntilSettled,
  emulatorLog,
  fileOpenError,
  listSheets,
  MINUTE,
  openSession,
  passTime,
  useHarness,
  useVirtualTime,
  WORKBOOK,
} from "../support/harness";
import { CLEAN, Observation, path, rowsHolding, uniqueRow, wiredClient } from "./fault-kit";
import { useReliabilityLedger } from "./ledger";

const ledger = useReliabilityLedger("scenarios");
const h = useHarness();
const log = emulatorLog(h);

function observe(): Observation {
  useVirtualTime();
  return new Observation(ledger, h);
}

/** Gaps in ms between consecutive recorded requests. */
function gaps(requests: readonly { time: number }[]): number[] {
  return requests.slice(1).map((request, index) => request.time - (requests[index]?.time ?? 0));
}

describe("opening a session", () => {
  it("waits out a throttled createSession's Retry-After before trying again, then opens", async () => {
    const obs = observe();
    obs.fault("createSession", "429", { status: 429, retryAfter: 5 });
    const store = obs.watch(h.store());

    await openSession(store);

    const [throttled, retried] = log.creations();
    expect(retried!.time - throttled!.time).toBeGreaterThanOrEqual(5_000);
    expect(store.getState().status).toBe("active");
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it("gives up on a createSession throttled without Retry-After after its retry budget, with a typed error", async () => {
    const obs = observe();
    const started = Date.now();
    obs.fault("createSession", "429-no-retry-after", {
      status: 429,
      times: Number.POSITIVE_INFINITY,
      match: (request) => request.time < started + 60_000,
    });
    const store = obs.watch(h.store({ retry: { retries: 4, baseDelay: 1_000, maxDelay: 4_000 } }));

    const { error } = await driveUntilSettled(store.open(), 250);

    expect(error).toMatchObject({ kind: "throttled", status: 429, attempts: 5 });
    expect(log.creations()).toHaveLength(5);
    for (const gap of gaps(log.creations())) expect(gap).toBeLessThanOrEqual(4_000 + 250);
    expect(store.getState().status).toBe("failed");
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it("fails each hung createSession at the attempt timeout and the whole open at its deadline", async () => {
    const obs = observe();
    obs.fault("createSession", "hang", { hang: true, times: Number.POSITIVE_INFINITY });
    const store = obs.watch(h.store({ attemptTimeout: 2_000, openTimeout: 7_000 }));
    const started = Date.now();

    const { error } = await driveUntilSettled(store.open(), 250);

    expect(error).toMatchObject({ kind: "transient" });
    expect(Date.now() - started).toBeLessThanOrEqual(7_000 + 250);
    expect(log.creations().length).toBeGreaterThanOrEqual(2);
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it("cancels a hung createSession cleanly when the store is disposed mid-wait", async () => {
    const obs = observe();
    obs.fault("createSession", "hang", { hang: true, times: Number.POSITIVE_INFINITY });
    const store = obs.watch(h.store({ attemptTimeout: 10_000 }));
    const opening = store.open().then(
      () => ({ error: undefined }),
      (error: unknown) => ({ error }),
    );
    await passTime(300, 100);
    const sentBefore = h.emulator.requests.length;
    expect(sentBefore).toBe(1);

    await store.dispose();
    const { error } = await opening;
    await passTime(60_000);

    expect(error).toMatchObject({ kind: "aborted" });
    expect(h.emulator.requests.length).toBe(sentBefore);
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it("follows a long-running creation through its running polls to the session it made", async () => {
    const obs = observe();
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 2 } });
    const store = obs.watch(h.store());

    const session = await openSession(store);

    expect(h.emulator.requestsTo("operation")).toHaveLength(3);
    expect(h.emulator.sessions().map((live) => live.id)).toEqual([session.id]);
    expect(store.getState()).toMatchObject({ status: "active", session: { id: session.id } });
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it("ends failed, with the operation's codes, when a long-running creation reports failure", async () => {
    const obs = observe();
    h.emulator.configure({ asyncCreate: { mode: "async", outcome: "failed" } });
    const store = obs.watch(h.store());

    const { value, error } = await driveUntilSettled(store.open(), 250);

    expect(value).toBeUndefined();
    expect(error).toMatchObject({
      operation: "createSession",
      innerCode: "internalServerErrorUncategorized",
      codes: expect.arrayContaining(["GenericFileOpenError"]),
    });
    expect(store.getState().status).toBe("failed");
    expect(h.emulator.requestsTo("sessionInfo")).toHaveLength(0);
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it("accepts a plain 201 to a createSession that asked to respond async", async () => {
    const obs = observe();
    h.emulator.configure({ asyncCreate: { mode: "sync" } });
    const store = obs.watch(h.store());

    const session = await openSession(store);

    expect(log.creations()[0]?.headers.prefer).toBe("respond-async");
    expect(log.creations()[0]?.answeredWith).toBe(201);
    expect(h.emulator.requestsTo("operation")).toHaveLength(0);
    expect(session.id).toBe(h.emulator.sessions()[0]?.id);
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it("sends the caller's bearer token on every request, over loopback too", async () => {
    const obs = observe();
    const store = obs.watch(h.store());
    await openSession(store);
    await driveUntilSettled(obs.call(store, listSheets), 50);
    await store.refresh();
    await store.close();

    const requests = h.emulator.requests;
    expect(requests.map((request) => request.route)).toEqual([
      "createSession",
      "worksheets",
      "refreshSession",
      "closeSession",
    ]);
    for (const request of requests) {
      expect(request.headers.authorization).toBe(`Bearer ${CANARY_TOKEN}`);
      expect(request.answeredWith).not.toBe(401);
    }
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it("retries a sessionless read that times out at the gateway a bounded number of times, opening no session", async () => {
    const obs = observe();
    obs.fault("worksheets", "504", {
      status: 504,
      code: "MaxRequestDurationExceeded",
      innerCode: "gatewayTimeoutUncategorized",
      delayMs: 20_000,
      times: Number.POSITIVE_INFINITY,
    });
    const store = obs.watch(h.store());
    const read$ = defer(() =>
      h.client
        .api(`${WORKBOOK}/workbook/worksheets`)
        .middlewareOptions([new RetryHandlerOptions(0, 0)])
        .get(),
    ).pipe(retryWithBackoff({ retries: 3, baseDelay: 500, random: () => 0.5 }));

    const { error } = await driveUntilSettled(firstValueFrom(read$), 1_000);

    expect(error).toMatchObject({ kind: "transient", status: 504, attempts: 4 });
    expect(h.emulator.requestsTo("worksheets")).toHaveLength(4);
    expect(h.emulator.requestsTo("worksheets").every((r) => r.sessionId === null)).toBe(true);
    expect(log.creations()).toHaveLength(0);
    expect(store.getState().status).toBe("idle");
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });
});

describe("calls inside a session", () => {
  it("backs off exponentially with jitter through three 503s and succeeds on the fourth try", async () => {
    const obs = observe();
    const store = obs.watch(h.store({ random: () => 0.3, retry: { baseDelay: 1_000 } }));
    await openSession(store);
    obs.fault("worksheets", "503", { status: 503, times: 3 });

    const outcome = await driveUntilSettled(obs.call(store, listSheets), 50);

    expect(outcome.value?.error).toBeUndefined();
    const sent = h.emulator.requestsTo("worksheets");
    expect(sent.map((request) => request.answeredWith)).toEqual([503, 503, 503, 200]);
    // Full jitter: 0.3 of a ceiling that doubles from 1 s.
    const [first, second, third] = gaps(sent);
    expect(first).toBeGreaterThanOrEqual(300);
    expect(second).toBeGreaterThanOrEqual(600);
    expect(third).toBeGreaterThanOrEqual(1_200);
    expect([first! < 1_000, second! < 2_000, third! < 4_000]).toEqual([true, true, true]);
    expect(log.creations()).toHaveLength(1);
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it("does not resend an append that fails with internalServerErrorUncategorized, and drops that session", async () => {
    const obs = observe();
    obs.fault("addRow", "500", fileOpenError());
    const store = obs.watch(h.store());

    const outcomes = [];
    for (let n = 1; n <= 6; n += 1) {
      outcomes.push((await driveUntilSettled(obs.call(store, uniqueRow("append", n)), 50)).value);
    }

    const failed = outcomes.flatMap((outcome, index) => (outcome?.error ? [index + 1] : []));
    expect(failed).toEqual([3, 6]);
    expect(outcomes[2]?.error).toMatchObject({ operation: "request", status: 500 });
    expect(h.emulator.requestsTo("addRow")).toHaveLength(6);
    for (const n of [1, 2, 4, 5]) expect(rowsHolding(h, `append#${n}`)).toBe(1);
    for (const n of [3, 6]) expect(rowsHolding(h, `append#${n}`)).toBe(0);
    // The session the failed append used is never used again.
    const addRows = h.emulator.requestsTo("addRow");
    expect(addRows[3]?.sessionId).not.toBe(addRows[2]?.sessionId);
    expect(path(obs.states)).toEqual([
      "idle",
      "creating",
      "active",
      "failed",
      "creating",
      "active",
      "failed",
    ]);
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it("always sends the session header to closeSession, and a refused close never throws out of dispose", async () => {
    const obs = observe();
    const store = obs.watch(h.store());
    const session = await openSession(store);
    obs.fault("closeSession", "400", { status: 400, code: "UnknownError", message: "Bad Request" });

    await expect(store.dispose()).resolves.toBeUndefined();

    const [close] = log.closes();
    expect(close?.sessionId).toBe(session.id);
    expect(close?.answeredWith).toBe(400);
    // Graph refused to close it, so it idles out there; nothing else is left behind.
    expect(await obs.finish([store])).toEqual({ ...CLEAN, leftToGraph: 1 });
    ledger.scenario();
  });

  it("recreates a session that idled out once and resumes the call in the new one", async () => {
    const obs = observe();
    const store = obs.watch(h.store({ keepAlive: false }));
    const first = await openSession(store);
    await passTime(6 * MINUTE);

    const outcome = await driveUntilSettled(obs.call(store, listSheets), 50);

    expect(outcome.value?.error).toBeUndefined();
    const sent = h.emulator.requestsTo("worksheets");
    expect(sent.map((request) => request.answeredWith)).toEqual([404, 200]);
    expect(sent[1]?.sessionId).not.toBe(first.id);
    expect(log.creations()).toHaveLength(2);
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it("keeps an idle session alive with timely refreshes, so it never expires", async () => {
    const obs = observe();
    const store = obs.watch(h.store());
    const session = await openSession(store);
    await passTime(21 * MINUTE);

    const outcome = await driveUntilSettled(obs.call(store, listSheets), 50);

    expect(outcome.value?.error).toBeUndefined();
    expect(log.creations()).toHaveLength(1);
    expect(log.refreshes().length).toBeGreaterThanOrEqual(5);
    expect(h.emulator.requestsTo("worksheets")[0]).toMatchObject({
      sessionId: session.id,
      answeredWith: 200,
    });
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it("fails a workbook call refused with unauthorizedUncategorized as auth and drops the session", async () => {
    const obs = observe();
    for (const status of [401, 403]) {
      const store = obs.watch(h.store());
      await openSession(store);
      obs.fault("worksheets", String(status), { status, innerCode: "unauthorizedUncategorized" });
      const before = h.emulator.requestsTo("worksheets").length;

      const outcome = await driveUntilSettled(obs.call(store, listSheets), 50);

      expect(outcome.value?.error).toMatchObject({ kind: "auth", status });
      expect(h.emulator.requestsTo("worksheets").length - before).toBe(1);
      expect(store.getState().status).toBe("failed");
      // The session is gone for the store, which still closes it: the app's authentication
      // provider may have a fresh token for that.
      expect(await obs.finish([store])).toEqual(CLEAN);
    }
    ledger.scenario();
  });

  it("recreates the session and replays the call when it answers 502 or 503 with no known code", async () => {
    const obs = observe();
    for (const status of [502, 503]) {
      const store = obs.watch(h.store());
      const first = await openSession(store);
      obs.fault("worksheets", String(status), { status, innerCode: null });

      const outcome = await driveUntilSettled(obs.call(store, listSheets), 50);

      expect(outcome.value?.error).toBeUndefined();
      const [failed, replayed] = h.emulator.requestsTo("worksheets").slice(-2);
      expect(failed).toMatchObject({ sessionId: first.id, answeredWith: status });
      expect(replayed?.answeredWith).toBe(200);
      expect(replayed?.sessionId).not.toBe(first.id);
      expect(await obs.finish([store])).toEqual(CLEAN);
    }
    ledger.scenario();
  });

  it("exposes status, top-level and second-level codes of a 400 invalidArgument", async () => {
    const obs = observe();
    const store = obs.watch(h.store());
    await openSession(store);
    obs.fault("worksheets", "400", {
      status: 400,
      code: "invalidArgument",
      innerCode: "invalidArgument",
    });

    const outcome = await driveUntilSettled(obs.call(store, listSheets), 50);

    expect(outcome.value?.error).toMatchObject({
      kind: "fatal",
      status: 400,
      code: "invalidArgument",
      innerCode: "invalidArgument",
    });
    expect(isWorkbookError(outcome.value?.error)).toBe(true);
    expect(store.getState().status).toBe("active");
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it("sends the documented lower-case session header, and the emulator accepts any casing", async () => {
    const obs = observe();
    const { client, wire } = wiredClient(h);
    const store = obs.watch(h.store({ client }));
    const session = await openSession(store);
    await driveUntilSettled(obs.call(store, listSheets), 50);

    const sessionful = wire.exchanges.filter((exchange) => exchange.url.includes("/worksheets"));
    expect(sessionful).toHaveLength(1);
    expect(Object.keys(sessionful[0]!.headers)).toContain(SESSION_HEADER);
    expect(SESSION_HEADER).toBe("workbook-session-id");
    for (const name of ["Workbook-Session-Id", "WORKBOOK-SESSION-ID", "workbook-session-id"]) {
      const answer = await fetch(`${h.emulator.url}/v1.0${WORKBOOK}/workbook/worksheets`, {
        headers: { authorization: `Bearer ${CANARY_TOKEN}`, [name]: session.id },
      });
      expect(answer.status).toBe(200);
    }
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it("sends a workbook's 50 writes one after another through a rate limit, losing and duplicating none", async () => {
    const obs = observe();
    obs.fault("addRow", "429", rateLimitFault({ limit: 10, windowMs: 1_000, retryAfter: 3 }));
    const store = obs.watch(h.store({ retry: { retries: 10 } }));
    let inFlight = 0;
    let mostInFlight = 0;
    const write = (n: number) => async (session: Parameters<ReturnType<typeof uniqueRow>>[0]) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      try {
        return await uniqueRow("burst", n)(session);
      } finally {
        inFlight -= 1;
      }
    };

    const all = Array.from({ length: 50 }, (_, n) => obs.call(store, write(n)));
    const { value } = await driveUntilSettled(Promise.all(all), 250);

    expect(value?.filter((outcome) => outcome.error !== undefined)).toEqual([]);
    expect(mostInFlight).toBe(1);
    for (let n = 0; n < 50; n += 1) expect(rowsHolding(h, `burst#${n}`)).toBe(1);
    expect(h.emulator.requestsTo("addRow").some((r) => r.answeredWith === 429)).toBe(true);
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });
});

describe("the workbook and its sessions", () => {
  it("refuses a path-addressed createSession's missing WAC token without retrying, saying what to do", async () => {
    const obs = observe();
    obs.fault("createSession", "403", {
      status: 403,
      code: "AccessDenied",
      innerCode: "accessDenied",
      message: "Could not obtain a WAC access token.",
      match: (request) => request.path.includes("root:"),
    });
    const byPath = obs.watch(h.store({ workbook: "/me/drive/root:/Budgets/Q1.xlsx:" }));
    const byId = obs.watch(h.store());

    const refused = await driveUntilSettled(byPath.open(), 50);
    const opened = await openSession(byId);

    expect(refused.error).toMatchObject({ kind: "auth", status: 403 });
    expect((refused.error as Error).message).toMatch(/by its drive item id/);
    expect(log.creations().map((request) => request.answeredWith)).toEqual([403, 201]);
    expect(opened.id).toBeTruthy();
    expect(await obs.finish([byPath, byId])).toEqual(CLEAN);
    ledger.scenario();
  });

  it("shares one session among many callers, never approaching Graph's session cap", async () => {
    const obs = observe();
    h.emulator.configure({ maxSessionsPerWorkbook: 25 });
    const store = obs.watch(h.store({ concurrency: 4 }));

    const opens = Array.from({ length: 30 }, () => store.open());
    const calls = Array.from({ length: 30 }, () => obs.call(store, listSheets));
    const { value } = await driveUntilSettled(Promise.all([...opens, ...calls]), 50);

    expect(value).toBeDefined();
    expect(log.creations()).toHaveLength(1);
    expect(new Set(h.emulator.requestsTo("worksheets").map((r) => r.sessionId)).size).toBe(1);
    expect(obs.outcomes.filter((outcome) => outcome.error !== undefined)).toEqual([]);
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it.each([
    ["/me/drive/items/01ID", "item:01ID"],
    ["/drives/b!drive/items/01ID", "item:01ID"],
    ["/sites/site1/drive/items/01ID", "item:01ID"],
    ["/users/user1/drive/items/01ID", "item:01ID"],
    ["/groups/group1/drive/items/01ID", "item:01ID"],
    ["/workbooks/01ID", "item:01ID"],
    ["/me/drive/root:/Budget Q1.xlsx:", "path:Budget Q1.xlsx"],
    ["/drives/b!drive/root:/Budget Q1.xlsx:", "path:Budget Q1.xlsx"],
    ["/sites/site1/drive/root:/Budget Q1.xlsx:", "path:Budget Q1.xlsx"],
    ["/users/user1/drive/root:/Budget Q1.xlsx:", "path:Budget Q1.xlsx"],
    ["/groups/group1/drive/root:/Budget Q1.xlsx:", "path:Budget Q1.xlsx"],
  ])("creates, refreshes and closes a session the same through %s", async (workbook, key) => {
    const obs = observe();
    const store = obs.watch(h.store({ workbook }));

    await openSession(store);
    await store.refresh();
    await store.close();

    const answered = h.emulator.requests.map((r) => [r.route, r.workbook, r.answeredWith]);
    expect(answered).toEqual([
      ["createSession", key, 201],
      ["refreshSession", key, 204],
      ["closeSession", key, 204],
    ]);
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it("lets one retry policy decide when the client's own retry middleware is left at its defaults", async () => {
    const obs = observe();
    obs.fault("createSession", "503", { status: 503, times: Number.POSITIVE_INFINITY });
    const store = obs.watch(h.store({ retry: { retries: 2, baseDelay: 100 } }));

    const { error } = await driveUntilSettled(store.open(), 100);

    expect(error).toMatchObject({ kind: "transient", status: 503, attempts: 3 });
    expect(log.creations()).toHaveLength(3);
    expect(log.creations().some((request) => "retry-attempt" in request.headers)).toBe(false);
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });
});
