import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator, type WorkbookEmulator } from "graph-workbook-session/testing";
import { build } from "vite";

/** Options of {@link startSpa}. */
export interface SpaOptions {
  /** Port of the app server; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** Port of the emulator; 0 picks a free one. Default 0. */
  readonly emulatorPort?: number;
}

/** The running example: the app on one origin, the emulator on another. */
export interface RunningSpa {
  /** Address of the page, e.g. `http://127.0.0.1:5173/`. */
  readonly url: string;
  /** Origin of the emulator the page talks to. */
  readonly emulatorUrl: string;
  /** The in-process emulator, for looking at what it received and stored. */
  readonly emulator: WorkbookEmulator;
  /** Stops both servers; safe to call twice. */
  close(): Promise<void>;
}

const HOST = "127.0.0.1";
const APP_DIR = fileURLToPath(new URL(".", import.meta.url));
const DIST_DIR = join(APP_DIR, "dist");

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/**
 * Builds the page with Vite, starts the emulator, and serves the built page with a small control
 * API that injects faults into the emulator. Both listen on loopback, on different ports, so the
 * page's requests to the emulator are cross-origin, as requests to Graph are.
 */
export async function startSpa(options: SpaOptions = {}): Promise<RunningSpa> {
  await build({ configFile: join(APP_DIR, "vite.config.ts") });

  const emulator = await startEmulator({ host: HOST, port: options.emulatorPort ?? 0 });
  const server = createServer((request, response) => {
    void answer(request, response, emulator).catch(() => sendJson(response, 500, {}));
  });
  const port = await listen(server, options.port ?? 0);

  let closing: Promise<void> | undefined;
  return {
    url: `http://${HOST}:${port}/`,
    emulatorUrl: emulator.url,
    emulator,
    close: () => {
      closing ??= Promise.all([stopServer(server), emulator.close()]).then(() => undefined);
      return closing;
    },
  };
}

async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  emulator: WorkbookEmulator,
) {
  const path = new URL(request.url ?? "/", "http://app").pathname;

  if (path === "/control/config") return sendJson(response, 200, { emulatorUrl: emulator.url });
  if (path === "/control/fault" && request.method === "POST") {
    const detail = applyFault(emulator, await readJson(request));
    return sendJson(response, detail === null ? 400 : 200, { detail });
  }
  if (request.method !== "GET") return sendJson(response, 405, {});
  await sendFile(response, path === "/" ? "/index.html" : path);
}

/** Carries out a fault the page asked for; returns what was done, or null for an unknown one. */
function applyFault(emulator: WorkbookEmulator, fault: unknown): string | null {
  const type = (fault as { type?: unknown } | null)?.type;

  switch (type) {
    case "throttle":
      return throttle(emulator, Number((fault as { seconds?: unknown }).seconds));
    case "unavailable":
      emulator.fault("*", { status: 503 });
      return "Emulator: the next request gets a 503";
    case "expire":
      return `Emulator: ${emulator.expireAllSessions()} session(s) expired`;
    case "offline":
      emulator.fault("*", { drop: true, times: Number.POSITIVE_INFINITY });
      return "Emulator: offline, every connection is dropped";
    case "online":
      emulator.clearFaults();
      return "Emulator: back online";
    default:
      return null;
  }
}

/** Every request in the next `seconds` gets a 429 with `Retry-After: seconds`. */
function throttle(emulator: WorkbookEmulator, seconds: number): string | null {
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 60) return null;

  const until = Date.now() + seconds * 1000;
  emulator.fault("*", {
    status: 429,
    retryAfter: seconds,
    times: Number.POSITIVE_INFINITY,
    match: (request) => request.time < until,
  });
  return `Emulator: 429 with Retry-After: ${seconds} for the next ${seconds} s`;
}

async function sendFile(response: ServerResponse, path: string): Promise<void> {
  const file = normalize(join(DIST_DIR, decodeURIComponent(path)));
  const type = CONTENT_TYPES[extname(file)];
  if (!file.startsWith(DIST_DIR) || type === undefined) return sendJson(response, 404, {});

  try {
    const body = await readFile(file);
    response.writeHead(200, { "content-type": type, "cache-control": "no-store" });
    response.end(body);
  } catch {
    sendJson(response, 404, {});
  }
}

function sendJson(response: ServerResponse, status: number, body: object): void {
  if (response.headersSent) return void response.destroy();
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return null;
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, HOST, () => resolve((server.address() as AddressInfo).port));
  });
}

function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
