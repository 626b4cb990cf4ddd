import { type SessionState, WorkbookError } from "graph-workbook-session";
import { describe, expect, expectTypeOf, it } from "vitest";
import { initialSessionState, reduceSession } from "../src/state/reduce-session";

const error = new WorkbookError({
  kind: "transient",
  operation: "createSession",
  status: 503,
  code: "serviceUnavailable",
  innerCode: null,
});
const session = { id: "s1", persistChanges: true };

describe("reduceSession", () => {
  it("walks idle → creating → active and freezes every state", () => {
    const creating = reduceSession(initialSessionState, { type: "create-requested" });
    const waiting = reduceSession(creating, {
      type: "attempt-failed",
      error,
      nextAttempt: 2,
      nextAttemptAt: 1_000,
    });
    const active = reduceSession(waiting, { type: "created", session });

    expect(creating).toEqual({
      status: "creating",
      attempt: 1,
      lastError: null,
      nextAttemptAt: null,
      changesLost: false,
    });
    expect(waiting).toMatchObject({
      status: "creating",
      attempt: 2,
      lastError: error,
      nextAttemptAt: 1_000,
    });
    expect(active).toEqual({ status: "active", session, changesLost: false });
    for (const state of [initialSessionState, creating, waiting, active]) {
      expect(Object.isFrozen(state)).toBe(true);
    }
  });

  it("returns the same object when an action changes nothing", () => {
    const active = reduceSession(reduceSession(initialSessionState, { type: "create-requested" }), {
      type: "created",
      session,
    });

    expect(reduceSession(initialSessionState, { type: "reset" })).toBe(initialSessionState);
    expect(reduceSession(active, { type: "create-requested" })).toBe(active);
    expect(reduceSession(active, { type: "created", session: { ...session } })).toBe(active);
    expect(
      reduceSession(initialSessionState, { type: "attempt-started", attempt: 3, sendsAt: null }),
    ).toBe(initialSessionState);
  });

  it("sends a lost session back to creating, or to failed when it cannot be recreated", () => {
    const active = reduceSession(reduceSession(initialSessionState, { type: "create-requested" }), {
      type: "created",
      session,
    });

    expect(reduceSession(active, { type: "session-lost", error, recreate: true })).toEqual({
      status: "creating",
      attempt: 1,
      lastError: error,
      nextAttemptAt: null,
      changesLost: false,
    });
    expect(reduceSession(active, { type: "session-lost", error, recreate: false })).toEqual({
      status: "failed",
      error,
      changesLost: false,
    });
  });

  it("marks changes lost when a non-persistent session is replaced, until the store starts over", () => {
    const scratch = { id: "s2", persistChanges: false };
    const active = reduceSession(reduceSession(initialSessionState, { type: "create-requested" }), {
      type: "created",
      session: scratch,
    });

    const recreating = reduceSession(active, { type: "session-lost", error, recreate: true });
    const replaced = reduceSession(recreating, {
      type: "created",
      session: { ...scratch, id: "s3" },
    });
    const reopened = reduceSession(reduceSession(replaced, { type: "reset" }), {
      type: "create-requested",
    });

    expect(recreating).toMatchObject({ status: "creating", changesLost: true });
    expect(replaced).toMatchObject({ status: "active", changesLost: true, session: { id: "s3" } });
    expect(reopened).toMatchObject({ status: "creating", changesLost: false });
  });

  it("keeps the loss through a failure, until the store is closed", () => {
    const scratch = { id: "s2", persistChanges: false };
    const active = reduceSession(reduceSession(initialSessionState, { type: "create-requested" }), {
      type: "created",
      session: scratch,
    });

    const recreating = reduceSession(active, { type: "session-lost", error, recreate: true });
    const failed = reduceSession(recreating, { type: "failed", error });
    const reopened = reduceSession(failed, { type: "create-requested" });
    const dropped = reduceSession(active, { type: "session-lost", error, recreate: false });

    expect(failed).toMatchObject({ status: "failed", changesLost: true });
    expect(reopened).toMatchObject({ status: "creating", changesLost: true });
    expect(dropped).toMatchObject({ status: "failed", changesLost: true });
    const closed = reduceSession(reduceSession(failed, { type: "reset" }), {
      type: "create-requested",
    });
    expect(closed).toMatchObject({ status: "creating", changesLost: false });
  });

  it("keeps the loss when a remembered scratch session cannot be resumed", () => {
    const creating = reduceSession(initialSessionState, { type: "create-requested" });
    const failed = reduceSession(creating, { type: "resume-failed", error, changesLost: true });

    expect(failed).toMatchObject({ status: "creating", lastError: error, changesLost: true });
    expect(
      reduceSession(initialSessionState, { type: "resume-failed", error, changesLost: true }),
    ).toBe(initialSessionState);
  });

  it("types emitted states as read-only, and throws on a write at run time", () => {
    const state = reduceSession(initialSessionState, { type: "create-requested" });
    expectTypeOf(state).toEqualTypeOf<SessionState>();

    const write = () => {
      if (state.status !== "creating") return;
      // @ts-expect-error states are read-only
      state.attempt = 5;
    };
    expect(write).toThrow(TypeError);
  });
});
