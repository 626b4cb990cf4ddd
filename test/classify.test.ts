import { GraphError } from "@microsoft/microsoft-graph-client";
import {
  type ClassifyContext,
  classifyError,
  classifyFailure,
  type ErrorKind,
  WorkbookError,
} from "graph-workbook-session";
import { TimeoutError } from "rxjs";
import { describe, expect, it } from "vitest";
// Not exported from the package entry point yet.
import { REQUIRED_INNER_CODES } from "../src/errors/error-codes";

const sessionless: ClassifyContext = { operation: "request", sessionful: false };
const sessionful: ClassifyContext = { operation: "request", sessionful: true };

function envelope(code: string | null, innerCode?: string | null, message?: string) {
  const error: Record<string, unknown> = { code, message: message ?? "Something failed." };
  if (innerCode !== undefined) error.innerError = { code: innerCode, message: "Inner." };
  return { error };
}

/** Every second-level code Graph requires clients to handle, and what it must mean. */
const requiredCodes: [string, ErrorKind, ErrorKind][] = [
  // code, kind outside a session, kind inside a session
  ["accessConflict", "fatal", "fatal"],
  ["badRequestUncategorized", "fatal", "fatal"],
  ["conflictUncategorized", "fatal", "fatal"],
  ["forbiddenUncategorized", "auth", "auth"],
  ["gatewayTimeoutUncategorized", "transient", "transient"],
  ["internalServerErrorUncategorized", "fatal", "session-lost"],
  ["invalidSessionAccessConflict", "session-lost", "session-lost"],
  ["invalidSessionAuthentication", "session-lost", "session-lost"],
  ["invalidSessionNotFound", "session-lost", "session-lost"],
  ["invalidSessionReCreatable", "recreate-session", "recreate-session"],
  ["invalidSessionRestricted", "session-lost", "session-lost"],
  ["invalidSessionUnexpected", "session-lost", "session-lost"],
  ["invalidSessionUnsupportedWorkbook", "session-lost", "session-lost"],
  ["methodNotAllowedUncategorized", "fatal", "fatal"],
  ["notFoundUncategorized", "fatal", "fatal"],
  ["notImplementedUncategorized", "fatal", "fatal"],
  ["payloadTooLargeUncategorized", "fatal", "fatal"],
  ["serviceUnavailableUncategorized", "transient", "transient"],
  ["tooManyRequestsUncategorized", "throttled", "throttled"],
  ["transientFailure", "transient", "transient"],
  ["unauthorizedUncategorized", "auth", "auth"],
  ["unsupportedWorkbook", "fatal", "fatal"],
];

describe("classifyFailure: required second-level codes", () => {
  it("covers exactly the documented list", () => {
    const documented = requiredCodes.map(([code]) => code.toLowerCase()).sort();
    expect([...REQUIRED_INNER_CODES.keys()].sort()).toEqual(documented);
  });

  describe.each(requiredCodes)("%s", (code, outside, inside) => {
    it.each([code, code.toLowerCase(), code.toUpperCase()])("as %s", (spelling) => {
      // The top-level code and status point elsewhere: the second-level code must win.
      const failure = { status: 400, body: envelope("badRequest", spelling) };

      const error = classifyFailure(failure, sessionless);
      expect(error.kind).toBe(outside);
      expect(error.innerCode).toBe(spelling);
      expect(error.code).toBe("badRequest");
      expect(classifyFailure(failure, sessionful).kind).toBe(inside);
    });
  });
});

describe("classifyFailure: fallbacks", () => {
  it.each([
    ["TooManyRequests", 400, "throttled"],
    ["tooManyRequests", 500, "throttled"],
    ["serviceUnavailable", 500, "transient"],
    ["gatewayTimeout", 500, "transient"],
    ["InvalidAuthenticationToken", 400, "auth"],
    ["unauthenticated", 500, "auth"],
    ["accessDenied", 500, "auth"],
    ["itemNotFound", 503, "fatal"],
    ["invalidArgument", 503, "fatal"],
    ["conflict", 429, "fatal"],
  ] as const)("uses the top-level code %s over status %i", (code, status, kind) => {
    expect(
      classifyFailure({ status, body: envelope(code, "someOtherCode") }, sessionless).kind,
    ).toBe(kind);
  });

  it.each([
    [429, "throttled"],
    [408, "transient"],
    [502, "transient"],
    [503, "transient"],
    [504, "transient"],
    [401, "auth"],
    [403, "auth"],
    [400, "fatal"],
    [404, "fatal"],
    [409, "fatal"],
    [500, "fatal"],
    [501, "fatal"],
    [200, "fatal"],
  ] as const)("falls back to status %i", (status, kind) => {
    expect(classifyFailure({ status, body: envelope("SomethingNew") }, sessionless).kind).toBe(
      kind,
    );
    expect(classifyFailure({ status, body: undefined }, sessionless).kind).toBe(kind);
  });

  it("reads an 'accessDenied' second-level code as an auth failure", () => {
    const error = classifyFailure(
      { status: 400, body: envelope("generalException", "accessDenied") },
      sessionless,
    );
    expect(error.kind).toBe("auth");
  });

  it("reads a slow sessionless 504 as transient, without touching any session", () => {
    const body = {
      error: {
        code: "MaxRequestDurationExceeded",
        message: "The request took too long.",
        innerError: {
          code: "gatewayTimeoutUncategorized",
          innerError: { code: "MaxRequestDurationExceeded" },
        },
      },
    };
    const error = classifyFailure({ status: 504, body }, sessionless);

    expect(error.kind).toBe("transient");
    expect(error.retryable).toBe(true);
    expect(error.innerCode).toBe("gatewayTimeoutUncategorized");
  });

  it("handles the throttling body Graph documents, with a numeric inner code", () => {
    const body = {
      error: {
        code: "TooManyRequests",
        innerError: { code: "429", "request-id": "94fb3b52", status: "429" },
        message: "Please retry again later.",
      },
    };
    const error = classifyFailure({ status: 429, body, retryAfter: "2.128" }, sessionless);

    expect(error.kind).toBe("throttled");
    expect(error.codes).toEqual(["TooManyRequests", "429"]);
    expect(error.retryAfterMs).toBe(2128);
    expect(error.requestId).toBe("94fb3b52");
  });
});

describe("classifyFailure: 502 and 503 inside a session", () => {
  it.each([502, 503])("recreates the session on %i without a second-level code", (status) => {
    expect(classifyFailure({ status, body: envelope("serviceUnavailable") }, sessionful).kind).toBe(
      "recreate-session",
    );
    expect(classifyFailure({ status, body: "" }, sessionful).kind).toBe("recreate-session");
  });

  it.each([502, 503])("recreates the session on %i with an unknown second-level code", (status) => {
    const body = envelope("badGateway", "somethingUndocumented");
    expect(classifyFailure({ status, body }, sessionful).kind).toBe("recreate-session");
    expect(classifyFailure({ status, body }, sessionless).kind).toBe("transient");
  });

  it.each([
    ["transientFailure", "transient"],
    ["serviceUnavailableUncategorized", "transient"],
    ["invalidSessionNotFound", "session-lost"],
    ["unsupportedWorkbook", "fatal"],
  ] as const)("follows the known second-level code %s", (innerCode, kind) => {
    const body = envelope("serviceUnavailable", innerCode);
    expect(classifyFailure({ status: 503, body }, sessionful).kind).toBe(kind);
    expect(classifyFailure({ status: 502, body }, sessionful).kind).toBe(kind);
  });

  it("does not apply to 504 or to calls outside a session", () => {
    expect(classifyFailure({ status: 504, body: undefined }, sessionful).kind).toBe("transient");
    expect(classifyFailure({ status: 503, body: undefined }, sessionless).kind).toBe("transient");
  });
});

describe("classifyFailure: messages", () => {
  it("tells a path-addressed 403 without a WAC token to address the item by id", () => {
    const body = envelope("AccessDenied", undefined, "Could not obtain a WAC access token.");
    const error = classifyFailure(
      { status: 403, body },
      { ...sessionless, operation: "createSession" },
    );

    expect(error.kind).toBe("auth");
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("drive item id");
    expect(error.message).toContain('Graph said: "Could not obtain a WAC access token."');
  });

  it("tells another 403 to check the file's sharing and the permissions granted", () => {
    const error = classifyFailure({ status: 403, body: envelope("accessDenied") }, sessionless);
    expect(error.message).toContain("permissions granted");
    expect(error.message).not.toContain("access token is valid");
    expect(error.message).not.toContain("drive item id");
  });

  it("tells a 401 to check the token", () => {
    const error = classifyFailure(
      { status: 401, body: envelope("InvalidAuthenticationToken") },
      sessionless,
    );
    expect(error.message).toContain("access token is valid");
  });

  it("tells a missing worksheet apart from a missing workbook", () => {
    const inSession = { operation: "request", sessionful: true } as const;
    const call = classifyFailure({ status: 404, body: envelope("itemNotFound") }, inSession);
    const open = classifyFailure(
      { status: 404, body: envelope("itemNotFound") },
      { operation: "createSession", sessionful: false },
    );

    expect(call.message).toContain("worksheet, table, range");
    expect(open.message).toContain("drive item id");
  });

  it("exposes status, top-level and second-level codes of a 400", () => {
    const body = { error: { code: "invalidArgument", message: "The argument is invalid." } };
    const error = classifyFailure({ status: 400, body }, sessionless);

    expect(error).toMatchObject({ kind: "fatal", status: 400, code: "invalidArgument" });
    expect(error.innerCode).toBeNull();
    expect(error.message).toContain("HTTP 400");
    expect(error.message).toContain("invalidArgument");
  });

  it("caps the quoted server message and strips control characters from it", () => {
    const message = `Bad\u0007 thing\n${"y".repeat(5000)}`;
    const error = classifyFailure(
      { status: 400, body: envelope("badRequest", null, message) },
      sessionless,
    );

    expect(error.detail).toMatch(/^Graph said: "Bad thing y+…"$/);
    expect(error.detail?.length).toBeLessThanOrEqual(220);
  });

  it("keeps every code from the top down", () => {
    const body = {
      error: {
        code: "GenericFileOpenError",
        message: "The workbook cannot be opened.",
        innerError: {
          code: "internalServerErrorUncategorized",
          innerError: { code: "GenericFileOpenError" },
          "request-id": "r-1",
        },
      },
    };
    const error = classifyFailure({ status: 500, body }, sessionful);

    expect(error.kind).toBe("session-lost");
    expect(error.codes).toEqual([
      "GenericFileOpenError",
      "internalServerErrorUncategorized",
      "GenericFileOpenError",
    ]);
    expect(error.requestId).toBe("r-1");
  });

  it("ignores codes that are not short identifiers", () => {
    const body = { error: { code: "x".repeat(500), innerError: { code: { nested: true } } } };
    const error = classifyFailure({ status: 503, body }, sessionless);

    expect(error.code).toBeNull();
    expect(error.innerCode).toBeNull();
    expect(error.kind).toBe("transient");
  });

  it("measures an HTTP-date Retry-After from the given time", () => {
    const now = Date.UTC(2024, 0, 1, 12, 0, 0);
    const failure = { status: 503, body: undefined, retryAfter: "Mon, 01 Jan 2024 12:00:07 GMT" };
    expect(classifyFailure(failure, { ...sessionless, now }).retryAfterMs).toBe(7000);
  });
});

describe("classifyFailure: hostile bodies", () => {
  it("lets __proto__ and constructor keys pollute nothing and decide nothing", () => {
    const text =
      '{"__proto__":{"polluted":"yes","code":"invalidSessionReCreatable"},' +
      '"constructor":{"prototype":{"polluted":"yes"}},' +
      '"error":{"__proto__":{"code":"invalidSessionReCreatable"},"code":"badRequest",' +
      '"innerError":{"__proto__":{"code":"tooManyRequestsUncategorized"}}}}';

    const error = classifyFailure({ status: 400, body: text }, sessionful);

    expect(error.kind).toBe("fatal");
    expect(error.codes).toEqual(["badRequest"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("ignores inherited properties of a body object", () => {
    const inner = Object.create({ code: "invalidSessionReCreatable" }) as object;
    const body = Object.create({ error: { code: "tooManyRequests" } }) as Record<string, unknown>;
    body.error = { code: "badRequest", innerError: inner };

    const error = classifyFailure({ status: 400, body }, sessionful);
    expect(error.kind).toBe("fatal");
    expect(error.innerCode).toBeNull();
  });

  it("stops following innerError after a bounded depth", () => {
    let level: Record<string, unknown> = { code: "deepest" };
    for (let i = 0; i < 100; i++) level = { code: `level${i}`, innerError: level };

    const error = classifyFailure({ status: 400, body: { error: level } }, sessionless);
    expect(error.codes.length).toBeLessThanOrEqual(8);
  });
});

describe("classifyError", () => {
  function graphError(status: number, code: string | null, body: unknown, headers?: Headers) {
    const error = new GraphError(status, "gone");
    error.code = code;
    error.body = body;
    if (headers) error.headers = headers;
    return error;
  }

  it("returns a WorkbookError unchanged", () => {
    const error = new WorkbookError({
      kind: "auth",
      operation: "request",
      status: 401,
      code: null,
      innerCode: null,
    });
    expect(classifyError(error, sessionful)).toBe(error);
  });

  it("reads a Graph client error whose body is the inner error object as JSON text", () => {
    const body = JSON.stringify({
      code: "ItemNotFound",
      message: "gone",
      innerError: { code: "invalidSessionReCreatable", "request-id": "r2", date: "2024-01-01" },
    });
    const cause = graphError(404, "ItemNotFound", body, new Headers({ "Retry-After": "3" }));
    const error = classifyError(cause, sessionful);

    expect(error).toMatchObject({
      kind: "recreate-session",
      status: 404,
      code: "ItemNotFound",
      innerCode: "invalidSessionReCreatable",
      retryAfterMs: 3000,
      requestId: "r2",
    });
    // The client's error holds the server's text unmasked, so it is not kept.
    expect(error.cause).toBeUndefined();
  });

  it("reads a 503 Graph client error inside and outside a session", () => {
    const cause = graphError(
      503,
      "serviceUnavailable",
      JSON.stringify({ code: "serviceUnavailable" }),
    );
    expect(classifyError(cause, sessionful).kind).toBe("recreate-session");
    expect(classifyError(cause, sessionless).kind).toBe("transient");
  });

  it("reads a 404 to refreshSession without a required code as an expired session", () => {
    const context = { operation: "refreshSession", sessionful: true } as const;
    const bare = classifyFailure({ status: 404, body: envelope("itemNotFound") }, context);
    const ended = classifyFailure(
      { status: 404, body: envelope("itemNotFound", "invalidSessionNotFound") },
      context,
    );

    expect(bare.kind).toBe("recreate-session");
    expect(ended.kind).toBe("session-lost");
  });

  it("calls a success whose body the client could not parse a malformed answer", () => {
    const cause = graphError(202, "SyntaxError", "SyntaxError: Unexpected end of JSON input");
    const error = classifyError(cause, { ...sessionless, operation: "createSession" });

    expect(error).toMatchObject({ kind: "fatal", status: 202, code: "malformedResponse" });
    expect(error.detail).toContain("Graph answered 202, so the request went through");
    expect(error.detail).toContain(`could not be read as JSON ("gone")`);
  });

  it("classifies by status when the client kept a non-Graph error body", () => {
    const cause = graphError(400, "SyntaxError", "SyntaxError: Unexpected token <");
    const error = classifyError(cause, sessionful);

    expect(error.kind).toBe("fatal");
    expect(error.code).toBe("SyntaxError");
    expect(error.detail).toContain("not in Graph's error format");
  });

  it.each([
    ["AbortError", "aborted"],
    ["TimeoutError", "transient"],
    ["TypeError", "transient"],
    ["FetchError", "transient"],
    ["SyntaxError", "fatal"],
  ] as const)("reads status -1 with code %s as %s", (code, kind) => {
    const cause = new GraphError(-1, "", Object.assign(new Error("fetch failed"), { name: code }));
    cause.code = code;
    cause.body = `${code}: fetch failed`;
    const error = classifyError(cause, sessionless);

    expect(error.kind).toBe(kind);
    expect(error.status).toBeNull();
    expect(error.cause).toBe(cause);
  });

  it("reads errors thrown outside the Graph client", () => {
    expect(classifyError(new DOMException("stop", "AbortError"), sessionless).kind).toBe("aborted");
    expect(classifyError(new TimeoutError(), sessionless).kind).toBe("transient");
    expect(classifyError(new TypeError("x is not a function"), sessionless).kind).toBe("fatal");
    expect(classifyError("a string", sessionless).kind).toBe("fatal");
    expect(classifyError(undefined, sessionless).detail).toContain("not an error");
  });
});

describe("secrets", () => {
  const canary = "canary-token-7f3a9c";
  const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlLWNhbmFyeQ";

  function assertClean(error: WorkbookError, ...secrets: string[]) {
    for (const secret of secrets) {
      expect(error.message).not.toContain(secret);
      expect(String(error)).not.toContain(secret);
      expect(JSON.stringify(error)).not.toContain(secret);
      expect(JSON.stringify(error.toJSON())).not.toContain(secret);
    }
  }

  it("never copies the request's Authorization header from the cause", () => {
    const cause = Object.assign(new GraphError(401, "Access token is empty."), {
      code: "InvalidAuthenticationToken",
      body: JSON.stringify({
        code: "InvalidAuthenticationToken",
        message: "Access token is empty.",
      }),
      headers: new Headers({ "www-authenticate": "Bearer realm=x" }),
      request: { headers: { Authorization: `Bearer ${canary}` } },
      options: { headers: new Headers({ Authorization: `Bearer ${canary}` }) },
    });
    const error = classifyError(cause, sessionful);

    expect(error.kind).toBe("auth");
    expect(error.cause).toBeUndefined();
    assertClean(error, canary);
  });

  it("redacts tokens that a server message or a thrown error echoes", () => {
    const body = envelope("unauthorized", null, `Token Bearer ${canary} rejected; ${jwt}`);
    assertClean(classifyFailure({ status: 401, body }, sessionless), canary, jwt);

    const thrown = new Error(`Authorization: Bearer ${canary} ${jwt}`);
    assertClean(classifyError(thrown, sessionless), canary, jwt);
  });
});
