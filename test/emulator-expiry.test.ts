import type { Client } from "@microsoft/microsoft-graph-client";
import { RetryHandlerOptions } from "@microsoft/microsoft-graph-client";
import type { WorkbookEmulator } from "graph-workbook-session/testing";
import { createEmulatorClient, startEmulator } from "graph-workbook-session/testing";
import { afterEach, describe, expect, it, vi } from "vitest";

const MINUTE = 60_000;
const ADDRESS = "/me/drive/items/ITEM";
const noRetry = [new RetryHandlerOptions(0, 0)];

let emulator: WorkbookEmulator;
let client: Client;

async function setUp(options: Parameters<typeof startEmulator>[0] = {}) {
  emulator = await startEmulator(options);
  client = createEmulatorClient(emulator);
}

afterEach(async () => {
  vi.useRealTimers();
  await emulator.close();
});

async function create(persistChanges: boolean): Promise<string> {
  const body = await client.api(`${ADDRESS}/workbook/createSession`).post({ persistChanges });
  return body.id as string;
}

async function refresh(id: string): Promise<number> {
  const call = client
    .api(`${ADDRESS}/workbook/refreshSession`)
    .header("workbook-session-id", id)
    .middlewareOptions(noRetry);
  return call.post({}).then(
    () => 204,
    (error: { statusCode: number }) => error.statusCode,
  );
}

describe("inactivity expiry with fake Date", () => {
  it("expires a persistent session after 5 minutes without activity", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    await setUp();
    const id = await create(true);

    vi.setSystemTime(Date.now() + 5 * MINUTE - 1);
    expect(await refresh(id)).toBe(204);

    vi.setSystemTime(Date.now() + 5 * MINUTE + 1);
    expect(await refresh(id)).toBe(404);
    expect(emulator.sessions()).toEqual([]);
  });

  it("keeps a non-persistent session for 7 minutes", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    await setUp();
    const id = await create(false);

    vi.setSystemTime(Date.now() + 6 * MINUTE);
    expect(await refresh(id)).toBe(204);

    vi.setSystemTime(Date.now() + 7 * MINUTE + 1);
    expect(await refresh(id)).toBe(404);
  });

  it("answers an expired session with invalidSessionReCreatable", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    await setUp();
    const id = await create(true);
    vi.setSystemTime(Date.now() + 6 * MINUTE);

    const error = await client
      .api(`${ADDRESS}/workbook/worksheets`)
      .header("workbook-session-id", id)
      .get()
      .catch((caught: { statusCode: number; body: string }) => caught);
    expect(error.statusCode).toBe(404);
    expect(JSON.parse(error.body).innerError.code).toBe("invalidSessionReCreatable");
  });
});

describe("inactivity expiry with every timer faked", () => {
  it("expires sessions as fake time advances, with the client's retry sleep faked too", async () => {
    vi.useFakeTimers();
    await setUp();
    const id = await create(true);
    await vi.advanceTimersByTimeAsync(5 * MINUTE + 1);
    expect(await refresh(id)).toBe(404);

    emulator.fault("createSession", { status: 503 });
    let created: string | undefined;
    void create(true).then((id) => {
      created = id;
    });
    // The retry sleep starts only once the 503 has come back over a real socket, so the fake
    // clock is moved on in small steps until the retried request has succeeded.
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(500);
      expect(created).toEqual(expect.any(String));
    });
    expect(emulator.requestsTo("createSession").map((r) => r.answeredWith)).toEqual([
      201, 503, 201,
    ]);
  });
});

describe("inactivity expiry with an injected clock", () => {
  it("lets timely refreshes keep a persistent session alive indefinitely", async () => {
    let now = 1_000_000;
    await setUp({ now: () => now });
    const id = await create(true);

    for (let step = 0; step < 6; step++) {
      now += 4 * MINUTE;
      expect(await refresh(id)).toBe(204);
    }
    expect(emulator.sessions()[0]).toMatchObject({ createdAt: 1_000_000, lastActivityAt: now });
  });

  it("counts every sessionful call as activity", async () => {
    let now = 0;
    await setUp({ now: () => now });
    const id = await create(true);

    now = 3 * MINUTE;
    await client.api(`${ADDRESS}/workbook/worksheets`).header("workbook-session-id", id).get();
    now = 7 * MINUTE;
    expect(await refresh(id)).toBe(204);
  });

  it("does not count sessionless calls as activity", async () => {
    let now = 0;
    await setUp({ now: () => now });
    const id = await create(true);

    now = 3 * MINUTE;
    await client.api(`${ADDRESS}/workbook/worksheets`).get();
    now = 5 * MINUTE + 1;
    expect(await refresh(id)).toBe(404);
  });

  it("honours configured lifetimes, also changed at runtime", async () => {
    let now = 0;
    await setUp({ now: () => now, sessionLifetime: { persistent: 1000 } });
    const persistent = await create(true);
    const nonPersistent = await create(false);

    now = 1001;
    expect(await refresh(persistent)).toBe(404);
    expect(await refresh(nonPersistent)).toBe(204);

    emulator.configure({ sessionLifetime: { nonPersistent: 10 } });
    now = 1012;
    expect(await refresh(nonPersistent)).toBe(404);
  });

  it("records request times from the clock", async () => {
    let now = 42;
    await setUp({ now: () => now });
    await create(true);
    now = 43;
    await create(true);

    expect(emulator.requests.map((request) => request.time)).toEqual([42, 43]);
  });
});

describe("forced expiry", () => {
  it("expires one session on demand", async () => {
    await setUp();
    const kept = await create(true);
    const dropped = await create(true);

    expect(emulator.expireSession(dropped)).toBe(true);
    expect(emulator.expireSession(dropped)).toBe(false);
    expect(await refresh(dropped)).toBe(404);
    expect(await refresh(kept)).toBe(204);
  });

  it("returns false for an id it never gave out, and leaves live sessions alone", async () => {
    await setUp();
    const kept = await create(true);

    expect(emulator.expireSession("nope")).toBe(false);
    expect(emulator.sessions().map((session) => session.id)).toEqual([kept]);
    expect(await refresh(kept)).toBe(204);
  });

  it("returns false, without throwing, for a session that already idled out", async () => {
    let now = 0;
    await setUp({ now: () => now });
    const idled = await create(true);
    now = 5 * MINUTE + 1;

    expect(emulator.expireSession(idled)).toBe(false);
  });

  it("expires every session on demand", async () => {
    await setUp();
    const first = await create(true);
    await create(false);

    expect(emulator.expireAllSessions()).toBe(2);
    expect(emulator.sessions()).toEqual([]);
    expect(await refresh(first)).toBe(404);
  });
});
