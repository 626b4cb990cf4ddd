import {
  type ErrorKind,
  isRetryableKind,
  isWorkbookError,
  WorkbookError,
  type WorkbookErrorInit,
} from "graph-workbook-session";
import { describe, expect, it, vi } from "vitest";

function hasControlCharacter(text: string): boolean {
  return [...text].some((char) => char.charCodeAt(0) < 0x20);
}

const base: WorkbookErrorInit = {
  kind: "fatal",
  operation: "request",
  status: 400,
  code: "badRequest",
  innerCode: "invalidArgument",
};

describe("isRetryableKind", () => {
  const expected: Record<ErrorKind, boolean> = {
    throttled: true,
    transient: true,
    "recreate-session": false,
    "session-lost": false,
    auth: false,
    fatal: false,
    aborted: false,
  };

  it.each(Object.keys(expected) as ErrorKind[])("says whether %s is retryable", (kind) => {
    expect(isRetryableKind(kind)).toBe(expected[kind]);
  });
});

describe("WorkbookError", () => {
  it("fills in defaults and exposes every field", () => {
    const error = new WorkbookError(base);

    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("WorkbookError");
    expect(error.kind).toBe("fatal");
    expect(error.operation).toBe("request");
    expect(error.status).toBe(400);
    expect(error.code).toBe("badRequest");
    expect(error.innerCode).toBe("invalidArgument");
    expect(error.codes).toEqual(["badRequest", "invalidArgument"]);
    expect(error.retryAfterMs).toBeNull();
    expect(error.attempts).toBe(1);
    expect(error.requestId).toBeNull();
    expect(error.detail).toBeNull();
    expect(error.retryable).toBe(false);
    expect(Object.hasOwn(error, "cause")).toBe(false);
  });

  it("says what failed and what to do in full sentences", () => {
    const error = new WorkbookError({
      ...base,
      kind: "throttled",
      operation: "createSession",
      status: 429,
      code: "tooManyRequests",
      innerCode: "tooManyRequestsUncategorized",
      retryAfterMs: 5000,
      attempts: 3,
      requestId: "req-42",
    });

    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^Creating the workbook session failed with HTTP 429/);
    expect(error.message).toContain("tooManyRequests, tooManyRequestsUncategorized");
    expect(error.message).toContain("after 3 attempts");
    expect(error.message).toContain("throttling this app");
    expect(error.message).toContain("5 s");
    expect(error.message).toContain("lower the request rate");
    expect(error.message).toContain("Request id: req-42.");
  });

  it.each([
    ["recreate-session", /create a new session/],
    ["session-lost", /must not be recreated automatically/],
    ["auth", /access token is valid/],
    ["aborted", /was cancelled/],
    ["transient", /temporary problem/],
  ] as const)("gives %s its own advice", (kind, advice) => {
    expect(new WorkbookError({ ...base, kind }).message).toMatch(advice);
  });

  it("does not blame the request for a failure on Graph's side", () => {
    const serverSide = new WorkbookError({ ...base, status: 500, code: "internalServerError" });

    expect(new WorkbookError(base).message).toContain("fix the request or the workbook first");
    expect(serverSide.message).toContain("Graph failed on its side");
    expect(serverSide.message).not.toContain("fix the request");
  });

  it("puts given advice in place of the advice its kind implies, and keeps it in copies", () => {
    const error = new WorkbookError({
      ...base,
      kind: "recreate-session",
      advice: "The store already replaced the session",
      detail: "Graph said so",
    });
    const copy = error.withAttempts(3);

    expect(error.message).toContain("The store already replaced the session. Graph said so.");
    expect(error.message).not.toMatch(/create a new session/);
    expect(error.advice).toBe("The store already replaced the session");
    expect(copy.message).toContain("The store already replaced the session.");
    expect(copy.toJSON().advice).toBe("The store already replaced the session");
    expect(new WorkbookError(base).advice).toBeNull();
  });

  it("can be marked not retryable, which copies keep, but never made retryable", () => {
    const throttled = new WorkbookError({ ...base, kind: "throttled", retryable: false });
    const fatal = new WorkbookError({ ...base, kind: "fatal", retryable: true });

    expect(throttled.retryable).toBe(false);
    expect(throttled.withAttempts(2).retryable).toBe(false);
    expect(throttled.toJSON().retryable).toBe(false);
    expect(new WorkbookError({ ...base, kind: "throttled" }).retryable).toBe(true);
    expect(fatal.retryable).toBe(false);
  });

  it("mentions the attempt count only when more than one attempt was made", () => {
    expect(new WorkbookError(base).message).not.toContain("attempt");
    expect(new WorkbookError({ ...base, attempts: 2 }).message).toContain("after 2 attempts");
  });

  it("keeps the cause but leaves it out of toJSON", () => {
    const cause = new Error("original");
    const error = new WorkbookError({ ...base, cause });
    const json = JSON.parse(JSON.stringify(error)) as Record<string, unknown>;

    expect(error.cause).toBe(cause);
    expect(Object.keys(json).sort()).toEqual(
      [
        "advice",
        "attempts",
        "code",
        "codes",
        "detail",
        "innerCode",
        "kind",
        "message",
        "name",
        "operation",
        "requestId",
        "retryAfterMs",
        "retryable",
        "status",
      ].sort(),
    );
    expect(json.message).toBe(error.message);
    expect(JSON.stringify(error)).not.toContain("original");
  });

  it("copies itself with a new attempt count", () => {
    const cause = new Error("original");
    const error = new WorkbookError({ ...base, detail: "Some detail.", cause });
    const copy = error.withAttempts(4);

    expect(copy).not.toBe(error);
    expect(copy.attempts).toBe(4);
    expect(copy.message).toContain("after 4 attempts");
    expect(copy.cause).toBe(cause);
    expect(copy.detail).toBe("Some detail.");
    expect(copy.codes).toEqual(error.codes);
    expect(error.attempts).toBe(1);
  });

  it("refuses attempt counts that are not positive integers", () => {
    expect(() => new WorkbookError(base).withAttempts(0)).toThrow(RangeError);
    expect(() => new WorkbookError({ ...base, attempts: 1.5 })).toThrow(/got 1.5/);
  });

  it("refuses an unknown kind", () => {
    const init = { ...base, kind: "oops" } as unknown as WorkbookErrorInit;
    expect(() => new WorkbookError(init)).toThrow(TypeError);
  });

  it("strips control characters from the detail and caps its length", () => {
    const detail = `Line one\u0000\u001b[31m\r\nline two ${"x".repeat(2000)}`;
    const error = new WorkbookError({ ...base, detail });

    expect(hasControlCharacter(error.detail ?? "")).toBe(false);
    expect(error.detail?.startsWith("Line one [31m line two")).toBe(true);
    expect(error.detail?.length).toBeLessThanOrEqual(600);
    expect(hasControlCharacter(error.message)).toBe(false);
  });
});

describe("isWorkbookError", () => {
  it("recognises errors made by another copy of the package", async () => {
    vi.resetModules();
    const copy = await import("../src/errors/workbook-error");
    const foreign = new copy.WorkbookError(base);

    expect(copy.WorkbookError).not.toBe(WorkbookError);
    expect(foreign instanceof WorkbookError).toBe(false);
    expect(isWorkbookError(foreign)).toBe(true);
    expect(copy.isWorkbookError(new WorkbookError(base))).toBe(true);
  });

  it("rejects look-alikes", () => {
    const lookAlike = Object.assign(new Error("x"), { name: "WorkbookError", kind: "fatal" });

    expect(isWorkbookError(lookAlike)).toBe(false);
    expect(isWorkbookError({ ...new WorkbookError(base) })).toBe(false);
    expect(isWorkbookError(null)).toBe(false);
    expect(isWorkbookError("WorkbookError")).toBe(false);
  });
});
