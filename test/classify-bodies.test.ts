import {
  type ClassifyContext,
  errorFromFailedOperation,
  errorFromResponse,
} from "graph-workbook-session";
import { describe, expect, it } from "vitest";

const sessionless: ClassifyContext = { operation: "request", sessionful: false };
const sessionful: ClassifyContext = { operation: "request", sessionful: true };

function response(status: number, body: string | null, headers: Record<string, string> = {}) {
  return new Response(body, { status, headers });
}

describe("errorFromResponse", () => {
  it("reads a Graph error envelope with its headers", async () => {
    const body = JSON.stringify({
      error: {
        code: "ItemNotFound",
        message: "The session was not found.",
        innerError: { code: "invalidSessionReCreatable" },
      },
    });
    const error = await errorFromResponse(
      response(404, body, {
        "content-type": "application/json",
        "retry-after": "1",
        "request-id": "hdr-1",
      }),
      sessionful,
    );

    expect(error).toMatchObject({
      kind: "recreate-session",
      status: 404,
      code: "ItemNotFound",
      innerCode: "invalidSessionReCreatable",
      retryAfterMs: 1000,
      requestId: "hdr-1",
    });
  });

  it("classifies an HTML page by status and says what arrived", async () => {
    const html = "<!DOCTYPE html><html><body>Bad gateway</body></html>";
    const error = await errorFromResponse(
      response(502, html, { "content-type": "text/html" }),
      sessionless,
    );

    expect(error.kind).toBe("transient");
    expect(error.codes).toEqual([]);
    expect(error.detail).toContain("not in Graph's error format");
    expect(error.detail).toContain("HTML");
    expect(error.detail).toContain("text/html");
    expect(error.message).not.toContain("Bad gateway");
  });

  it("classifies an empty body by status, keeping the Retry-After", async () => {
    const error = await errorFromResponse(
      response(429, "", { "content-type": "application/json", "retry-after": "5" }),
      sessionless,
    );

    expect(error.kind).toBe("throttled");
    expect(error.retryAfterMs).toBe(5000);
    expect(error.detail).toContain("empty");
  });

  it("classifies truncated JSON by status", async () => {
    const error = await errorFromResponse(
      response(500, '{"error":{"code":"invalidSessionReCr', { "content-type": "application/json" }),
      sessionful,
    );

    expect(error.kind).toBe("fatal");
    expect(error.innerCode).toBeNull();
    expect(error.detail).toContain("could not be parsed");
  });

  it("classifies JSON without an error object by status", async () => {
    const error = await errorFromResponse(response(401, '{"status":"nope"}'), sessionless);
    expect(error.kind).toBe("auth");
    expect(error.detail).toContain("JSON without an error object");
  });

  it("classifies plain text of another content type by status", async () => {
    const error = await errorFromResponse(
      response(503, "Service Unavailable", { "content-type": "text/plain" }),
      sessionful,
    );
    expect(error.kind).toBe("recreate-session");
    expect(error.detail).toContain("plain text");
  });

  it("still reads a Graph envelope sent with the wrong content type", async () => {
    const body = JSON.stringify({ error: { code: "tooManyRequests" } });
    const error = await errorFromResponse(
      response(400, body, { "content-type": "text/plain" }),
      sessionless,
    );
    expect(error.kind).toBe("throttled");
  });

  it("copes with a body that was already read", async () => {
    const used = response(504, "gone");
    await used.text();
    const error = await errorFromResponse(used, sessionless);

    expect(error.kind).toBe("transient");
    expect(error.detail).toContain("could not be read");
  });
});

describe("errorFromFailedOperation", () => {
  const context: ClassifyContext = { operation: "pollOperation", sessionful: false };

  it.each(["innerError", "innererror"])("reads the %s spelling", (key) => {
    const operation = {
      id: "op-1",
      status: "failed",
      error: {
        code: "serviceUnavailable",
        message: "Try later.",
        [key]: { code: "transientFailure" },
      },
    };
    const error = errorFromFailedOperation(operation, context);

    expect(error).toMatchObject({
      kind: "transient",
      status: null,
      code: "serviceUnavailable",
      innerCode: "transientFailure",
      operation: "pollOperation",
    });
    expect(error.detail).toContain("status failed");
  });

  it("classifies a workbook that cannot be opened", () => {
    const operation = JSON.stringify({
      status: "failed",
      error: {
        code: "internalServerError",
        message: "An internal server error occurred.",
        innerError: {
          code: "internalServerErrorUncategorized",
          innerError: { code: "GenericFileOpenError" },
        },
      },
    });
    const error = errorFromFailedOperation(operation, context);

    expect(error.kind).toBe("fatal");
    expect(error.codes).toEqual([
      "internalServerError",
      "internalServerErrorUncategorized",
      "GenericFileOpenError",
    ]);
    expect(error.message).toContain("internalServerErrorUncategorized");
  });

  it("classifies a failure without an error object as fatal", () => {
    const error = errorFromFailedOperation({ status: "failed" }, context);
    expect(error.kind).toBe("fatal");
    expect(error.detail).toContain("without an error object");
  });

  it("reads nothing from a hostile operation body", () => {
    const text =
      '{"status":"failed",' +
      '"__proto__":{"error":{"code":"x","innerError":{"code":"transientFailure"}}}}';
    const error = errorFromFailedOperation(text, context);

    expect(error.kind).toBe("fatal");
    expect(({} as Record<string, unknown>).error).toBeUndefined();
  });
});
