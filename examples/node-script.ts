/**
 * The store in a plain Node script: open a session on the embedded emulator,
 * read a range, write to it and read it back with `store.request`, and print
 * what the store reports on `events$` along the way. The emulator answers the
 * first write with a 503, which the store retries.
 */
import { type SessionEvent, SessionStore } from "graph-workbook-session";
import { createEmulatorClient, startEmulator } from "graph-workbook-session/testing";

const TOKEN = "example-token";
const RANGE = "/worksheets('Sheet1')/range(address='A1:B2')";
const ROWS = [
  ["Item", "Qty"],
  ["Pens", 12],
];

async function main(): Promise<void> {
  // Like Graph, this emulator refuses any request without the bearer token.
  const emulator = await startEmulator({ requireToken: TOKEN });
  emulator.fault("range", { status: 503, match: (request) => request.method === "PATCH" });
  const client = createEmulatorClient(emulator, { token: TOKEN });
  const store = new SessionStore({
    client,
    workbook: "/me/drive/items/01NODE",
    retry: { baseDelay: 200 }, // waits of up to 200 ms, then 400, 800…
  });
  store.events$.subscribe((event) => console.log(`  event  ${describe(event)}`));

  try {
    const session = await store.open();
    console.log(`open   session ${shorten(session.id)}`);

    // A read may be sent again when no answer came; a write may not (see idempotent).
    const read = () => store.request((s) => s.api(RANGE).get(), { idempotent: true });
    console.log(`read   A1:B2 = ${cells(await read())}`);
    await store.request((s) => s.api(RANGE).patch({ values: ROWS }));
    console.log(`wrote  A1:B2 = ${cells(await read())}`);
  } finally {
    await store.dispose();
    await emulator.close();
  }
}

function describe(event: SessionEvent): string {
  switch (event.type) {
    case "create-requested":
      return `${event.type} (${event.reason})`;
    case "attempt-failed": {
      const { status, kind } = event.error;
      return `${event.type} ${event.operation} #${event.attempt}: ${status} (${kind})`;
    }
    case "retry-scheduled":
      return `${event.type} ${event.operation} #${event.attempt} in ${event.delay} ms`;
    case "created":
    case "closed":
      return `${event.type} ${shorten(event.sessionId)}`;
    default:
      return event.type;
  }
}

function cells(range: unknown): string {
  return JSON.stringify((range as { values?: unknown }).values);
}

function shorten(id: string): string {
  return id.length > 14 ? `${id.slice(0, 6)}…${id.slice(-6)}` : id;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
