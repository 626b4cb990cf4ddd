/*
 * Type-level checks: `npm run typecheck` fails when one of them no longer holds.
 * Each body also runs, so the file is a plain vitest file too.
 */
import type {
  CloseReason,
  ErrorKind,
  GraphOperation,
  SessionContext,
  SessionEvent,
  SessionEventType,
  SessionState,
  SessionStatus,
  SessionStore,
  WorkbookError,
  WorkbookSession,
} from "graph-workbook-session";
import type { Observable } from "rxjs";
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

describe("reading the store", () => {
  it("infers what select() emits from its projector", () => {
    const select = (store: SessionStore) => ({
      status: store.select((state) => state.status),
      attempt: store.select((state) => (state.status === "creating" ? state.attempt : null)),
      both: store.select(
        (state) => ({ status: state.status, at: 0 }),
        (previous, next) => previous.status === next.status,
      ),
    });
    expectTypeOf(select).returns.toEqualTypeOf<{
      status: Observable<SessionStatus>;
      attempt: Observable<number | null>;
      both: Observable<{ status: SessionStatus; at: number }>;
    }>();
    expectTypeOf<SessionStore["sessionId$"]>().toEqualTypeOf<Observable<string | null>>();
  });

  it("emits states that cannot be written to", () => {
    const listen = (store: SessionStore) => {
      store.subscribe((state) => {
        // @ts-expect-error an emitted state is read-only
        state.status = "failed";
      });
      store
        .select((state) => (state.status === "active" ? state.session : null))
        .subscribe((session) => {
          // @ts-expect-error a selected session is read-only
          if (session) session.persistChanges = false;
        });
    };
    expectTypeOf(listen).returns.toEqualTypeOf<void>();
  });

  it("narrows events on type", () => {
    const describeEvent = (event: SessionEvent) => {
      if (event.type === "retry-scheduled") {
        expectTypeOf(event.delay).toEqualTypeOf<number>();
        expectTypeOf(event.sendsAt).toEqualTypeOf<number>();
        expectTypeOf(event.operation).toEqualTypeOf<GraphOperation>();
      }
      if (event.type === "attempt-failed") {
        expectTypeOf(event.error).toEqualTypeOf<WorkbookError>();
      }
      if (event.type === "recreated") {
        expectTypeOf(event.previousSessionId).toEqualTypeOf<string>();
      }
      if (event.type === "closed") expectTypeOf(event.reason).toEqualTypeOf<CloseReason>();
      if (event.type === "created") {
        // @ts-expect-error only retry-scheduled events have a delay
        void event.delay;
      }
      return event.at;
    };
    expectTypeOf(describeEvent).returns.toEqualTypeOf<number>();
    expectTypeOf<SessionEventType>().toEqualTypeOf<
      | "create-requested"
      | "attempt-failed"
      | "retry-scheduled"
      | "created"
      | "refreshed"
      | "expired"
      | "recreated"
      | "failed"
      | "closed"
      | "disposed"
    >();
  });
});
