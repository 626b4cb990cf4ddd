import { GraphError, RetryHandlerOptions } from "@microsoft/microsoft-graph-client";
import { createEmulatorClient } from "graph-workbook-session/testing";
import { describe, expect, it } from "vitest";
import { useEmulator } from "./support/emulator-fixture";

const fixture = useEmulator();

const noRetry = [new RetryHandlerOptions(0, 0)];

async function failure(call: Promise<unknown>): Promise<GraphError> {
  const outcome = await call.then(
    () => new Error("expected the call to fail"),
    (error: unknown) => error,
  );
  if (outcome instanceof GraphError) return outcome;
  throw outcome;
}

function innerCode(error: GraphError): unknown {
  return JSON.parse(error.body as string).innerError?.code;
}

async function create(address: string, persistChanges = true): Promise<string> {
  const body = await fixture.client
    .api(`${address}/workbook/createSession`)
    .post({ persistChanges });
  return body.id as string;
}

function sessionCall(address: string, action: string, id: string) {
  return fixture.client
    .api(`${address}/workbook/${action}`)
    .header("workbook-session-id", id)
    .middlewareOptions(noRetry)
    .post({});
}

describe("session lifecycle through every address form", () => {
  const forms: [string, string][] = [
    ["/me/drive/items/ITEM1", "item:ITEM1"],
    ["/me/drive/root:/Book.xlsx:", "path:Book.xlsx"],
    ["/drives/d1/items/ITEM2", "item:ITEM2"],
    ["/drives/d1/root:/folder/Book.xlsx:", "path:folder/Book.xlsx"],
    ["/sites/s1/drive/items/ITEM3", "item:ITEM3"],
    ["/sites/s1/drives/d1/items/ITEM4", "item:ITEM4"],
    ["/sites/s1/drive/root:/Shared/Book.xlsx:", "path:Shared/Book.xlsx"],
    ["/users/u1/drive/items/ITEM5", "item:ITEM5"],
    ["/users/u1/drive/root:/u/Book.xlsx:", "path:u/Book.xlsx"],
    ["/groups/g1/drive/items/ITEM6", "item:ITEM6"],
    ["/groups/g1/drive/root:/g/Book.xlsx:", "path:g/Book.xlsx"],
    ["/workbooks/ITEM7", "item:ITEM7"],
  ];

  it.each(forms)("creates, refreshes and closes through %s", async (address, key) => {
    const id = await create(address);
    expect(fixture.emulator.sessions()).toEqual([expect.objectContaining({ id, workbook: key })]);

    await expect(sessionCall(address, "refreshSession", id)).resolves.toBeUndefined();
    await expect(sessionCall(address, "closeSession", id)).resolves.toBeUndefined();

    expect(fixture.emulator.sessions()).toEqual([]);
    const answers = fixture.emulator.requests.map((request) => [
      request.route,
      request.answeredWith,
    ]);
    expect(answers).toEqual([
      ["createSession", 201],
      ["refreshSession", 204],
      ["closeSession", 204],
    ]);
  });

  it("shares one workbook between item-id forms and /workbooks/{id}", async () => {
    const id = await create("/me/drive/items/SHARED");

    await sessionCall("/drives/d9/items/SHARED", "refreshSession", id);
    await sessionCall("/sites/s9/drives/d9/items/SHARED", "refreshSession", id);
    await sessionCall("/workbooks/SHARED", "closeSession", id);

    expect(fixture.emulator.requests.map((request) => request.answeredWith)).toEqual([
      201, 204, 204, 204,
    ]);
  });

  it("decodes path forms with spaces and escaped characters, sharing by decoded path", async () => {
    const encoded = ["Q1 Reports", "Sales #1 (é).xlsx"].map(encodeURIComponent).join("/");
    const id = await create(`/me/drive/root:/${encoded}:`);

    expect(fixture.emulator.sessions()[0]?.workbook).toBe("path:Q1 Reports/Sales #1 (é).xlsx");
    await sessionCall(`/users/someone/drive/root:/${encoded}:`, "refreshSession", id);
    expect(fixture.emulator.requests[1]?.answeredWith).toBe(204);
  });

  it("accepts beta and case-insensitive names such as CreateSession", async () => {
    const body = await fixture.client
      .api("/ME/Drive/Items/X/workbook/CreateSession")
      .version("beta")
      .post({});

    expect(body).toMatchObject({ persistChanges: true });
    expect(body["@odata.context"]).toBe(
      "https://graph.microsoft.com/beta/$metadata#microsoft.graph.workbookSessionInfo",
    );
    expect(fixture.emulator.requests[0]?.route).toBe("createSession");
  });
});

describe("createSession", () => {
  it("answers 201 with an opaque, header-safe, unique id", async () => {
    const first = await create("/me/drive/items/A", false);
    const second = await create("/me/drive/items/A");

    expect(first).toMatch(/^[A-Za-z0-9_-]{40,}=*$/);
    expect(first).not.toBe(second);
    expect(fixture.emulator.sessions().map((session) => session.persistChanges)).toEqual([
      false,
      true,
    ]);
  });

  it("defaults persistChanges to true and records extra body fields", async () => {
    const body = await fixture.client
      .api("/me/drive/items/A/workbook/createSession")
      .post({ commitExplicitly: true });

    expect(body.persistChanges).toBe(true);
    expect(fixture.emulator.requests[0]?.body).toEqual({ commitExplicitly: true });
  });

  it("rejects a non-boolean persistChanges with 400 invalidArgument", async () => {
    const call = fixture.client
      .api("/me/drive/items/A/workbook/createSession")
      .post({ persistChanges: "yes" });
    const error = await failure(call);

    expect(error.statusCode).toBe(400);
    expect(innerCode(error)).toBe("invalidArgument");
  });

  it("rejects malformed JSON with 400", async () => {
    const response = await fetch(
      `${fixture.emulator.url}/v1.0/me/drive/items/A/workbook/createSession`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{not json",
      },
    );

    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe("badRequest");
    expect(fixture.emulator.requests[0]?.body).toBe("{not json");
  });

  it("answers 429 once a workbook holds maxSessionsPerWorkbook sessions", async () => {
    fixture.emulator.configure({ maxSessionsPerWorkbook: 2 });
    await create("/me/drive/items/A");
    await create("/me/drive/items/A");
    await create("/me/drive/items/OTHER");

    const call = fixture.client
      .api("/me/drive/items/A/workbook/createSession")
      .middlewareOptions(noRetry);
    const error = await failure(call.post({}));

    expect(error.statusCode).toBe(429);
    expect(innerCode(error)).toBe("tooManyRequestsUncategorized");
  });
});

describe("refreshSession and closeSession", () => {
  it.each(["refreshSession", "closeSession"])(
    "%s without the session header answers 400 badRequest",
    async (action) => {
      await create("/me/drive/items/A");
      const call = fixture.client
        .api(`/me/drive/items/A/workbook/${action}`)
        .middlewareOptions(noRetry);
      const error = await failure(call.post({}));

      expect(error.statusCode).toBe(400);
      expect(error.code).toBe("badRequest");
      expect(innerCode(error)).toBe("badRequestUncategorized");
      expect(error.message).toContain("workbook-session-id");
    },
  );

  it.each(["Workbook-Session-Id", "workbook-session-id", "WORKBOOK-SESSION-ID"])(
    "accepts the header spelled %s",
    async (name) => {
      const id = await create("/me/drive/items/A");
      const call = fixture.client.api("/me/drive/items/A/workbook/refreshSession").header(name, id);

      await expect(call.post({})).resolves.toBeUndefined();
      expect(fixture.emulator.requests[1]?.sessionId).toBe(id);
    },
  );

  it("answers an unknown id with 404 ItemNotFound / invalidSessionReCreatable", async () => {
    const error = await failure(sessionCall("/me/drive/items/A", "refreshSession", "nope"));

    expect(error.statusCode).toBe(404);
    expect(error.code).toBe("ItemNotFound");
    expect(innerCode(error)).toBe("invalidSessionReCreatable");
  });

  it("treats a closed session as gone", async () => {
    const id = await create("/me/drive/items/A");
    await sessionCall("/me/drive/items/A", "closeSession", id);

    const error = await failure(sessionCall("/me/drive/items/A", "refreshSession", id));
    expect(error.statusCode).toBe(404);
  });

  it("does not let a session be used through another workbook", async () => {
    const id = await create("/me/drive/items/A");
    const error = await failure(sessionCall("/me/drive/items/B", "refreshSession", id));

    expect(error.statusCode).toBe(404);
    expect(fixture.emulator.sessions()).toHaveLength(1);
  });

  it("answers with a configured expired-session error", async () => {
    fixture.emulator.configure({
      expiredSessionError: {
        status: 400,
        code: "InvalidSession",
        innerCode: "invalidSessionNotFound",
      },
    });
    const error = await failure(sessionCall("/me/drive/items/A", "closeSession", "gone"));

    expect(error.statusCode).toBe(400);
    expect(error.code).toBe("InvalidSession");
    expect(innerCode(error)).toBe("invalidSessionNotFound");
  });
});

describe("requireToken", () => {
  it("answers 401 InvalidAuthenticationToken without a bearer token", async () => {
    fixture.emulator.configure({ requireToken: "secret" });
    const url = `${fixture.emulator.url}/v1.0/me/drive/items/A/workbook/createSession`;
    const response = await fetch(url, { method: "POST" });
    const body = await response.json();

    expect(response.status).toBe(401);
    expect(body.error.code).toBe("InvalidAuthenticationToken");
    expect(body.error.innerError.code).toBe("unauthorizedUncategorized");
  });

  it("answers 401 to a client with the wrong token", async () => {
    fixture.emulator.configure({ requireToken: "secret" });
    const wrong = createEmulatorClient(fixture.emulator, { token: "other" });
    const call = wrong.api("/me/drive/items/A/workbook/createSession").middlewareOptions(noRetry);
    const error = await failure(call.post({}));

    expect(error.statusCode).toBe(401);
    expect(error.code).toBe("InvalidAuthenticationToken");
  });

  it("accepts the token sent by the Graph client's own auth and telemetry middleware", async () => {
    fixture.emulator.configure({ requireToken: "secret" });
    const authed = createEmulatorClient(fixture.emulator.url, { token: async () => "secret" });
    await authed.api("/me/drive/items/A/workbook/createSession").post({});

    const headers = fixture.emulator.requests[0]?.headers ?? {};
    expect(fixture.emulator.requests[0]?.answeredWith).toBe(201);
    expect(headers.authorization).toBe("Bearer secret");
    expect(headers.sdkversion).toMatch(/^graph-js\//);
    expect(headers["client-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("can be switched off again at runtime", async () => {
    fixture.emulator.configure({ requireToken: "secret" });
    fixture.emulator.configure({ requireToken: undefined });

    await expect(create("/me/drive/items/A")).resolves.toEqual(expect.any(String));
  });
});

describe("routing and error envelopes", () => {
  it("answers an unknown route with a 404 Graph envelope", async () => {
    const response = await fetch(`${fixture.emulator.url}/v1.0/me/messages`);
    const body = await response.json();

    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(body.error).toMatchObject({
      code: "itemNotFound",
      innerError: { code: "notFoundUncategorized" },
    });
    expect(body.error.innerError).toHaveProperty("request-id");
    expect(body.error.innerError).toHaveProperty("date");
    expect(fixture.emulator.requests[0]?.route).toBe("unknown");
  });

  it("answers a known route with the wrong method with 405", async () => {
    const error = await failure(
      fixture.client.api("/me/drive/items/A/workbook/createSession").get(),
    );

    expect(error.statusCode).toBe(405);
    expect(innerCode(error)).toBe("methodNotAllowedUncategorized");
  });

  it("echoes client-request-id inside the error envelope", async () => {
    const call = fixture.client
      .api("/me/drive/items/A/workbook/refreshSession")
      .header("client-request-id", "my-id")
      .header("workbook-session-id", "x");
    const error = await failure(call.post({}));

    expect(JSON.parse(error.body as string).innerError["client-request-id"]).toBe("my-id");
  });
});

describe("the emulator client", () => {
  it("refuses to send a request to a host other than Graph", async () => {
    const error = await failure(fixture.client.api("https://elsewhere.example.com/v1.0/me").get());

    expect(error.message).toContain("only talks to https://graph.microsoft.com");
    expect(fixture.emulator.requests).toEqual([]);
  });

  it("accepts the emulator origin with a trailing slash", async () => {
    const other = createEmulatorClient(`${fixture.emulator.url}/`);

    await expect(other.api("/me/drive/items/A/workbook/worksheets").get()).resolves.toBeDefined();
  });

  it("keeps the Graph client's default retry handler in the chain", async () => {
    fixture.emulator.fault("createSession", { status: 429, retryAfter: 0, times: 2 });
    await create("/me/drive/items/A");

    const attempts = fixture.emulator.requests.map((request) => request.headers["retry-attempt"]);
    expect(attempts).toEqual([undefined, "1", "2"]);
  });
});

describe("recording", () => {
  it("records each request with its route, workbook, headers, body and answer", async () => {
    const id = await create("/me/drive/items/A");
    await sessionCall("/me/drive/items/A", "refreshSession", id);
    const [first, second] = fixture.emulator.requests;

    expect(first).toMatchObject({
      seq: 1,
      method: "POST",
      path: "/v1.0/me/drive/items/A/workbook/createSession",
      route: "createSession",
      workbook: "item:A",
      body: { persistChanges: true },
      sessionId: null,
      answeredWith: 201,
    });
    expect(first?.headers["content-type"]).toContain("application/json");
    expect(second).toMatchObject({ seq: 2, route: "refreshSession", sessionId: id });
    expect(typeof first?.time).toBe("number");
  });

  it("filters by route and keeps numbering across clearRequests", async () => {
    const id = await create("/me/drive/items/A");
    await sessionCall("/me/drive/items/A", "refreshSession", id);
    expect(fixture.emulator.requestsTo("refreshSession")).toHaveLength(1);

    fixture.emulator.clearRequests();
    await sessionCall("/me/drive/items/A", "closeSession", id);
    expect(fixture.emulator.requests.map((request) => request.seq)).toEqual([3]);
  });

  it("exposes its origin without a trailing slash", () => {
    expect(fixture.emulator.url).toBe(`http://127.0.0.1:${fixture.emulator.port}`);
  });
});

describe("CORS", () => {
  it("answers a preflight with the allowed methods and headers", async () => {
    const response = await fetch(
      `${fixture.emulator.url}/v1.0/me/drive/items/A/workbook/createSession`,
      {
        method: "OPTIONS",
        headers: { origin: "http://app.test", "access-control-request-method": "POST" },
      },
    );
    const allowed = response.headers.get("access-control-allow-headers") ?? "";

    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://app.test");
    expect(response.headers.get("access-control-allow-methods")).toContain("PATCH");
    expect(allowed).toContain("workbook-session-id");
    expect(allowed).toContain("prefer");
  });

  it("exposes Location but not Retry-After by default, like Graph", async () => {
    const response = await fetch(
      `${fixture.emulator.url}/v1.0/me/drive/items/A/workbook/createSession`,
      {
        method: "POST",
        headers: { origin: "http://app.test" },
      },
    );

    expect(response.headers.get("access-control-allow-origin")).toBe("http://app.test");
    expect(response.headers.get("access-control-expose-headers")).toBe("Location");
  });
});
