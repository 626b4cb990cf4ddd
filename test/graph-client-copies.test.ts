import { createRequire } from "node:module";
import * as graph from "@microsoft/microsoft-graph-client";
import { SessionStore } from "graph-workbook-session";
import { describe, expect, it } from "vitest";
import { EmulatorForwardingHandler } from "../src/testing/emulator-forwarding-handler";
import {
  CANARY_TOKEN,
  driveUntilSettled,
  listSheets,
  useHarness,
  useVirtualTime,
  WORKBOOK,
} from "./support/harness";

const h = useHarness();

type GraphModule = typeof graph;

/**
 * A second, separate copy of the Graph client package, as an app gets when the
 * library is linked or installed from a folder: same code, other classes.
 */
function loadSecondCopy(): GraphModule {
  const require = createRequire(import.meta.url);
  const isGraphFile = (key: string) => key.includes("microsoft-graph-client");
  const saved = Object.entries(require.cache).filter(([key]) => isGraphFile(key));

  for (const [key] of saved) delete require.cache[key];
  const copy = require("@microsoft/microsoft-graph-client") as GraphModule;
  for (const [key, module] of saved) require.cache[key] = module;
  return copy;
}

/** The emulator's client, built from `copy` with its default retry handler. */
function clientFrom(copy: GraphModule): graph.Client {
  const graphBaseUrl = "https://graph.microsoft.com/";
  return copy.Client.initWithMiddleware({
    baseUrl: graphBaseUrl,
    customHosts: new Set(["graph.microsoft.com"]),
    middleware: [
      new copy.AuthenticationHandler({ getAccessToken: async () => CANARY_TOKEN }),
      new copy.RetryHandler(new copy.RetryHandlerOptions()),
      new copy.TelemetryHandler(),
      new EmulatorForwardingHandler(h.emulator.url, graphBaseUrl),
    ],
  });
}

describe("an app whose Graph client is another copy of the package", () => {
  it("still has the client's own retries switched off: one policy decides", async () => {
    useVirtualTime();
    const copy = loadSecondCopy();
    expect(copy.RetryHandlerOptions).not.toBe(graph.RetryHandlerOptions);
    h.emulator.fault("createSession", { status: 503, times: 3 });

    const store = new SessionStore({
      client: clientFrom(copy),
      workbook: WORKBOOK,
      retry: { retries: 0 },
    });
    const outcome = await driveUntilSettled(store.open(), 1_000);
    await store.dispose();

    expect(outcome.error).toMatchObject({ kind: "transient", status: 503, attempts: 1 });
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
  });

  it("still reads a Retry-After on a call's answer whose body is not Graph's envelope", async () => {
    useVirtualTime();
    const store = new SessionStore({ client: clientFrom(loadSecondCopy()), workbook: WORKBOOK });
    await driveUntilSettled(store.open(), 1_000);
    h.emulator.fault("worksheets", {
      status: 502,
      retryAfter: 30,
      body: "<html>Bad Gateway</html>",
    });

    const outcome = await driveUntilSettled(store.request(listSheets), 1_000);
    await store.dispose();

    expect(outcome.error).toBeUndefined();
    const failed = h.emulator.requestsTo("worksheets")[0]!;
    const after = h.emulator.requests.filter((request) => request.seq > failed.seq);
    expect(after.length).toBeGreaterThan(0);
    expect(Math.min(...after.map((request) => request.time)) - failed.time).toBeGreaterThanOrEqual(
      30_000,
    );
  });
});

/** An app's own middleware whose options look like retry options, placed before the retry handler. */
class AppRetryOptions {
  constructor(
    readonly delay = 1,
    readonly maxRetries = 2,
    readonly shouldRetry: () => boolean = () => true,
  ) {
    if (delay < 1) throw new RangeError("AppRetryOptions: delay must be at least 1");
  }
}

class AppMiddleware implements graph.Middleware {
  readonly options = new AppRetryOptions();
  #next: graph.Middleware | undefined;

  async execute(context: graph.Context): Promise<void> {
    await this.#next?.execute(context);
  }

  setNext(next: graph.Middleware): void {
    this.#next = next;
  }
}

describe("an app whose middleware chain holds look-alike retry options", () => {
  it("is not confused by them: the store is made and the client's retries stay off", async () => {
    useVirtualTime();
    const graphBaseUrl = "https://graph.microsoft.com/";
    const client = graph.Client.initWithMiddleware({
      baseUrl: graphBaseUrl,
      customHosts: new Set(["graph.microsoft.com"]),
      middleware: [
        new graph.AuthenticationHandler({ getAccessToken: async () => CANARY_TOKEN }),
        new AppMiddleware(),
        new graph.RetryHandler(new graph.RetryHandlerOptions()),
        new EmulatorForwardingHandler(h.emulator.url, graphBaseUrl),
      ],
    });
    h.emulator.fault("createSession", { status: 503, times: 3 });

    const store = new SessionStore({ client, workbook: WORKBOOK, retry: { retries: 0 } });
    const outcome = await driveUntilSettled(store.open(), 1_000);
    await store.dispose();

    expect(outcome.error).toMatchObject({ status: 503 });
    expect(h.emulator.requestsTo("createSession")).toHaveLength(1);
  });
});
