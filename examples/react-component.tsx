/**
 * A small React component on a session store: it shows the status, the
 * creation attempt and the session id, and offers two actions, Open and
 * List worksheets. `npm run example:react` renders it (react-runner.tsx).
 */
import type { SessionState, SessionStatus, SessionStore } from "graph-workbook-session";
import { useSessionState } from "graph-workbook-session/react";
import { useState } from "react";

interface Badge {
  readonly status: SessionStatus;
  readonly attempt: number | null;
  readonly sessionId: string | null;
}

export function SessionPanel({ store }: { store: SessionStore }) {
  // toBadge builds a new object on every state; sameBadge keeps the previous
  // one when nothing shown changed, so a new nextAttemptAt alone renders nothing.
  const badge = useSessionState(store, toBadge, sameBadge);
  const [sheets, setSheets] = useState("");

  // A failed open shows in the state, so its rejection needs no handling here.
  const open = () => void store.open().catch(() => undefined);
  const listSheets = async () => {
    try {
      const body = await store.request((s) => s.api("/worksheets").get(), { idempotent: true });
      setSheets(body.value.map((sheet: { name: string }) => sheet.name).join(", "));
    } catch (error) {
      setSheets(`none, ${(error as Error).message}`);
    }
  };

  return (
    <section>
      <p>Status: {badge.attempt === null ? badge.status : `creating, attempt ${badge.attempt}`}</p>
      <p>Session: {badge.sessionId === null ? "none" : shorten(badge.sessionId)}</p>
      <button
        type="button"
        onClick={open}
        disabled={badge.status === "creating" || badge.status === "active"}
      >
        Open
      </button>
      <button type="button" onClick={() => void listSheets()} disabled={badge.status !== "active"}>
        List worksheets
      </button>
      {sheets && <p>Worksheets: {sheets}</p>}
    </section>
  );
}

function toBadge(state: SessionState): Badge {
  return {
    status: state.status,
    attempt: state.status === "creating" ? state.attempt : null,
    sessionId: state.status === "active" ? state.session.id : null,
  };
}

function sameBadge(a: Badge, b: Badge): boolean {
  return a.status === b.status && a.attempt === b.attempt && a.sessionId === b.sessionId;
}

function shorten(id: string): string {
  return id.length > 14 ? `${id.slice(0, 6)}…${id.slice(-6)}` : id;
}
