import {
  AuthenticationHandler,
  Client,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
} from "@microsoft/microsoft-graph-client";
import { describeValue } from "../options/read-option";
import { EmulatorForwardingHandler } from "./emulator-forwarding-handler";
import { readRecord, refuseUnknownKeys } from "./read-setting";
import type { WorkbookEmulator } from "./workbook-emulator";

/** Options of {@link createEmulatorClient}. */
export interface EmulatorClientOptions {
  /**
   * Access token the client's authentication middleware sends as `Authorization: Bearer …`,
   * or a function that supplies it per request. Default `"emulator-token"`.
   */
  readonly token?: string | (() => Promise<string>);
  /**
   * Graph base URL the client believes it talks to; requests for it go to the emulator, requests
   * for any other host are refused. Default `"https://graph.microsoft.com/"`.
   */
  readonly graphBaseUrl?: string;
}

/**
 * Builds a real Microsoft Graph client whose requests reach the emulator. Its middleware chain is
 * the client's own authentication, retry (with default options, left on on purpose so that code
 * under test has to switch it off per request) and telemetry handlers, followed by a handler that
 * forwards to the emulator. Because the client still sees https Graph URLs, it sends the
 * `Authorization`, `client-request-id` and `SdkVersion` headers it sends to Graph.
 *
 * @param target The emulator, or its origin such as `http://127.0.0.1:4000`.
 */
export function createEmulatorClient(
  target: WorkbookEmulator | string,
  options: EmulatorClientOptions = {},
): Client {
  const { token = "emulator-token", graphBaseUrl = "https://graph.microsoft.com/" } =
    checkClientOptions(options);
  const origin = emulatorOrigin(target);
  const authProvider = {
    getAccessToken: async () => (typeof token === "string" ? token : token()),
  };
  return Client.initWithMiddleware({
    baseUrl: graphBaseUrl,
    customHosts: new Set([new URL(graphBaseUrl).hostname]),
    middleware: [
      new AuthenticationHandler(authProvider),
      new RetryHandler(new RetryHandlerOptions()),
      new TelemetryHandler(),
      new EmulatorForwardingHandler(origin, graphBaseUrl),
    ],
  });
}

function checkClientOptions(options: unknown): EmulatorClientOptions {
  const record = readRecord(options, "createEmulatorClient's options") ?? {};
  const token = record.token;
  if (token !== undefined && typeof token !== "string" && typeof token !== "function") {
    throw new TypeError(
      "createEmulatorClient's token must be a string or a function resolving to one, " +
        `got ${describeValue(token)}.`,
    );
  }
  const graphBaseUrl = record.graphBaseUrl;
  if (
    graphBaseUrl !== undefined &&
    (typeof graphBaseUrl !== "string" || !isHttpUrl(graphBaseUrl))
  ) {
    throw new TypeError(
      "createEmulatorClient's graphBaseUrl must be an http(s) URL such as " +
        `"https://graph.microsoft.com/", got ${describeValue(graphBaseUrl)}.`,
    );
  }
  refuseUnknownKeys(record, ["token", "graphBaseUrl"], "createEmulatorClient", "option");
  return record as EmulatorClientOptions;
}

/** The emulator's origin without a trailing slash; a string must be an http(s) URL. */
function emulatorOrigin(target: WorkbookEmulator | string): string {
  if (typeof target !== "string") return target.url;
  if (!isHttpUrl(target)) {
    throw new TypeError(
      "createEmulatorClient needs the emulator, or its URL such as " +
        `"http://127.0.0.1:4000", got ${describeValue(target)}.`,
    );
  }
  return target.replace(/\/+$/, "");
}

function isHttpUrl(text: string): boolean {
  try {
    return /^https?:$/.test(new URL(text).protocol);
  } catch {
    return false;
  }
}
