import { isWorkbookError } from "graph-workbook-session";
import type { Fault } from "graph-workbook-session/testing";
import { describe, expect, it } from "vitest";
import {
  driveUntilSettled,
  emulatorLog,
  listSheets,
  openSession,
  useHarness,
  useVirtualTime,
} from "../support/harness";
import { CLEAN, Observation, rowsHolding, uniqueRow } from "./fault-kit";
import { useReliabilityLedger } from "./ledger";

const ledger = useReliabilityLedger("fault-matrix-bodies");
const h = useHarness();
const log = emulatorLog(h);

const HTML = "<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>";
const envelopeStart = '{"error":{"code":"serviceUnavailable","message":"busy","inn';

interface CreateRow {
  readonly name: string;
  readonly kind: string;
  readonly fault: Fault;
  /** `opens` after sending createSession again, or `fails` after one request. */
  readonly expect: "opens" | "fails";
  /** The error kind when it fails. */
  readonly errorKind?: string;
  /** Sessions Graph made whose answer never arrived: no client can know or close them. */
  readonly orphans?: number;
}

const CREATE_ROWS: readonly CreateRow[] = [
  {
    name: "a 503 HTML error page with Retry-After",
    kind: "html",
    expect: "opens",
    fault: { ...html(503), retryAfter: 2 },
  },
  { name: "a 503 with cut-off JSON", kind: "malformed-json", expect: "opens", fault: broken(503) },
  { name: "a 503 with an empty JSON body", kind: "empty", expect: "opens", fault: empty(503) },
  {
    name: "a 429 in plain text with Retry-After",
    kind: "wrong-content-type",
    expect: "opens",
    fault: { status: 429, body: "Too many requests", retryAfter: 2 },
  },
  {
    name: "a 502 envelope labelled text/html",
    kind: "wrong-content-type",
    expect: "opens",
    fault: { status: 502, contentType: "text/html" },
  },
  {
    name: "a 500 HTML error page",
    kind: "html",
    expect: "fails",
    errorKind: "fatal",
    fault: html(500),
  },
  {
    name: "a 400 with cut-off JSON",
    kind: "malformed-json",
    expect: "fails",
    errorKind: "fatal",
    fault: broken(400),
  },
  {
    name: "a 201 with cut-off JSON",
    kind: "malformed-json",
    expect: "fails",
    errorKind: "fatal",
    fault: broken(201),
  },
  {
    name: "a 201 with an empty body",
    kind: "empty",
    expect: "fails",
    errorKind: "fatal",
    fault: empty(201),
  },
  {
    name: "a 201 with a JSON array",
    kind: "malformed-json",
    expect: "fails",
    errorKind: "fatal",
    fault: json(201, "[]"),
  },
  {
    name: "a 201 whose session id cannot be a header",
    kind: "malformed-json",
    expect: "fails",
    errorKind: "fatal",
    fault: json(201, '{"id":"bad\\r\\nX-Injected: 1","persistChanges":true}'),
  },
  { name: "a 201 HTML page", kind: "html", expect: "fails", errorKind: "fatal", fault: html(201) },
  { name: "a dropped connection", kind: "reset", expect: "opens", fault: { drop: true } },
  {
    name: "a connection reset after the headers of a 503",
    kind: "reset",
    expect: "opens",
    fault: { status: 503, truncateAfter: 0 },
  },
  {
    name: "a connection reset inside a 503 body",
    kind: "reset",
    expect: "opens",
    fault: { status: 503, truncateAfter: 20 },
  },
  {
    name: "a connection reset inside the 201 of a session Graph made",
    kind: "reset",
    expect: "opens",
    orphans: 1,
    fault: { truncateAfter: 10 },
  },
  { name: "an answer that never comes", kind: "hang", expect: "opens", fault: { hang: true } },
  {
    name: "an answer that comes after the attempt timeout",
    kind: "slow",
    expect: "opens",
    // The late answer is awaited in the background and its session closed: no orphan.
    fault: { delayMs: 45_000 },
  },
];

function html(status: number): Fault {
  return { status, body: HTML, contentType: "text/html; charset=utf-8" };
}
function broken(status: number): Fault {
  return json(status, envelopeStart);
}
function empty(status: number): Fault {
  return json(status, "");
}
function json(status: number, body: string): Fault {
  return { status, body, contentType: "application/json" };
}

describe.each(CREATE_ROWS.map((entry) => [entry.name, entry] as const))(
  "createSession answered with %s",
  (_, entry) => {
    it(entry.expect === "opens" ? "is sent again and opens" : "fails at once, typed", async () => {
      useVirtualTime();
      const obs = new Observation(ledger, h);
      obs.fault("createSession", entry.kind, entry.fault);
      const store = obs.watch(h.store({ attemptTimeout: 10_000 }));

      const outcome = await driveUntilSettled(store.open(), 250);

      if (entry.expect === "opens") {
        expect(outcome.error).toBeUndefined();
        expect(log.creations()).toHaveLength(2);
        expect(store.getState()).toMatchObject({
          status: "active",
          session: {
            id: h.emulator.requestsTo("createSession").length > 0 ? outcome.value?.id : "",
          },
        });
        expect(h.emulator.sessions().map((s) => s.id)).toContain(outcome.value?.id);
      } else {
        expect(isWorkbookError(outcome.error)).toBe(true);
        expect(outcome.error).toMatchObject({ kind: entry.errorKind, operation: "createSession" });
        expect((outcome.error as Error).message).not.toMatch(/<html|\{"error/i);
        expect(log.creations()).toHaveLength(1);
        expect(store.getState().status).toBe("failed");
      }
      // A session whose 201 was cut never reached the client: unknowable, not a leak.
      expect(await obs.finish([store])).toEqual({ ...CLEAN, unknowable: entry.orphans ?? 0 });
      ledger.scenario();
    });
  },
);

interface CallRow {
  readonly name: string;
  readonly kind: string;
  readonly fault: Fault;
  /** How a write (not idempotent) ends, and how many rows it leaves. */
  readonly write: "done" | "rejected";
  readonly rows: 0 | 1;
  /** How an idempotent read ends. */
  readonly read: "done" | "rejected";
  /** Whether the session is replaced along the way. */
  readonly recreates?: boolean;
}

const CALL_ROWS: readonly CallRow[] = [
  {
    name: "a 503 HTML error page with Retry-After",
    kind: "html",
    fault: { ...html(503), retryAfter: 2 },
    write: "done",
    rows: 1,
    read: "done",
    recreates: true,
  },
  {
    name: "a 502 with an empty body",
    kind: "empty",
    fault: empty(502),
    write: "done",
    rows: 1,
    read: "done",
    recreates: true,
  },
  {
    name: "a 503 with cut-off JSON",
    kind: "malformed-json",
    fault: broken(503),
    write: "done",
    rows: 1,
    read: "done",
    recreates: true,
  },
  {
    name: "a 429 in plain text with Retry-After",
    kind: "wrong-content-type",
    fault: { status: 429, body: "slow down", retryAfter: 1 },
    write: "done",
    rows: 1,
    read: "done",
  },
  {
    name: "a 500 HTML error page",
    kind: "html",
    fault: html(500),
    write: "rejected",
    rows: 0,
    read: "rejected",
  },
  {
    name: "a 400 with cut-off JSON",
    kind: "malformed-json",
    fault: broken(400),
    write: "rejected",
    rows: 0,
    read: "rejected",
  },
  {
    name: "a 200 with cut-off JSON",
    kind: "malformed-json",
    fault: broken(200),
    write: "rejected",
    rows: 0,
    read: "rejected",
  },
  {
    name: "a dropped connection",
    kind: "reset",
    fault: { drop: true },
    write: "rejected",
    rows: 0,
    read: "done",
  },
  {
    name: "a reset inside the answer to work Graph did",
    kind: "reset",
    fault: { truncateAfter: 8 },
    write: "rejected",
    rows: 1,
    read: "done",
  },
  {
    name: "a reset right after the headers of work Graph did",
    kind: "reset",
    fault: { truncateAfter: 0 },
    write: "rejected",
    rows: 1,
    read: "done",
  },
  {
    name: "an answer that never comes",
    kind: "hang",
    fault: { hang: true },
    write: "rejected",
    rows: 0,
    read: "done",
  },
  {
    name: "an answer that comes after the attempt timeout, when the session is gone",
    kind: "slow",
    fault: { delayMs: 45_000 },
    write: "rejected",
    rows: 0,
    read: "done",
  },
];

describe.each(CALL_ROWS.map((entry) => [entry.name, entry] as const))(
  "a call inside a session answered with %s",
  (_, entry) => {
    it(`leaves a write ${entry.write} and an idempotent read ${entry.read}`, async () => {
      useVirtualTime();
      const obs = new Observation(ledger, h);
      const store = obs.watch(h.store({ attemptTimeout: 10_000 }));
      await openSession(store);

      obs.fault("addRow", entry.kind, entry.fault);
      const { value: write } = await driveUntilSettled(obs.call(store, uniqueRow("body", 1)), 250);
      obs.fault("worksheets", entry.kind, entry.fault);
      const { value: read } = await driveUntilSettled(
        obs.call(store, listSheets, { idempotent: true }),
        250,
      );

      const writes = h.emulator.requestsTo("addRow");
      const reads = h.emulator.requestsTo("worksheets");
      if (entry.write === "done") {
        expect(write?.error).toBeUndefined();
        expect(writes).toHaveLength(2);
      } else {
        expect(isWorkbookError(write?.error)).toBe(true);
        expect(writes).toHaveLength(1);
      }
      if (entry.read === "done") {
        expect(read?.error).toBeUndefined();
        expect(reads).toHaveLength(2);
      } else {
        expect(isWorkbookError(read?.error)).toBe(true);
        expect(String(read?.error)).not.toMatch(/<html|\{"error/i);
        expect(reads).toHaveLength(1);
      }
      expect(log.creations()).toHaveLength(entry.recreates ? 3 : 1);
      expect(store.getState().status).toBe("active");
      // Each session replaced under the fault's Retry-After is closed once it has passed.
      expect(await obs.finish([store])).toEqual(CLEAN);
      // Read after the store is gone, so that a late answer has had its effect too.
      expect(rowsHolding(h, "body#1")).toBe(entry.rows);
      ledger.scenario();
    });
  },
);
