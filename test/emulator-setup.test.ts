import { ResponseType } from "@microsoft/microsoft-graph-client";
import {
  createEmulatorClient,
  createTestEnvironment,
  type EmulatorOptions,
  rateLimitFault,
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
    [-1, "-1", RangeError],
    [1.5, "1.5", RangeError],
    [Number.NaN, "NaN", RangeError],
    ["10", '"10"', TypeError],
  ])("refuses maxRecordedRequests %s", async (limit, shown, type) => {
    await expect(startEmulator({ maxRecordedRequests: limit as number })).rejects.toThrow(
      new type(
        "maxRecordedRequests must be a whole number of requests ≥ 0 " +
          `(or Infinity for no limit), got ${shown}.`,
      ),
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

/** Starts an emulator with options the types would refuse, as plain JavaScript could pass. */
function startUnchecked(options: unknown) {
  return startEmulator(options as EmulatorOptions);
}

describe("the emulator's options", () => {
  it("refuses an unknown asyncCreate mode, instead of answering synchronously", async () => {
    await expect(startUnchecked({ asyncCreate: { mode: "asynch" } })).rejects.toThrow(
      new RangeError('asyncCreate.mode must be "sync" or "async", got "asynch".'),
    );
  });

  it("refuses a misspelt key, naming it and the keys it has", async () => {
    await expect(startUnchecked({ asyncCreat: { mode: "async" } })).rejects.toThrow(
      new RangeError(
        'startEmulator has no option "asyncCreat"; its options are port, host, ' +
          "maxRecordedRequests, requireToken, now, sessionLifetime, asyncCreate, " +
          "expiredSessionError, exposeHeaders, maxSessionsPerWorkbook.",
      ),
    );
  });

  it("refuses a misspelt key inside a nested setting", async () => {
    await expect(startUnchecked({ sessionLifetime: { persist: 1000 } })).rejects.toThrow(
      new RangeError(
        'sessionLifetime has no setting "persist"; its settings are persistent, nonPersistent.',
      ),
    );
  });

  it("refuses a lifetime that is not a number of milliseconds", async () => {
    await expect(startUnchecked({ sessionLifetime: { persistent: "5m" } })).rejects.toThrow(
      new TypeError(
        "sessionLifetime.persistent must be a number of milliseconds ≥ 0 " +
          '(Infinity: sessions never expire), got "5m".',
      ),
    );
  });

  it.each([
    [{ port: 70_000 }, RangeError, /^port must be a TCP port, an integer from 0 to 65535/],
    [{ port: "4000" }, TypeError, /^port must be a TCP port.*got "4000"\.$/],
    [{ host: "0.0.0.0" }, RangeError, /^host must be a loopback address: "127\.0\.0\.1"/],
    [{ requireToken: "" }, RangeError, /^requireToken must be a non-empty string/],
    [{ requireToken: " t" }, RangeError, /without blanks at its ends/],
    [{ now: 5 }, TypeError, /^now must be a function returning the time in milliseconds/],
    [{ sessionLifetime: 300_000 }, TypeError, /^sessionLifetime must be an object, got 300000\.$/],
    [
      { sessionLifetime: { nonPersistent: -1 } },
      RangeError,
      /nonPersistent must be a number of milliseconds ≥ 0/,
    ],
    [
      { asyncCreate: { runningPolls: 1.5 } },
      RangeError,
      /^asyncCreate\.runningPolls must be a whole number of polls ≥ 0, got 1\.5\.$/,
    ],
    [
      { asyncCreate: { notStartedPolls: "2" } },
      TypeError,
      /^asyncCreate\.notStartedPolls must be a whole number of polls/,
    ],
    [
      { asyncCreate: { outcome: "failure" } },
      RangeError,
      /^asyncCreate\.outcome must be "succeeded" or "failed"/,
    ],
    [
      { asyncCreate: { statusCasing: "snake" } },
      RangeError,
      /^asyncCreate\.statusCasing must be "camel" or "pascal"/,
    ],
    [
      { asyncCreate: { location: "x\ny" } },
      RangeError,
      /^asyncCreate\.location is sent as the Location header/,
    ],
    [
      { asyncCreate: { resourceLocation: 5 } },
      TypeError,
      /^asyncCreate\.resourceLocation must be a string/,
    ],
    [
      { asyncCreate: { failure: { message: "m" } } },
      TypeError,
      /^asyncCreate\.failure\.code must be a non-empty string, got undefined\.$/,
    ],
    [
      { asyncCreate: { failure: { code: "a", innerError: { code: "b", detail: 1 } } } },
      RangeError,
      /^asyncCreate\.failure\.innerError has no setting "detail"; its settings are code, message,/,
    ],
    [
      { expiredSessionError: { status: 200 } },
      RangeError,
      /^expiredSessionError\.status must be an HTTP error status, .* from 400 to 599, got 200\.$/,
    ],
    [
      { expiredSessionError: { innerCode: 1 } },
      TypeError,
      /^expiredSessionError\.innerCode must be a string, or null/,
    ],
    [
      { exposeHeaders: "Retry-After" },
      TypeError,
      /^exposeHeaders must be an array of header names/,
    ],
    [
      { exposeHeaders: ["Retry After"] },
      RangeError,
      /^exposeHeaders must hold header names, each an HTTP token/,
    ],
    [
      { maxSessionsPerWorkbook: -1 },
      RangeError,
      /^maxSessionsPerWorkbook must be a whole number of sessions ≥ 0 \(or Infinity for no/,
    ],
  ])("refuses %j", async (options, type, message) => {
    const refusal = startUnchecked(options);

    await expect(refusal).rejects.toThrow(message);
    await expect(refusal).rejects.toBeInstanceOf(type);
  });

  it("refuses options that are not an object", async () => {
    await expect(startUnchecked(null)).rejects.toThrow(
      new TypeError("startEmulator's options must be an object, got null."),
    );
  });

  it("keeps its own copy, so later changes to the options object are not seen", async () => {
    const asyncCreate: { mode: string } = { mode: "async" };
    const { client } = await start({ asyncCreate } as EmulatorOptions);
    asyncCreate.mode = "asynch";

    const response: Response = await client
      .api(`${WORKBOOK}/createSession`)
      .header("Prefer", "respond-async")
      .responseType(ResponseType.RAW)
      .post({ persistChanges: true });

    expect(response.status).toBe(202);
  });
});

describe("configure", () => {
  const createAsync = async (client: ReturnType<typeof createEmulatorClient>) => {
    const response: Response = await client
      .api(`${WORKBOOK}/createSession`)
      .header("Prefer", "respond-async")
      .responseType(ResponseType.RAW)
      .post({ persistChanges: true });
    return response.status;
  };

  it("checks a patch as startEmulator does, changing nothing when it throws", async () => {
    const { emulator, client } = await start({});

    expect(() =>
      emulator.configure({
        maxSessionsPerWorkbook: 0,
        asyncCreate: { mode: "asynch" as "async" },
      }),
    ).toThrow(new RangeError('asyncCreate.mode must be "sync" or "async", got "asynch".'));

    expect(await createAsync(client)).toBe(201);
  });

  it("refuses a misspelt key, naming it and the settings it has", async () => {
    const { emulator } = await start({});

    expect(() => emulator.configure({ maxSessionPerWorkbook: 2 } as never)).toThrow(
      new RangeError(
        'configure() has no setting "maxSessionPerWorkbook"; its settings are requireToken, now, ' +
          "sessionLifetime, asyncCreate, expiredSessionError, exposeHeaders, " +
          "maxSessionsPerWorkbook.",
      ),
    );
  });

  it.each(["port", "host", "maxRecordedRequests"])(
    "refuses %s, which only startEmulator takes",
    async (key) => {
      const { emulator } = await start({});

      expect(() => emulator.configure({ [key]: undefined } as never)).toThrow(
        new RangeError(
          `configure() cannot change ${key}, which only startEmulator() takes; ` +
            "start another emulator to use a different value.",
        ),
      );
    },
  );

  it("changes only the nested keys a patch names", async () => {
    const { emulator, client } = await start({});

    emulator.configure({ asyncCreate: { mode: "async" } });
    emulator.configure({ asyncCreate: { runningPolls: 0 } });
    expect(await createAsync(client)).toBe(202);

    emulator.configure({ asyncCreate: { mode: undefined } });
    expect(await createAsync(client)).toBe(201);
  });
});

describe("readRange and readTableRows", () => {
  it("refuse a driveItem address, instead of returning empty cells, naming its key", async () => {
    const { emulator, client } = await start({});
    await client.api(`${WORKBOOK}/worksheets`).get();

    expect(() => emulator.readRange("/me/drive/items/KEEP", "Sheet1", "A1:B2")).toThrow(
      new RangeError(
        '"/me/drive/items/KEEP" is not a workbook key: it is a driveItem address, whose key is ' +
          '"item:KEEP". Workbook keys are "item:{id}" (for an …/items/{id} or /workbooks/{id} ' +
          'address) or "path:{path}" (for a …/root:/{path}: address, e.g. ' +
          '"path:folder/Book.xlsx"); requests so far have addressed "item:KEEP".',
      ),
    );
    expect(() => emulator.readTableRows("/me/drive/root:/Book.xlsx:", "T")).toThrow(
      /: it is a driveItem address, whose key is "path:Book\.xlsx"\. /,
    );
  });

  it("refuse a bare id or a value that is not text, before any request", async () => {
    const { emulator } = await start({});

    expect(() => emulator.readTableRows("01TEST", "T")).toThrow(
      /^"01TEST" is not a workbook key\. Workbook keys are .*; requests so far have addressed none/,
    );
    expect(() => emulator.readRange(5 as never, "Sheet1", "A1")).toThrow(
      /^A workbook key must be a string, "item:\{id\}" .*, got 5\.$/,
    );
  });

  it("read a key no request addressed as the empty workbook its first request meets", async () => {
    const { emulator } = await start({});

    expect(emulator.readRange("item:NEW", "Sheet1", "A1:B1")).toEqual([["", ""]]);
    expect(emulator.readTableRows("path:folder/Book.xlsx", "T")).toEqual([]);
  });

  it("read a workbook whose only request met a fault", async () => {
    const { emulator, client } = await start({});
    emulator.fault("worksheets", { status: 400 });

    await expect(client.api(`${WORKBOOK}/worksheets`).get()).rejects.toThrow();

    expect(emulator.readRange("item:KEEP", "Sheet1", "A1:B1")).toEqual([["", ""]]);
    expect(emulator.readTableRows("item:KEEP", "T")).toEqual([]);
  });

  it("name the worksheet or the address they cannot read", async () => {
    const { emulator, client } = await start({});
    await client.api(`${WORKBOOK}/worksheets`).get();

    expect(() => emulator.readRange("item:KEEP", "Sheet2", "A1")).toThrow(
      new RangeError(
        'The workbook "item:KEEP" has no worksheet "Sheet2"; its worksheets are "Sheet1".',
      ),
    );
    expect(() => emulator.readRange("item:KEEP", "Sheet1", "A1:")).toThrow(
      new RangeError(
        '"A1:" is not a range address; give one cell or a rectangle in A1 style, such as "B2" ' +
          'or "A1:C3", inside the worksheet (A1:XFD1048576).',
      ),
    );
  });
});

describe("the options of the other testing helpers", () => {
  it("createTestEnvironment refuses a misspelt option or a value that is not a boolean", () => {
    expect(() => createTestEnvironment({ visibile: false } as never)).toThrow(
      new RangeError(
        'createTestEnvironment has no option "visibile"; its options are visible, online.',
      ),
    );
    expect(() => createTestEnvironment({ online: "no" } as never)).toThrow(
      new TypeError(`createTestEnvironment's online must be true or false, got "no".`),
    );
  });

  it("createEmulatorClient refuses a misspelt option or a token it cannot send", () => {
    const url = "http://127.0.0.1:4000";

    expect(() => createEmulatorClient(url, { tokn: "t" } as never)).toThrow(
      new RangeError(
        'createEmulatorClient has no option "tokn"; its options are token, graphBaseUrl.',
      ),
    );
    expect(() => createEmulatorClient(url, { token: 5 } as never)).toThrow(TypeError);
    expect(() => createEmulatorClient(url, { graphBaseUrl: "graph" })).toThrow(
      /^createEmulatorClient's graphBaseUrl must be an http\(s\) URL/,
    );
  });

  it("rateLimitFault refuses a misspelt option, a missing limit or a bad window", () => {
    expect(() => rateLimitFault({ limit: 2, window: 10 } as never)).toThrow(
      new RangeError(
        'rateLimitFault has no option "window"; its options are limit, windowMs, retryAfter, ' +
          "match.",
      ),
    );
    expect(() => rateLimitFault({} as never)).toThrow(TypeError);
    expect(() => rateLimitFault({ limit: 2, windowMs: 0 })).toThrow(
      new RangeError(
        "rateLimitFault's windowMs must be a finite number of milliseconds > 0, got 0.",
      ),
    );
  });
});
