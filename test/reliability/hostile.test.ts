import type { SessionStore } from "graph-workbook-session";
import type { Fault, RouteName } from "graph-workbook-session/testing";
import { describe, expect, it } from "vitest";
import {
  CANARY_TOKEN,
  driveUntilSettled,
  listSheets,
  openSession,
  useHarness,
  useVirtualTime,
} from "../support/harness";
import {
  CLEAN,
  countSecrets,
  Observation,
  uniqueRow,
  useConsoleCapture,
  wiredClient,
} from "./fault-kit";
import { useReliabilityLedger } from "./ledger";

const ledger = useReliabilityLedger("hostile");
const h = useHarness();
const consoleLines = useConsoleCapture();

const BEARER = `Bearer ${CANARY_TOKEN}`;

/** Faults whose answers quote the caller's token back, in every shape a body can take. */
const ECHOES: readonly (readonly [string, string, Fault])[] = [
  [
    "401",
    "a 401 quoting the header",
    { status: 401, code: "InvalidAuthenticationToken", message: `${BEARER} is not valid` },
  ],
  [
    "400",
    "a 400 quoting it in the second level",
    { status: 400, innerCode: "invalidArgument", message: `Authorization: ${BEARER}` },
  ],
  [
    "500",
    "a 500 quoting it, dropping the session",
    { status: 500, message: `header was ${BEARER}` },
  ],
  [
    "429",
    "a 429 quoting it, with Retry-After",
    { status: 429, retryAfter: 1, message: `slow down, ${BEARER}` },
  ],
  [
    "503",
    "a 503 quoting it, with no second-level code",
    { status: 503, innerCode: null, message: `busy: ${BEARER}` },
  ],
  [
    "html",
    "an HTML page quoting it",
    { status: 502, body: `<html><pre>${BEARER}</pre></html>`, contentType: "text/html" },
  ],
  [
    "malformed-json",
    "cut-off JSON quoting it",
    { status: 400, body: `{"error":{"message":"${BEARER}`, contentType: "application/json" },
  ],
  ["wrong-content-type", "plain text quoting it", { status: 403, body: `denied for ${BEARER}` }],
  [
    "header-echo",
    "a header quoting it",
    { status: 400, headers: { "x-echo": BEARER, "request-id": BEARER } },
  ],
  [
    "bare-echo",
    "a bare token as its request id",
    { status: 400, headers: { "request-id": CANARY_TOKEN } },
  ],
  ["bare-echo", "a bare token as its second-level code", { status: 400, innerCode: CANARY_TOKEN }],
  ["reset", "a dropped connection", { drop: true }],
  ["reset", "a reset inside the answer", { truncateAfter: 4 }],
  ["hang", "an answer that never comes", { hang: true }],
];

describe.each(ECHOES.map(([kind, name, fault]) => [name, kind, fault] as const))(
  "the token, when Graph answers with %s",
  (_, kind, fault) => {
    it.each<[RouteName]>([["createSession"], ["addRow"]])(
      "never shows in a state, event, error or console line (%s)",
      async (route) => {
        useVirtualTime();
        const obs = new Observation(ledger, h);
        const store = obs.watch(h.store({ attemptTimeout: 5_000, retry: { retries: 1 } }));
        if (route === "addRow") await openSession(store);
        obs.fault(route, kind, fault);

        const outcome =
          route === "createSession"
            ? (await driveUntilSettled(store.open(), 250)).error
            : (await driveUntilSettled(obs.call(store, uniqueRow("echo", 1)), 250)).value?.error;

        const texts = [outcome, String(outcome), store.getState(), String(store)];
        expect(countSecrets(texts)).toBe(0);
        expect(h.emulator.requests.some((request) => request.answeredWith !== null)).toBe(true);
        // A 201 cut mid-body made a session on Graph whose id never reached the client.
        const unknowable = route === "createSession" && "truncateAfter" in fault ? 1 : 0;
        const options = { console: consoleLines };
        expect(await obs.finish([store], options)).toEqual({
          ...CLEAN,
          unknowable,
        });
        ledger.scenario();
      },
    );
  },
);

describe("the token, echoed as a long-running operation's status", () => {
  it("is masked in the error and the state", async () => {
    useVirtualTime();
    const obs = new Observation(ledger, h);
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 0 } });
    obs.fault("operation", "bare-echo", {
      status: 200,
      contentType: "application/json",
      body: JSON.stringify({ id: "op1", status: CANARY_TOKEN }),
    });
    const store = obs.watch(h.store());

    const { error } = await driveUntilSettled(store.open(), 250);

    expect(error).toMatchObject({ code: "malformedResponse" });
    expect((error as Error).message).toContain("unknown operation status");
    expect(countSecrets([error, String(error), store.getState()])).toBe(0);
    expect(await obs.finish([store], { console: consoleLines })).toEqual(CLEAN);
    ledger.scenario();
  });
});

describe("the token, when a long-running creation points elsewhere", () => {
  it.each([
    ["another host", "https://evil.example.com/v1.0/me/drive/items/X/workbook/operations/1"],
    ["a look-alike host", "https://graph.microsoft.com.evil.example/v1.0/operations/1"],
    [
      "another port",
      "https://graph.microsoft.com:8443/v1.0/me/drive/items/X/workbook/operations/1",
    ],
    ["plain http", "http://graph.microsoft.com/v1.0/me/drive/items/X/workbook/operations/1"],
    ["a protocol-relative URL", "//evil.example.com/v1.0/operations/1"],
    ["a URL inside the path", "https://graph.microsoft.com/v1.0/https://evil.example.com/x"],
    ["user info", "https://graph.microsoft.com@evil.example.com/v1.0/operations/1"],
  ])("refuses a Location on %s and never sends it the token", async (_, location) => {
    useVirtualTime();
    const obs = new Observation(ledger, h);
    h.emulator.configure({ asyncCreate: { mode: "async", location } });
    ledger.fault("foreign-location");
    const { client, wire } = wiredClient(h);
    const store = obs.watch(h.store({ client }));

    const { error } = await driveUntilSettled(store.open(), 250);

    expect(error).toMatchObject({ kind: "fatal" });
    expect((error as Error).message).toMatch(/not followed|could not be followed/);
    const offGraph = wire.exchanges.filter(
      (exchange) => new URL(exchange.url).origin !== "https://graph.microsoft.com",
    );
    expect(offGraph).toEqual([]);
    expect(wire.exchanges.map((exchange) => new URL(exchange.url).pathname)).toEqual([
      "/v1.0/me/drive/items/01TESTWORKBOOK/workbook/createSession",
    ]);
    expect(countSecrets([error, (error as Error).message])).toBe(0);
    expect(await obs.finish([store], { console: consoleLines })).toEqual(CLEAN);
    ledger.scenario();
  });

  it("refuses a resourceLocation on another host the same way", async () => {
    useVirtualTime();
    const obs = new Observation(ledger, h);
    const resourceLocation = "https://evil.example.com/v1.0/workbook/sessionInfoResource(key='1')";
    h.emulator.configure({ asyncCreate: { mode: "async", runningPolls: 0, resourceLocation } });
    ledger.fault("foreign-location");
    const { client, wire } = wiredClient(h);
    const store = obs.watch(h.store({ client }));

    const { error } = await driveUntilSettled(store.open(), 250);

    expect(error).toMatchObject({ code: "foreignLocation" });
    expect(wire.exchanges.every((e) => e.url.startsWith("https://graph.microsoft.com/"))).toBe(
      true,
    );
    // The operation did make a session on Graph; the store never learnt its id.
    expect(await obs.finish([store], { console: consoleLines })).toEqual({
      ...CLEAN,
      unknowable: 1,
    });
    ledger.scenario();
  });
});

/** Addresses that try to reach another resource than the workbook named. */
const HOSTILE_ADDRESSES: readonly string[] = [
  "/me/drive/items/../../users/victim/drive/items/01X",
  "/me/drive/items/01X/../../../users/victim",
  "/me/drive/root:/../secrets.xlsx:",
  "/me/drive/root:/a/./b.xlsx:",
  "/me/drive/items/01X?$select=id",
  "/me/drive/items/01X#fragment",
  "/me/drive/root:/a.xlsx?x=1:",
  "/me/drive/items/01X%2F..%2F..%2Fusers",
  "/me/drive/items/%2E%2E",
  "/me/drive/items/%2e%2e%2fusers",
  "/me/drive/items/01X%5C..%5Cusers",
  "/me/drive/items/01X\\..\\users",
  "/me/drive/root:/a\\b.xlsx:",
  "/me/drive/items/01X\u0000",
  "/me/drive/items/01X\r\nX-Injected: 1",
  "/me/drive/items/01X\t",
  "/me/drive/items/01X\u007f",
  "/me/drive/root:/Q1\u0085.xlsx:",
  "https://evil.example.com/me/drive/items/01X",
  "//evil.example.com/me/drive/items/01X",
  "/me/drive/items/",
  "",
];

describe("workbook addresses with traversal and injection", () => {
  it.each(HOSTILE_ADDRESSES.map((address) => [JSON.stringify(address), address]))(
    "%s is refused with a clear error, or reaches the wire only encoded",
    async (_, address) => {
      useVirtualTime();
      const obs = new Observation(ledger, h);
      ledger.fault("hostile-address");
      let store: SessionStore | undefined;
      try {
        store = obs.watch(h.store({ workbook: address }));
      } catch (error) {
        expect(error).toBeInstanceOf(RangeError);
        expect((error as Error).message).toMatch(/^workbook /);
      }
      if (store) {
        await driveUntilSettled(
          store.open().catch(() => undefined),
          250,
        );
        await store.close();
      }

      for (const request of h.emulator.requests) expectEncodedPath(request.path);
      expect(await obs.finish(store ? [store] : [])).toEqual(CLEAN);
      ledger.scenario();
    },
  );

  it.each([
    [
      "a name with spaces and a percent sign",
      "/me/drive/root:/Budget 50% Q1.xlsx:",
      "path:Budget 50% Q1.xlsx",
    ],
    [
      "a name in another script",
      "/me/drive/root:/Bücher/Ünïcode 表.xlsx:",
      "path:Bücher/Ünïcode 表.xlsx",
    ],
    [
      "a site id with commas",
      "/sites/contoso.sharepoint.com,1a2b,3c4d/drive/items/01X",
      "item:01X",
    ],
  ])("encodes %s and reaches the workbook meant", async (_, workbook, key) => {
    useVirtualTime();
    const obs = new Observation(ledger, h);
    const store = obs.watch(h.store({ workbook }));

    await openSession(store);

    const [create] = h.emulator.requests;
    expect(create?.workbook).toBe(key);
    expectEncodedPath(create!.path);
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });

  it.each([
    ["a URL", "https://evil.example.com/x"],
    [
      "dot segments that climb out of the workbook",
      "/worksheets/../../../../../users/victim/drive",
    ],
    ["encoded dot segments", "/worksheets/%2e%2e/%2E%2E/%2e%2e/users"],
    ["a worksheet name that climbs out", "/worksheets('../../../../../../me/drive/root')/range"],
  ])("refuses a call path with %s before anything is sent", async (_, callPath) => {
    useVirtualTime();
    const obs = new Observation(ledger, h);
    const store = obs.watch(h.store());
    await openSession(store);
    ledger.fault("hostile-path");

    const { value } = await driveUntilSettled(
      obs.call(store, (ctx) => ctx.api(callPath).get()),
      250,
    );

    expect(value?.error).toMatchObject({ kind: "fatal", operation: "request" });
    expect(String(value?.error)).toMatch(
      /The workbook path .* (contains ":\/\/"|has a '\.' or '\.\.' step)/,
    );
    expect(value?.error).toHaveProperty("cause", expect.any(RangeError));
    expect(h.emulator.requests.map((request) => request.route)).toEqual(["createSession"]);
    expect(store.getState().status).toBe("active");
    expect(await obs.finish([store])).toEqual(CLEAN);
    ledger.scenario();
  });
});

/** A path as received: no raw dot segment, backslash, control character or stray `?`/`#`. */
function expectEncodedPath(path: string): void {
  const [pathname = "", query] = path.split("?");
  expect(query).toBeUndefined();
  expect(path).not.toMatch(/[\\#\s]/);
  expect([...path].some((char) => char.charCodeAt(0) < 0x20 || char === "\u007f")).toBe(false);
  const segments = pathname.split("/").map((segment) => safeDecode(segment));
  expect(segments).not.toContain("..");
  expect(segments).not.toContain(".");
  expect(pathname.startsWith("/v1.0/")).toBe(true);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

describe("Retry-After values no client should wait for", () => {
  it.each([
    ["days", String(5 * 24 * 60 * 60), "refused"],
    ["garbage", "tomorrow-ish", "ignored"],
    ["a script", "<script>alert(1)</script>", "ignored"],
  ])(
    "a Retry-After of %s is %s with a clear error or the store's own backoff",
    async (_, value, handling) => {
      useVirtualTime();
      const obs = new Observation(ledger, h);
      obs.fault("createSession", "429", { status: 429, retryAfter: value });
      const store = obs.watch(h.store());
      const started = Date.now();

      const outcome = await driveUntilSettled(store.open(), 250);

      if (handling === "refused") {
        expect(outcome.error).toMatchObject({ kind: "throttled" });
        expect((outcome.error as Error).message).toMatch(/maxRetryAfter/);
        expect(Date.now() - started).toBeLessThan(1_000);
      } else {
        expect(outcome.error).toBeUndefined();
        expect(h.emulator.requestsTo("createSession")).toHaveLength(2);
        expect(Date.now() - started).toBeLessThan(2_000);
      }
      expect(await obs.finish([store])).toEqual(CLEAN);
      ledger.scenario();
    },
  );
});

/** Bodies that try to reach an object's prototype. */
const POISON =
  '"__proto__":{"polluted":"yes","status":"succeeded"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"}';

function prototypeIsClean(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(Object.getOwnPropertyNames(Object.prototype).includes("polluted")).toBe(false);
}

describe("response bodies with __proto__, constructor and prototype keys", () => {
  const json = (status: number, body: string): Fault => ({
    status,
    body,
    contentType: "application/json",
  });

  it.each([
    [
      "a created session",
      "createSession",
      json(201, `{"id":"sess-1","persistChanges":false,${POISON}}`),
    ],
    [
      "an error envelope",
      "createSession",
      json(
        400,
        `{"error":{"code":"badRequest",${POISON},"innerError":{${POISON},"code":"invalidArgument"}}}`,
      ),
    ],
    ["an error made only of them", "createSession", json(503, `{${POISON}}`)],
    [
      "an operation that claims success through its prototype",
      "operation",
      json(200, `{"id":"op",${POISON}}`),
    ],
    ["a workbook call's answer", "worksheets", json(200, `{"value":[],${POISON}}`)],
    ["a workbook call's error", "worksheets", json(409, `{"error":{${POISON},"code":"conflict"}}`)],
  ] as const)("pollute nothing in %s", async (_, route, fault) => {
    useVirtualTime();
    const obs = new Observation(ledger, h);
    h.emulator.configure({ asyncCreate: { mode: "async" } });
    obs.fault(route, "prototype-keys", fault);
    const store = obs.watch(h.store());

    const opened = await driveUntilSettled(store.open(), 250);
    const called = await driveUntilSettled(obs.call(store, listSheets), 250);

    prototypeIsClean();
    for (const state of obs.states) {
      expect(Object.getPrototypeOf(state)).toBe(Object.prototype);
      if (state.status === "active") {
        expect(Object.keys(state.session).sort()).toEqual(["id", "persistChanges"]);
        expect(typeof state.session.persistChanges).toBe("boolean");
      }
    }
    if (route === "createSession" && fault.status === 201) {
      expect(opened.value).toEqual({ id: "sess-1", persistChanges: false });
    }
    if (route === "operation") {
      // A poll whose status is only on its prototype is not taken for success.
      expect(opened.error).toMatchObject({ kind: "fatal", operation: "pollOperation" });
      expect(h.emulator.requestsTo("sessionInfo")).toHaveLength(1);
    }
    expect(called.value).toBeDefined();
    expect(countSecrets([opened.error, called.value?.error])).toBe(0);
    expect(await obs.finish([store])).toEqual(CLEAN);
    prototypeIsClean();
    ledger.scenario();
  });
});
