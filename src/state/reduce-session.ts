import { castDraft, type Draft, Immer } from "immer";
import type { SessionAction } from "./session-action";
import type { CreatingState, SessionState } from "./session-state";

/* An instance of its own, so an app that turns immer's freezing off elsewhere
   still gets frozen states from the store. */
const immer = new Immer({ autoFreeze: true });

/** The state every store starts in, frozen. */
export const initialSessionState: SessionState = Object.freeze({ status: "idle" });

type Recipe<A extends SessionAction> = (
  draft: Draft<SessionState>,
  action: A,
) => Draft<SessionState> | undefined;

type Recipes = { [T in SessionAction["type"]]: Recipe<Extract<SessionAction, { type: T }>> };

/*
 * The state of a creation's first attempt, written as a literal rather than
 * spread from a template: V8 (Node 20) builds a spread followed by more
 * properties through a slow path, microseconds each, on every open().
 */
function firstAttempt(lastError: CreatingState["lastError"], changesLost: boolean): CreatingState {
  return { status: "creating", attempt: 1, nextAttemptAt: null, lastError, changesLost };
}

/*
 * A recipe either edits the draft in place (same status) or returns a whole new
 * state (a new status). Editing in place with equal values leaves the draft
 * unchanged, so immer hands back the very same object and nothing is emitted.
 */
const recipes: Recipes = {
  "create-requested": (draft) => {
    if (draft.status === "creating" || draft.status === "active") return undefined;
    return castDraft(firstAttempt(null, false));
  },

  "attempt-started": (draft, { attempt, sendsAt }) => {
    if (draft.status !== "creating") return undefined;
    draft.attempt = attempt;
    draft.nextAttemptAt = sendsAt;
    return undefined;
  },

  "attempt-failed": (draft, { error, nextAttempt, nextAttemptAt }) => {
    if (draft.status !== "creating") return undefined;
    draft.attempt = nextAttempt;
    draft.lastError = castDraft(error);
    draft.nextAttemptAt = nextAttemptAt;
    return undefined;
  },

  created: (draft, { session }) => {
    if (draft.status === "active") {
      draft.session.id = session.id;
      draft.session.persistChanges = session.persistChanges;
      return undefined;
    }
    const changesLost = draft.status === "creating" && draft.changesLost;
    return castDraft({ status: "active", session: { ...session }, changesLost });
  },

  failed: (draft, { error }) => {
    if (draft.status === "failed" && draft.error === error) return undefined;
    return castDraft({ status: "failed", error });
  },

  "session-lost": (draft, { error, recreate }) => {
    if (draft.status !== "active") return undefined;
    if (!recreate) return castDraft({ status: "failed", error });
    const changesLost = draft.changesLost || !draft.session.persistChanges;
    return castDraft(firstAttempt(error, changesLost));
  },

  "resume-failed": (draft, { error, changesLost }) => {
    if (draft.status !== "creating") return undefined;
    draft.lastError = castDraft(error);
    draft.changesLost = draft.changesLost || changesLost;
    return undefined;
  },

  reset: (draft) => (draft.status === "idle" ? undefined : { status: "idle" }),
};

/**
 * The one place a session state changes. Returns the same object when the action
 * changes nothing, and a new frozen state otherwise.
 */
export function reduceSession(state: SessionState, action: SessionAction): SessionState {
  const recipe = recipes[action.type] as Recipe<SessionAction>;
  return immer.produce(state, (draft) => recipe(draft, action));
}
