/**
 * The main job, end to end: open a workbook session through the real Microsoft
 * Graph client, ride out the failures Graph answers with, make a workbook call
 * inside the session, and close it, printing every state on one line.
 *
 * Without settings it runs against the emulator that ships with the library,
 * scripted to fail the way Graph does: a 503, then a 429 with `Retry-After: 1`,
 * then a long-running creation that is polled until it succeeds.
 *
 * Against Microsoft Graph itself, set both:
 *   GRAPH_ACCESS_TOKEN  a delegated token with Files.ReadWrite
 *   GRAPH_WORKBOOK      the workbook's address, e.g. /me/drive/items/01ABCDEF
 */
import { Client } from "@microsoft/microsoft-graph-client";
import { type SessionState, SessionStore, type WorkbookError } from "graph-workbook-session";
import { createEmulatorClient, startEmulator } from "graph-workbook-session/testing";

interface Target {
  readonly client: Client;
  readonly workbook: string;
  readonly label: string;
  /** What the server saw, one line per request, where it can tell. */
  traffic(): string[];
  stop(): Promise<void>;
}

async function main(): Promise<void> {
  const target = await chooseTarget();
  console.log(`Opening a workbook session on ${target.label}\n`);

  const store = new SessionStore({
    client: target.client,
    workbook: target.workbook,
    retry: { baseDelay: 500 },
  });
  const started = Date.now();
  store.state$.subscribe((state) => console.log(describeState(state, started)));

  try {
    await store.open();
    const sheets = await store.request((session) => session.api("/worksheets").get(), {
      idempotent: true,
    });
    console.log(`\n  worksheets in the session: ${worksheetNames(sheets)}\n`);
    await store.close();
  } finally {
    await store.dispose();
    printTraffic(target.traffic());
    await target.stop();
  }
}

async function chooseTarget(): Promise<Target> {
  const token = process.env.GRAPH_ACCESS_TOKEN;
  const workbook = process.env.GRAPH_WORKBOOK;
  if (token && workbook) return microsoftGraph(token, workbook);
  if (token || workbook) {
    throw new Error("Set both GRAPH_ACCESS_TOKEN and GRAPH_WORKBOOK, or neither for the emulator.");
  }
  return emulator();
}

function microsoftGraph(token: string, workbook: string): Target {
  const client = Client.init({ authProvider: (done) => done(null, token) });
  return {
    client,
    workbook,
    label: "Microsoft Graph",
    traffic: () => [],
    stop: async () => undefined,
  };
}

async function emulator(): Promise<Target> {
  const server = await startEmulator({ asyncCreate: { mode: "async", runningPolls: 1 } });
  server.fault("createSession", { status: 503 }, { status: 429, retryAfter: 1 });

  return {
    client: createEmulatorClient(server),
    workbook: "/me/drive/items/01DEMO/workbook",
    label: `the embedded emulator at ${server.url} (scripted: 503, 429 with Retry-After: 1, then a long-running create)`,
    traffic: () =>
      server.requests.map(
        (request) =>
          `${request.method.padEnd(5)} ${request.route.padEnd(14)} ${request.answeredWith}`,
      ),
    stop: () => server.close(),
  };
}

function printTraffic(lines: string[]): void {
  if (lines.length === 0) return;
  console.log("\nRequests the emulator answered:");
  for (const line of lines) console.log(`  ${line}`);
}

function describeState(state: SessionState, started: number): string {
  const time = `${((Date.now() - started) / 1000).toFixed(2)}s`.padStart(7);
  const status = state.status.padEnd(9);

  switch (state.status) {
    case "idle":
      return `${time}  ${state.status}`;
    case "creating":
      return `${time}  ${status} attempt ${state.attempt}${waitWords(state.nextAttemptAt, state.lastError)}`;
    case "active":
      return `${time}  ${status} session ${shorten(state.session.id)}, persistChanges ${state.session.persistChanges}`;
    case "failed":
      return `${time}  ${status} ${state.error.message}`;
  }
}

function waitWords(nextAttemptAt: number | null, lastError: WorkbookError | null): string {
  if (nextAttemptAt === null || lastError === null) return "";
  const wait = Math.max(0, (nextAttemptAt - Date.now()) / 1000).toFixed(2);
  return `, next try in ${wait}s after ${summarize(lastError)}`;
}

function summarize(error: WorkbookError): string {
  const codes = [error.code, error.innerCode].filter(Boolean).join("/");
  const cooldown = error.retryAfterMs === null ? "" : `, Retry-After ${error.retryAfterMs / 1000}s`;
  const answer = [error.status ?? "no answer", codes].filter(Boolean).join(" ");
  return `${answer} (${error.kind}${cooldown})`;
}

function shorten(id: string): string {
  return id.length > 14 ? `${id.slice(0, 6)}…${id.slice(-6)}` : id;
}

function worksheetNames(body: unknown): string {
  const value = (body as { value?: { name?: unknown }[] } | undefined)?.value ?? [];
  return value.map((sheet) => String(sheet.name)).join(", ") || "(none)";
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
