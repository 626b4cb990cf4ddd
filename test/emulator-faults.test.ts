import { GraphError, ResponseType, RetryHandlerOptions } from "@microsoft/microsoft-graph-client";
import { rateLimitFault } from "graph-workbook-session/testing";
import { describe, expect, it, vi } from "vitest";
import { useEmulator } from "./support/emulator-fixture";

const fixture = useEmulator();

const noRetry = [new RetryHandlerOptions(0, 0)];

function createCall(address = "/me/drive/items/A") {
  return fixture.client.api(`${address}/workbook/createSession`).middlewareOptions(noRetry);
}

function createRaw(address = "/me/drive/items/A"): Promise<Response> {
  return createCall(address).responseType(ResponseType.RAW).post({});
}

async function failure(call: Promise<unknown>): Promise<GraphError> {
  const outcome = await call.then(
    () => new Error("expected the call to fail"),
    (error: unknown) => error,
  );
  if (outcome instanceof GraphError) return outcome;
  throw outcome;
}

function inner(error: GraphError): Record<string, unknown> {
  return JSON.parse(error.body as string).innerError;
}

describe("status faults", () => {
  it.each([
    [429, "tooManyRequests", "tooManyRequestsUncategorized"],
    [503, "serviceUnavailable", "serviceUnavailableUncategorized"],
    [504, "gatewayTimeout", "gatewayTimeoutUncategorized"],
    [500, "internalServerError", "internalServerErrorUncategorized"],
    [403, "forbidden", "forbiddenUncategorized"],
  ])("answers a bare %i with the documented codes", async (status, code, innerCode) => {
    fixture.emulator.fault("createSession", { status });
    const error = await failure(createCall().post({}));

    expect([error.statusCode, error.code, inner(error).code]).toEqual([status, code, innerCode]);
    expect(fixture.emulator.requests[0]?.answeredWith).toBe(status);
  });

  it("applies once by default, then serves normally", async () => {
    fixture.emulator.fault("createSession", { status: 503 });
    await failure(createCall().post({}));

    await expect(createCall().post({})).resolves.toMatchObject({ persistChanges: true });
  });

  it("uses given codes, messages and an innermost code", async () => {
    fixture.emulator.fault("createSession", {
      status: 500,
      code: "GenericFileOpenError",
      innerCode: "internalServerErrorUncategorized",
      innermostCode: "GenericFileOpenError",
      message: "The workbook cannot be opened.",
    });
    const error = await failure(createCall().post({}));

    expect(error.code).toBe("GenericFileOpenError");
    expect(error.message).toBe("The workbook cannot be opened.");
    expect(inner(error)).toMatchObject({
      code: "internalServerErrorUncategorized",
      innerError: { code: "GenericFileOpenError" },
    });
  });

  it("sends no second-level code when innerCode is null", async () => {
    fixture.emulator.fault("worksheets", { status: 503, innerCode: null });
    const error = await failure(
      fixture.client.api("/me/drive/items/A/workbook/worksheets").middlewareOptions(noRetry).get(),
    );

    expect(error.code).toBe("serviceUnavailable");
    expect(inner(error)).not.toHaveProperty("code");
    expect(inner(error)).toHaveProperty("request-id");
  });

  it("defaults to 500 when a fault gives only a code", async () => {
    fixture.emulator.fault("createSession", { code: "somethingOdd" });
    const error = await failure(createCall().post({}));

    expect([error.statusCode, error.code]).toEqual([500, "somethingOdd"]);
  });
});

describe("Retry-After, headers and raw bodies", () => {
  it.each([5, "2.128", "Wed, 21 Oct 2037 07:28:00 GMT"])(
    "sends Retry-After %s verbatim",
    async (retryAfter) => {
      fixture.emulator.fault("createSession", { status: 429, retryAfter });
      const response = await createRaw();

      expect(response.status).toBe(429);
      expect(response.headers.get("retry-after")).toBe(String(retryAfter));
    },
  );

  it("adds custom headers", async () => {
    fixture.emulator.fault("createSession", {
      status: 503,
      headers: { "x-ms-ags-diagnostic": "abc" },
    });
    const response = await createRaw();

    expect(response.headers.get("x-ms-ags-diagnostic")).toBe("abc");
  });

  it("sends a raw body with its content type instead of the envelope", async () => {
    const body = "<html><body>Bad gateway</body></html>";
    fixture.emulator.fault("createSession", { status: 502, body, contentType: "text/html" });
    const response = await createRaw();

    expect(response.status).toBe(502);
    expect(response.headers.get("content-type")).toBe("text/html");
    expect(await response.text()).toBe(body);
  });

  it("sends a malformed JSON body verbatim", async () => {
    fixture.emulator.fault("createSession", {
      status: 500,
      body: '{"error": {"code"',
      contentType: "application/json",
    });
    const response = await createRaw();

    expect(await response.text()).toBe('{"error": {"code"');
  });
});

describe("connection faults", () => {
  it("drops the socket without an answer", async () => {
    fixture.emulator.fault("createSession", { drop: true });
    const error = await failure(createCall().post({}));

    expect(error.statusCode).toBe(-1);
    expect(fixture.emulator.requests[0]?.answeredWith).toBe("drop");
  });

  it("hangs until the client aborts", async () => {
    fixture.emulator.fault("createSession", { hang: true });
    const controller = new AbortController();
    const call = createCall().option("signal", controller.signal).post({});

    await vi.waitFor(() => expect(fixture.emulator.requests[0]?.answeredWith).toBe("hang"));
    controller.abort();
    const error = await failure(call);

    expect(error.statusCode).toBe(-1);
    expect(error.code).toBe("AbortError");
  });

  it("closes promptly while a request hangs", async () => {
    fixture.emulator.fault("createSession", { hang: true });
    const call = failure(createCall().post({}));
    await vi.waitFor(() => expect(fixture.emulator.requests).toHaveLength(1));

    const started = Date.now();
    await fixture.emulator.close();
    await fixture.emulator.close();

    expect(Date.now() - started).toBeLessThan(1000);
    expect((await call).statusCode).toBe(-1);
  });
});

describe("delays", () => {
  it("delays, then serves normally when the fault has only delayMs", async () => {
    fixture.emulator.fault("createSession", { delayMs: 30 });
    const started = performance.now();
    const body = await createCall().post({});

    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(body.persistChanges).toBe(true);
  });

  it("adds headers to a normal answer when the fault has only delay and headers", async () => {
    fixture.emulator.fault("createSession", { delayMs: 1, headers: { "x-test": "yes" } });
    const response = await createRaw();

    expect(response.status).toBe(201);
    expect(response.headers.get("x-test")).toBe("yes");
  });

  it("delays with the global timer, so fake timers control it", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    fixture.emulator.fault("createSession", { delayMs: 60_000, status: 504 });
    let settled = false;
    const call = failure(createCall().post({})).finally(() => {
      settled = true;
    });

    await vi.waitFor(() => expect(fixture.emulator.requests).toHaveLength(1));
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);

    expect((await call).statusCode).toBe(504);
  });
});

describe("fault selection", () => {
  it("lets match pick requests, e.g. path-addressed items only", async () => {
    fixture.emulator.fault("createSession", {
      status: 403,
      code: "AccessDenied",
      message: "Could not obtain a WAC access token.",
      match: (request) => request.workbook?.startsWith("path:") ?? false,
      times: Number.POSITIVE_INFINITY,
    });

    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await failure(createCall("/me/drive/root:/Book.xlsx:").post({}));
      expect([error.statusCode, error.code]).toEqual([403, "AccessDenied"]);
    }
    await expect(createCall("/me/drive/items/A").post({})).resolves.toHaveProperty("id");
  });

  it("applies a fault the given number of times", async () => {
    fixture.emulator.fault("createSession", { status: 503, times: 2 });
    const statuses = [];
    for (let attempt = 0; attempt < 3; attempt++) statuses.push((await createRaw()).status);

    expect(statuses).toEqual([503, 503, 201]);
  });

  it("plays queued faults in order", async () => {
    fixture.emulator.fault("createSession", { status: 429 }, { status: 503 });
    const statuses = [];
    for (let attempt = 0; attempt < 3; attempt++) statuses.push((await createRaw()).status);

    expect(statuses).toEqual([429, 503, 201]);
  });

  it("applies * faults to every route, after the route's own faults", async () => {
    fixture.emulator.fault("*", { status: 500, times: 2 }).fault("createSession", { status: 429 });
    const first = await createRaw();
    const second = await createRaw();
    const worksheets = fixture.client
      .api("/me/drive/items/A/workbook/worksheets")
      .middlewareOptions(noRetry);

    expect([first.status, second.status]).toEqual([429, 500]);
    expect((await failure(worksheets.get())).statusCode).toBe(500);
    expect((await createRaw()).status).toBe(201);
  });

  it("fails every third row append (a counting matcher)", async () => {
    let appends = 0;
    fixture.emulator.fault("addRow", {
      status: 500,
      code: "GenericFileOpenError",
      innerCode: "internalServerErrorUncategorized",
      times: Number.POSITIVE_INFINITY,
      match: () => ++appends % 3 === 0,
    });
    const statuses = [];
    for (let row = 0; row < 6; row++) {
      const call = fixture.client
        .api("/me/drive/items/A/workbook/tables('T')/rows/add")
        .middlewareOptions(noRetry)
        .responseType(ResponseType.RAW);
      statuses.push((await call.post({ values: [[row]] })).status);
    }

    expect(statuses).toEqual([201, 201, 500, 201, 201, 500]);
  });

  it("clears queued faults", async () => {
    fixture.emulator.fault("createSession", { status: 503, times: Number.POSITIVE_INFINITY });
    fixture.emulator.clearFaults();

    expect((await createRaw()).status).toBe(201);
  });

  it("rejects unknown routes and invalid times", () => {
    expect(() => fixture.emulator.fault("nope" as "range", { status: 500 })).toThrow(TypeError);
    expect(() => fixture.emulator.fault("range", { status: 500, times: 0 })).toThrow(RangeError);
  });
});

describe("rateLimitFault", () => {
  it("answers 429 beyond the limit within the window, and recovers after it", async () => {
    let now = 0;
    fixture.emulator.configure({ now: () => now });
    fixture.emulator.fault("addRow", rateLimitFault({ limit: 2, windowMs: 1000, retryAfter: 3 }));
    const append = async () => {
      const call = fixture.client
        .api("/me/drive/items/A/workbook/tables('T')/rows/add")
        .middlewareOptions(noRetry)
        .responseType(ResponseType.RAW);
      const response: Response = await call.post({ values: [["x"]] });
      return [response.status, response.headers.get("retry-after")];
    };

    expect([await append(), await append(), await append()]).toEqual([
      [201, null],
      [201, null],
      [429, "3"],
    ]);
    now = 1000;
    expect(await append()).toEqual([201, null]);
  });
});
