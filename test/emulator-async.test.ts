import { GraphError, ResponseType } from "@microsoft/microsoft-graph-client";
import { describe, expect, it } from "vitest";
import { useEmulator } from "./support/emulator-fixture";

const fixture = useEmulator({ asyncCreate: { mode: "async" } });

const ADDRESS = "/me/drive/items/ITEM";

async function createAsync(address = ADDRESS, persistChanges = true): Promise<Response> {
  return fixture.client
    .api(`${address}/workbook/createSession`)
    .header("Prefer", "respond-async")
    .responseType(ResponseType.RAW)
    .post({ persistChanges });
}

async function pollStatuses(location: string, count: number): Promise<Record<string, unknown>[]> {
  const answers: Record<string, unknown>[] = [];
  for (let poll = 0; poll < count; poll++) answers.push(await fixture.client.api(location).get());
  return answers;
}

describe("asynchronous createSession", () => {
  it("answers 202 with an empty JSON body and a Location on the Graph host", async () => {
    const response = await createAsync();
    const location = response.headers.get("location") ?? "";

    expect(response.status).toBe(202);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({});
    expect(location).toMatch(/^https:\/\/graph\.microsoft\.com\/v1\.0\/me\/drive\/items\/ITEM\//);
    expect(location).toMatch(/\/workbook\/operations\/[\w-]+$/);
  });

  it("polls running twice, then succeeded with a resourceLocation giving the session", async () => {
    const location = (await createAsync(ADDRESS, false)).headers.get("location") ?? "";
    const [first, second, third] = await pollStatuses(location, 3);
    const operationId = location.split("/").pop();

    expect([first?.status, second?.status, third?.status]).toEqual([
      "running",
      "running",
      "succeeded",
    ]);
    expect(first).toEqual({ id: operationId, status: "running" });
    const workbook = "https://graph.microsoft.com/v1.0/me/drive/items/ITEM/workbook";
    expect(third?.resourceLocation).toBe(`${workbook}/sessionInfoResource(key='${operationId}')`);

    const info = await fixture.client.api(third?.resourceLocation as string).get();
    expect(info).toMatchObject({ persistChanges: false });
    expect(fixture.emulator.sessions()).toEqual([
      expect.objectContaining({ id: info.id, persistChanges: false, workbook: "item:ITEM" }),
    ]);
    expect(fixture.emulator.requestsTo("operation")).toHaveLength(3);
    expect(fixture.emulator.requestsTo("sessionInfo")).toHaveLength(1);
  });

  it("creates the session only when the operation succeeds, and it works afterwards", async () => {
    const location = (await createAsync()).headers.get("location") ?? "";
    await pollStatuses(location, 2);
    expect(fixture.emulator.sessions()).toEqual([]);

    const [done] = await pollStatuses(location, 1);
    const info = await fixture.client.api(done?.resourceLocation as string).get();
    const refresh = fixture.client
      .api(`${ADDRESS}/workbook/refreshSession`)
      .header("workbook-session-id", info.id);
    await expect(refresh.post({})).resolves.toBeUndefined();
  });

  it("keeps answering the final status once reached", async () => {
    fixture.emulator.configure({ asyncCreate: { runningPolls: 0 } });
    const location = (await createAsync()).headers.get("location") ?? "";
    const answers = await pollStatuses(location, 3);

    expect(answers.map((answer) => answer.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(fixture.emulator.sessions()).toHaveLength(1);
  });

  it("starts with notStarted polls when configured", async () => {
    fixture.emulator.configure({ asyncCreate: { notStartedPolls: 1, runningPolls: 1 } });
    const location = (await createAsync()).headers.get("location") ?? "";
    const answers = await pollStatuses(location, 3);

    expect(answers.map((answer) => answer.status)).toEqual(["notStarted", "running", "succeeded"]);
  });

  it("spells statuses in pascal case when configured", async () => {
    fixture.emulator.configure({ asyncCreate: { statusCasing: "pascal", notStartedPolls: 1 } });
    const location = (await createAsync()).headers.get("location") ?? "";
    const answers = await pollStatuses(location, 4);

    expect(answers.map((answer) => answer.status)).toEqual([
      "NotStarted",
      "Running",
      "Running",
      "Completed",
    ]);
    expect(answers[3]?.resourceLocation).toEqual(expect.any(String));
  });

  it("ends failed with status 200 and the default three-level error", async () => {
    fixture.emulator.configure({ asyncCreate: { outcome: "failed", runningPolls: 1 } });
    const location = (await createAsync()).headers.get("location") ?? "";
    const [running, failed] = await pollStatuses(location, 2);

    expect(running?.status).toBe("running");
    expect(failed).toMatchObject({
      status: "failed",
      error: {
        code: "internalServerError",
        innerError: {
          code: "internalServerErrorUncategorized",
          innerError: { code: "GenericFileOpenError", message: "The workbook cannot be opened." },
        },
      },
    });
    expect(failed).not.toHaveProperty("resourceLocation");
    expect(fixture.emulator.sessions()).toEqual([]);
    expect(fixture.emulator.requestsTo("operation").map((r) => r.answeredWith)).toEqual([200, 200]);
  });

  it("reports a configured failure error", async () => {
    const failure = { code: "accessDenied", innerError: { code: "invalidSessionRestricted" } };
    fixture.emulator.configure({ asyncCreate: { outcome: "failed", runningPolls: 0, failure } });
    const location = (await createAsync()).headers.get("location") ?? "";
    const [failed] = await pollStatuses(location, 1);

    expect(failed).toMatchObject({
      status: "failed",
      error: { code: "accessDenied", innerError: { code: "invalidSessionRestricted" } },
    });
  });

  it("answers 404 for an unknown operation or an operation of another workbook", async () => {
    const location = (await createAsync()).headers.get("location") ?? "";
    const operationId = location.split("/").pop();

    for (const path of [
      `${ADDRESS}/workbook/operations/unknown`,
      `/me/drive/items/OTHER/workbook/operations/${operationId}`,
    ]) {
      const error = await fixture.client
        .api(path)
        .get()
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(GraphError);
      expect((error as GraphError).statusCode).toBe(404);
    }
  });

  it("answers 404 for session info before the operation succeeded", async () => {
    const location = (await createAsync()).headers.get("location") ?? "";
    const key = location.split("/").pop();
    const path = `${ADDRESS}/workbook/sessionInfoResource(key='${key}')`;

    await expect(fixture.client.api(path).get()).rejects.toMatchObject({ statusCode: 404 });
  });

  it("writes links on the emulator's own origin when nothing was forwarded", async () => {
    const response = await fetch(`${fixture.emulator.url}/v1.0${ADDRESS}/workbook/createSession`, {
      method: "POST",
      headers: { prefer: "respond-async" },
    });

    expect(response.status).toBe(202);
    expect(response.headers.get("location")).toMatch(
      new RegExp(`^${fixture.emulator.url}/v1\\.0/me/drive/items/ITEM/workbook/operations/`),
    );
  });

  it("uses X-Forwarded-Host with https as the default protocol", async () => {
    const response = await fetch(`${fixture.emulator.url}/v1.0${ADDRESS}/workbook/createSession`, {
      method: "POST",
      headers: { prefer: "respond-async", "x-forwarded-host": "proxy.test:8443" },
    });

    expect(response.headers.get("location")).toMatch(/^https:\/\/proxy\.test:8443\/v1\.0\//);
  });

  it("keeps the address form of the request in the Location", async () => {
    const response = await createAsync("/sites/s1/drive/root:/A%20B/Book.xlsx:");

    const address = "https://graph.microsoft.com/v1.0/sites/s1/drive/root:/A%20B/Book.xlsx:";
    expect(response.headers.get("location")).toContain(`${address}/workbook/operations/`);
  });

  it("sends a configured foreign Location verbatim; the emulator client refuses it", async () => {
    const foreign = "https://attacker.example.com/v1.0/collect";
    fixture.emulator.configure({ asyncCreate: { location: foreign } });
    const response = await createAsync();
    expect(response.headers.get("location")).toBe(foreign);

    const error = await fixture.client
      .api(foreign)
      .get()
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toContain("only talks to https://graph.microsoft.com");
    expect(fixture.emulator.requests).toHaveLength(1);
  });

  it("sends a configured resourceLocation verbatim", async () => {
    const resourceLocation = "https://attacker.example.com/session";
    fixture.emulator.configure({ asyncCreate: { runningPolls: 0, resourceLocation } });
    const location = (await createAsync()).headers.get("location") ?? "";
    const [done] = await pollStatuses(location, 1);

    expect(done?.resourceLocation).toBe(resourceLocation);
  });
});

describe("synchronous answers to async requests", () => {
  it("answers 201 to Prefer: respond-async in the default sync mode", async () => {
    fixture.emulator.configure({ asyncCreate: { mode: "sync" } });
    const response = await createAsync();

    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ persistChanges: true });
    expect(fixture.emulator.requests[0]?.headers.prefer).toBe("respond-async");
  });

  it("answers 201 without Prefer even in async mode", async () => {
    const body = await fixture.client.api(`${ADDRESS}/workbook/createSession`).post({});

    expect(body.id).toEqual(expect.any(String));
  });
});
