import { ResponseType } from "@microsoft/microsoft-graph-client";
import {
  createEmulatorClient,
  startEmulator,
  WorkbookEmulator,
} from "graph-workbook-session/testing";
import { afterEach, describe, expect, it } from "vitest";
import { resolveSettings } from "../src/testing/resolved-settings";
import { SessionRegistry } from "../src/testing/session-registry";
import { WorkbookData } from "../src/testing/workbook-data";

const WORKBOOK = "/me/drive/items/KEEP/workbook";
const HOUR = 3_600_000;

let emulator: WorkbookEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(options: Parameters<typeof startEmulator>[0]) {
  emulator = await startEmulator(options);
  return { emulator, client: createEmulatorClient(emulator) };
}

describe("the emulator's request log", () => {
  it("keeps the latest maxRecordedRequests requests, numbering on", async () => {
    const { emulator, client } = await start({ maxRecordedRequests: 2 });

    for (let call = 0; call < 3; call += 1) await client.api(`${WORKBOOK}/worksheets`).get();

    expect(emulator.requests.map((request) => request.seq)).toEqual([2, 3]);
    expect(emulator.requestsTo("worksheets")).toHaveLength(2);
  });

  it("keeps none with 0, and still answers", async () => {
    const { emulator, client } = await start({ maxRecordedRequests: 0 });

    const answer = await client.api(`${WORKBOOK}/worksheets`).get();

    expect(answer.value).toEqual(expect.any(Array));
    expect(emulator.requests).toEqual([]);
  });

  it("keeps every request by default", async () => {
    const { emulator, client } = await start({});

    for (let call = 0; call < 5; call += 1) await client.api(`${WORKBOOK}/worksheets`).get();

    expect(emulator.requests).toHaveLength(5);
  });

  it.each([
    [-1, "-1"],
    [1.5, "1.5"],
    [Number.NaN, "NaN"],
    ["10", '"10"'],
  ])("refuses maxRecordedRequests %s", async (limit, shown) => {
    await expect(startEmulator({ maxRecordedRequests: limit as number })).rejects.toThrow(
      new RangeError(`maxRecordedRequests must be an integer ≥ 0 or Infinity, got ${shown}.`),
    );
  });
});

describe("WorkbookEmulator.start", () => {
  it("works detached from the class, as startEmulator and callbacks use it", async () => {
    const { start } = WorkbookEmulator;

    emulator = await start();

    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe("an emulator whose clock throws", () => {
  it("answers 500 saying so, and serves again once the clock works", async () => {
    const { emulator } = await start({
      now: () => {
        throw new Error("the clock broke");
      },
    });
    const url = `${emulator.url}/v1.0${WORKBOOK}/worksheets`;

    const broken = await fetch(url);
    emulator.configure({ now: undefined });
    const mended = await fetch(url);

    expect(broken.status).toBe(500);
    expect(await broken.text()).toBe(
      "The emulator failed before answering: Error: the clock broke",
    );
    expect(mended.status).toBe(200);
  });
});

describe("createEmulatorClient", () => {
  it("reaches an emulator given by its URL, with or without a trailing slash", async () => {
    const { emulator } = await start({});

    const answer = await createEmulatorClient(`${emulator.url}/`)
      .api(`${WORKBOOK}/worksheets`)
      .get();

    expect(answer.value).toEqual(expect.any(Array));
  });

  it.each([
    ["127.0.0.1:4000", '"127.0.0.1:4000"'],
    ["ftp://127.0.0.1:4000", '"ftp://127.0.0.1:4000"'],
    ["", '""'],
  ])("refuses %j, which is not an http URL", (target, shown) => {
    expect(() => createEmulatorClient(target)).toThrow(
      new TypeError(
        'createEmulatorClient needs the emulator, or its URL such as "http://127.0.0.1:4000", ' +
          `got ${shown}.`,
      ),
    );
  });
});

describe("what the emulator lets go of", () => {
  it("forgets a long-running creation an hour after it started", async () => {
    let now = 1_000_000;
    const { client } = await start({ now: () => now, asyncCreate: { mode: "async" } });
    const startCreation = async () => {
      const response: Response = await client
        .api(`${WORKBOOK}/createSession`)
        .header("Prefer", "respond-async")
        .responseType(ResponseType.RAW)
        .post({ persistChanges: true });
      return response.headers.get("location") ?? "";
    };
    const poll = async (location: string): Promise<number> => {
      const response: Response = await client.api(location).responseType(ResponseType.RAW).get();
      return response.status;
    };

    const early = await startCreation();
    now += HOUR;
    const late = await startCreation();
    expect(await poll(early)).toBe(200);

    now += 1;
    await startCreation();
    expect(await poll(early)).toBe(404);
    expect(await poll(late)).toBe(200);
  });

  it("drops sessions that expired unclosed when the next one opens", () => {
    let now = 0;
    const settings = resolveSettings({ now: () => now });
    const registry = new SessionRegistry(() => settings);
    const data = new WorkbookData();
    const live = () => (registry as unknown as { live: Map<string, unknown> }).live;

    registry.open("item:A", data, true);
    registry.open("item:A", data, false);
    now += settings.lifetime.persistent + 1;
    registry.open("item:A", data, true);

    // The non-persistent session lives longer; the first persistent one is gone.
    expect(live().size).toBe(2);
  });
});
