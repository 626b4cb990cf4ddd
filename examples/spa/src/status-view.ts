import type { SessionState } from "graph-workbook-session";
import { seconds, shortId, summarizeError } from "./describe";
import { byId } from "./dom";

const STATUS_WORDS = {
  idle: "idle",
  creating: "creating",
  active: "active",
  failed: "failed",
} as const;

/**
 * The session card: status, attempt, session id, last error, and a countdown to the next try
 * that ticks on its own while the store waits out a backoff.
 */
export class StatusView {
  #state: SessionState = { status: "idle" };
  /** When the current wait began, to draw how much of it is left. */
  #waitStartedAt = 0;
  #waitingFor: number | null = null;
  #ticker: ReturnType<typeof setInterval> | undefined;

  show(state: SessionState): void {
    this.#state = state;
    this.#trackWait(state.status === "creating" ? state.nextAttemptAt : null);

    const status = byId("status");
    status.dataset.status = state.status;
    byId("status-label").textContent = statusLabel(state);

    this.#showFacts(state);
    this.#tick();
  }

  #showFacts(state: SessionState): void {
    const session = byId("session-id");
    const id = state.status === "active" ? state.session.id : "";
    session.dataset.sessionId = id;
    session.title = id;
    session.textContent = id ? shortId(id) : "none";

    byId("attempt").textContent = state.status === "creating" ? String(state.attempt) : "–";
    byId("last-error").textContent = lastErrorText(state);
  }

  #trackWait(nextAttemptAt: number | null): void {
    if (nextAttemptAt === this.#waitingFor) return;

    this.#waitingFor = nextAttemptAt;
    this.#waitStartedAt = Date.now();
    clearInterval(this.#ticker);
    this.#ticker = nextAttemptAt === null ? undefined : setInterval(() => this.#tick(), 100);
  }

  #tick(): void {
    const countdown = byId("countdown");
    const fill = byId("countdown-fill");
    const until = this.#waitingFor;
    countdown.dataset.waiting = String(until !== null);

    if (until === null) {
      countdown.textContent = this.#state.status === "creating" ? "sending now" : "–";
      fill.style.width = "0%";
      return;
    }

    const left = Math.max(0, until - Date.now());
    const total = Math.max(1, until - this.#waitStartedAt);
    countdown.textContent = `in ${seconds(left)}`;
    fill.style.width = `${Math.round((left / total) * 100)}%`;
  }
}

function statusLabel(state: SessionState): string {
  if (state.status === "creating") return `creating, attempt ${state.attempt}`;
  return STATUS_WORDS[state.status];
}

function lastErrorText(state: SessionState): string {
  if (state.status === "creating" && state.lastError) return summarizeError(state.lastError);
  if (state.status === "failed") return state.error.message;
  return "none";
}
