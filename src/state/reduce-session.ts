import { castDraft, type Draft, freeze, Immer } from "immer";
import type { SessionAction } from "./session-action";
import type { CreatingState, SessionState } from "./session-state";

/* An instance of its own, so an app that turns immer's freezing off elsewhere
   still gets frozen states from the store. */
const immer = new Immer({ autoFreeze: true });

/** The state every store starts in, frozen. */
export const initialSessionState: SessionState = Object.freeze({ status: "idle" });

type Reducer<A extends SessionAction> = (state: SessionState, action: A) => SessionState;

type Reducers = { [T in SessionAction["type"]]: Reducer<Extract<SessionAction, { type: T }>> };

/*
 * The state of a creation's first attempt, written as a literal rather than
 * spread from a template: V8 (Node 20) builds a spread followed by more
 * properties through a slow path, microseconds each, on every open().
 */
function firstAttempt(lastError: CreatingState["lastError"], changesLost: boolean): CreatingState {
  return freeze({
    status: "creating",
    attempt: 1,
    nextAttemptAt: null,
    lastError,
    changesLost,
  });
}

/*
 * A whole new state (a new status) is built as it is and frozen with immer's
 * `freeze`, which costs a fraction of a draft; immer drafts only edits in place
 * (same status). An action that would set the values the
 * state already has returns the very same object, as immer would, so nothing
 * is emitted; checking that first spares a draft on every open().
 */
const reducers: Reducers = {
  "create-requested": (state) => {
    if (state.status === "creating" || state.status === "active") return state;
    return firstAttempt(null, state.status === "failed" && state.changesLost);
  },

  "attempt-started": (state, { attempt, sendsAt }) => {
    if (state.status !== "creating") return state;
    if (Object.is(state.attempt, attempt) && Object.is(state.nextAttemptAt, sendsAt)) return state;
    return edit(state, (draft) => {
      draft.attempt = attempt;
      draft.nextAttemptAt = sendsAt;
    });
  },

  "attempt-failed": (state, { error, nextAttempt, nextAttemptAt }) => {
    if (state.status !== "creating") return state;
    return edit(state, (draft) => {
      draft.attempt = nextAttempt;
      draft.lastError = castDraft(error);
      draft.nextAttemptAt = nextAttemptAt;
    });
  },

  created: (state, { session }) => {
    if (state.status === "active") {
      const same =
        Object.is(state.session.id, session.id) &&
        Object.is(state.session.persistChanges, session.persistChanges);
      if (same) return state;
      return edit(state, (draft) => {
        draft.session.id = session.id;
        draft.session.persistChanges = session.persistChanges;
      });
    }
    const changesLost = state.status === "creating" && state.changesLost;
    // Both levels frozen one by one: a session holds only primitives, and a deep
    // freeze walks every value, which costs on every open().
    return freeze({ status: "active", session: freeze({ ...session }), changesLost });
  },

  failed: (state, { error }) => {
    if (state.status === "failed" && state.error === error) return state;
    const changesLost = state.status !== "idle" && state.changesLost;
    return freeze({ status: "failed", error, changesLost });
  },

  "session-lost": (state, { error, recreate }) => {
    if (state.status !== "active") return state;
    const changesLost = state.changesLost || !state.session.persistChanges;
    if (!recreate) return freeze({ status: "failed", error, changesLost });
    return firstAttempt(error, changesLost);
  },

  "resume-failed": (state, { error, changesLost }) => {
    if (state.status !== "creating") return state;
    return edit(state, (draft) => {
      draft.lastError = castDraft(error);
      draft.changesLost = draft.changesLost || changesLost;
    });
  },

  reset: (state) => (state.status === "idle" ? state : idleState()),
};

function idleState(): SessionState {
  return freeze({ status: "idle" });
}

/** An edit of a state that keeps its status; immer hands back the same object if nothing changed. */
function edit<S extends SessionState>(state: S, recipe: (draft: Draft<S>) => void): S {
  return immer.produce(state, recipe);
}

/**
 * The one place a session state changes. Returns the same object when the action
 * changes nothing, and a new frozen state otherwise.
 */
export function reduceSession(state: SessionState, action: SessionAction): SessionState {
  const reducer = reducers[action.type] as Reducer<SessionAction>;
  return reducer(state, action);
}
