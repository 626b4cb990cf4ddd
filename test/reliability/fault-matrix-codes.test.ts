import type { ErrorKind } from "graph-workbook-session";
import { describe, expect, it } from "vitest";
import {
  driveUntilSettled,
  emulatorLog,
  listSheets,
  openSession,
  useHarness,
  useVirtualTime,
} from "../support/harness";
import { CLEAN, Observation, path, rowsHolding, uniqueRow } from "./fault-kit";
import { useReliabilityLedger } from "./ledger";

const ledger = useReliabilityLedger("fault-matrix-codes");
const h = useHarness();
const log = emulatorLog(h);

/**
 * What Graph's error rules ask of a client for a failed call inside a session:
 * - `resend`: send it again once the cooldown has passed;
 * - `resend-if-idempotent`: Graph may have done it, so only a call marked idempotent goes again;
 * - `recreate`: open a new session and replay the call there;
 * - `drop`: fail the call and give the session up;
 * - `fail`: fail the call and keep the session.
 */
type Handling = "resend" | "resend-if-idempotent" | "recreate" | "drop" | "fail";

interface Row {
  /** Second-level code, or null for an answer with none (the status decides). */
  readonly innerCode: string | null;
  readonly status: number;
  /** Kind of the error inside a session, and of a failed createSession. */
  readonly kind: ErrorKind;
  readonly createKind: ErrorKind;
  readonly handling: Handling;
}

const row = (
  innerCode: string | null,
  status: number,
  kind: ErrorKind,
  handling: Handling,
  createKind: ErrorKind = kind,
): Row => ({ innerCode, status, kind, handling, createKind });

/** Every required second-level code Graph documents, then optional codes and bare statuses. */
const ROWS: readonly Row[] = [
  row("accessConflict", 409, "fatal", "fail"),
  row("badRequestUncategorized", 400, "fatal", "fail"),
  row("conflictUncategorized", 409, "fatal", "fail"),
  row("forbiddenUncategorized", 403, "auth", "fail"),
  row("gatewayTimeoutUncategorized", 504, "transient", "resend-if-idempotent"),
  row("internalServerErrorUncategorized", 500, "session-lost", "drop", "fatal"),
  row("invalidSessionAccessConflict", 409, "session-lost", "drop"),
  row("invalidSessionAuthentication", 401, "session-lost", "drop"),
  row("invalidSessionNotFound", 404, "session-lost", "drop"),
  row("invalidSessionReCreatable", 404, "recreate-session", "recreate"),
  row("invalidSessionRestricted", 400, "session-lost", "drop"),
  row("invalidSessionUnexpected", 400, "session-lost", "drop"),
  row("invalidSessionUnsupportedWorkbook", 400, "session-lost", "drop"),
  row("methodNotAllowedUncategorized", 405, "fatal", "fail"),
  row("notFoundUncategorized", 404, "fatal", "fail"),
  row("notImplementedUncategorized", 501, "fatal", "fail"),
  row("payloadTooLargeUncategorized", 413, "fatal", "fail"),
  row("serviceUnavailableUncategorized", 503, "transient", "resend"),
  row("tooManyRequestsUncategorized", 429, "throttled", "resend"),
  row("transientFailure", 503, "transient", "resend"),
  row("transientFailure", 504, "transient", "resend"),
  row("unauthorizedUncategorized", 401, "auth", "drop"),
  row("unsupportedWorkbook", 400, "fatal", "fail"),
  // Codes compare case-insensitively.
  row("INVALIDSESSIONRECREATABLE", 404, "recreate-session", "recreate"),
  row("TooManyRequestsUncategorized", 429, "throttled", "resend"),
  // Optional second-level codes.
  row("accessDenied", 403, "auth", "fail"),
  row("invalidArgument", 400, "fatal", "fail"),
  row("itemNotFound", 404, "fatal", "fail"),
  row("rangeExceedsLimit", 400, "fatal", "fail"),
  // No second-level code: the status decides, and inside a session a 502/503 means recreate.
  row(null, 401, "auth", "drop"),
  row(null, 403, "auth", "fail"),
  row(null, 429, "throttled", "resend"),
  row(null, 500, "fatal", "fail"),
  row(null, 502, "recreate-session", "recreate", "transient"),
  row(null, 503, "recreate-session", "recreate", "transient"),
  row(null, 504, "transient", "resend-if-idempotent"),
];

/** One second of cooldown on every fault, so each row also checks that pauses are kept. */
const RETRY_AFTER_S = 1;

function faultFor(entry: Row) {
  return { status: entry.status, innerCode: entry.innerCode, retryAfter: RETRY_AFTER_S };
}

const label = (entry: Row) => `${entry.status} ${entry.innerCode ?? "(no second-level code)"}`;

describe.each(ROWS.map((entry) => [label(entry), entry] as const))(
  "a call inside a session answered %s",
  (_, entry) => {
    it(`is handled as "${entry.handling}", losing, duplicating and rushing nothing`, async () => {
      useVirtualTime();
      const obs = new Observation(ledger, h);
      const store = obs.watch(h.store());
      const first = await openSession(store);
      const tag = `${entry.status}-${entry.innerCode}`;
      obs.fault("addRow", `${entry.status}`, faultFor(entry));

      const { value: write } = await driveUntilSettled(obs.call(store, uniqueRow(tag, 1)), 100);
      const writes = h.emulator.requestsTo("addRow");

      if (entry.handling === "resend") {
        expect(write?.error).toBeUndefined();
        expect(writes.map((request) => request.sessionId)).toEqual([first.id, first.id]);
        expect(writes[1]!.time - writes[0]!.time).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000);
        expect(rowsHolding(h, `${tag}#1`)).toBe(1);
      } else if (entry.handling === "recreate") {
        expect(write?.error).toBeUndefined();
        expect(writes).toHaveLength(2);
        expect(writes[1]?.sessionId).not.toBe(first.id);
        expect(log.creations()).toHaveLength(2);
        expect(path(obs.states)).toEqual(["idle", "creating", "active", "creating", "active"]);
        expect(rowsHolding(h, `${tag}#1`)).toBe(1);
      } else {
        expect(write?.error).toMatchObject({
          kind: entry.kind,
          status: entry.status,
          innerCode: entry.innerCode,
          operation: "request",
        });
        expect(writes).toHaveLength(1);
        expect(rowsHolding(h, `${tag}#1`)).toBe(0);
        const status = entry.handling === "drop" ? "failed" : "active";
        expect(store.getState().status).toBe(status);
      }

      if (entry.handling === "resend-if-idempotent") {
        // A read marked idempotent is sent again after the same answer.
        obs.fault("worksheets", `${entry.status}`, faultFor(entry));
        const read = await driveUntilSettled(
          obs.call(store, listSheets, { idempotent: true }),
          100,
        );
        expect(read.value?.error).toBeUndefined();
        expect(h.emulator.requestsTo("worksheets")).toHaveLength(2);
      }

      // The next call: in the same session unless the session was given up.
      const { value: next } = await driveUntilSettled(obs.call(store, uniqueRow(tag, 2)), 100);
      expect(next?.error).toBeUndefined();
      const nextSession = h.emulator.requestsTo("addRow").at(-1)?.sessionId;
      if (entry.handling === "drop") expect(nextSession).not.toBe(first.id);
      if (entry.handling === "fail" || entry.handling === "resend") {
        expect(nextSession).toBe(first.id);
        expect(log.creations()).toHaveLength(1);
      }

      // A session Graph ended (an invalidSession* code) was expired on the emulator with the
      // fault. One it may still hold, after a refused token too, is closed once the fault's
      // Retry-After has passed, so nothing is left open.
      expect(await obs.finish([store])).toEqual(CLEAN);
      ledger.scenario();
    });
  },
);

describe.each(ROWS.map((entry) => [label(entry), entry] as const))(
  "a createSession answered %s",
  (_, entry) => {
    const retried = entry.createKind === "throttled" || entry.createKind === "transient";

    it(
      retried ? "is sent again after the cooldown and opens" : "fails at once, typed",
      async () => {
        useVirtualTime();
        const obs = new Observation(ledger, h);
        obs.fault("createSession", `${entry.status}`, faultFor(entry));
        const store = obs.watch(h.store());

        const outcome = await driveUntilSettled(store.open(), 100);
        const creations = log.creations();

        if (retried) {
          expect(outcome.error).toBeUndefined();
          expect(creations).toHaveLength(2);
          const gap = creations[1]!.time - creations[0]!.time;
          expect(gap).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000);
          expect(store.getState().status).toBe("active");
        } else {
          expect(outcome.error).toMatchObject({
            kind: entry.createKind,
            status: entry.status,
            innerCode: entry.innerCode,
            operation: "createSession",
          });
          expect(creations).toHaveLength(1);
          expect(path(obs.states)).toEqual(["idle", "creating", "failed"]);
        }
        expect(await obs.finish([store])).toEqual(CLEAN);
        ledger.scenario();
      },
    );
  },
);
