/*
 * Type-level checks: `npm run typecheck` fails when one of them no longer holds.
 * Each body also runs, so the file is a plain vitest file too.
 */
import type {
  ErrorKind,
  SessionContext,
  SessionState,
  SessionStore,
  WorkbookError,
  WorkbookSession,
} from "graph-workbook-session";
import { describe, expectTypeOf, it } from "vitest";

describe("public types", () => {
  it("narrows the state union on status", () => {
    const check = (state: SessionState) => {
      if (state.status === "creating") {
        expectTypeOf(state.attempt).toEqualTypeOf<number>();
        expectTypeOf(state.lastError).toEqualTypeOf<WorkbookError | null>();
        expectTypeOf(state.nextAttemptAt).toEqualTypeOf<number | null>();
      }
      if (state.status === "active") expectTypeOf(state.session).toEqualTypeOf<WorkbookSession>();
      if (state.status === "failed") expectTypeOf(state.error).toEqualTypeOf<WorkbookError>();
    };
    expectTypeOf(check).parameter(0).toEqualTypeOf<SessionState>();
  });

  it("keeps states and sessions read-only", () => {
    const mutate = (state: SessionState, session: WorkbookSession) => {
      // @ts-expect-error status cannot be assigned
      state.status = "idle";
      // @ts-expect-error a session id cannot be assigned
      session.id = "other";
    };
    expectTypeOf(mutate).returns.toEqualTypeOf<void>();
  });

  it("infers what request() resolves with from the call", () => {
    const use = (store: SessionStore) => store.request(async (_: SessionContext) => ({ rows: 3 }));
    expectTypeOf(use).returns.toEqualTypeOf<Promise<{ rows: number }>>();
  });

  it("names every error kind", () => {
    expectTypeOf<ErrorKind>().toEqualTypeOf<
      "throttled" | "transient" | "recreate-session" | "session-lost" | "auth" | "fatal" | "aborted"
    >();
    expectTypeOf<WorkbookError["kind"]>().toEqualTypeOf<ErrorKind>();
  });
});
