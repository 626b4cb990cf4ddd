import type { SessionEvent, WorkbookError } from "graph-workbook-session";

/** A line of the event log: what happened, told for a person, and how it should look. */
export interface LogLine {
  readonly at: number;
  readonly tone: "info" | "good" | "warn" | "bad" | "app";
  readonly text: string;
}

/**
 * Shortens a session id to its last characters, enough to tell sessions apart: Graph's ids
 * share a long common start, and their base64 padding says nothing.
 */
export function shortId(id: string): string {
  const meaningful = id.replace(/=+$/, "");
  return meaningful.length <= 10 ? meaningful : `…${meaningful.slice(-8)}`;
}

/** Seconds with one decimal, e.g. `1.3 s`. */
export function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}

/** The error in a few words: status, codes and what the Retry-After said. */
export function summarizeError(error: WorkbookError): string {
  const status = error.status === null ? "no answer" : String(error.status);
  const code = error.code === "peerFailed" ? "" : (error.innerCode ?? error.code ?? "");
  const parts = [`${status} ${code}`.trim(), error.kind];
  if (error.kind === "throttled") parts.push(cooldownText(error.retryAfterMs));
  return parts.join(", ");
}

function cooldownText(retryAfterMs: number | null): string {
  return retryAfterMs === null ? "no readable Retry-After" : `Retry-After ${seconds(retryAfterMs)}`;
}

/** A store event as one line of the log. */
export function describeEvent(event: SessionEvent): LogLine {
  const line = (tone: LogLine["tone"], text: string): LogLine => ({ at: event.at, tone, text });

  switch (event.type) {
    case "create-requested":
      return line("info", `Creating a session (${CREATE_REASONS[event.reason]})`);
    case "attempt-failed":
      if (event.error.code === "peerFailed") {
        return line(
          "warn",
          `${event.operation} try ${event.attempt} not sent: another tab just got ` +
            summarizeError(event.error),
        );
      }
      return line(
        "warn",
        `${event.operation} try ${event.attempt} failed: ${summarizeError(event.error)}`,
      );
    case "retry-scheduled":
      return line("info", `${event.operation} try ${event.attempt} in ${seconds(event.delay)}`);
    case "created":
      return line("good", createdText(event.sessionId, event.persistChanges, event.resumed));
    case "refreshed":
      return line("good", `Session ${shortId(event.sessionId)} kept alive`);
    case "expired":
      return line("warn", `Graph no longer knows session ${shortId(event.sessionId)}`);
    case "recreated":
      return line(
        "good",
        `Session ${shortId(event.sessionId)} replaces ${shortId(event.previousSessionId)}`,
      );
    case "failed":
      return line("bad", `Failed for good: ${event.error.message}`);
    case "closed":
      return line("info", closedText(event.sessionId, event.reason, event.closed));
    case "disposed":
      return line("info", "Store disposed");
  }
}

const CREATE_REASONS = {
  open: "asked by the app",
  recreate: "to replace one Graph dropped",
  resume: "taking up the one the last page handed over",
} as const;

function createdText(sessionId: string, persistChanges: boolean, resumed: boolean): string {
  const verb = resumed ? "resumed" : "created";
  const changes = persistChanges ? "changes are saved" : "scratch session";
  return `Session ${shortId(sessionId)} ${verb}, ${changes}`;
}

function closedText(sessionId: string, reason: string, confirmed: boolean): string {
  const outcome = confirmed ? "Graph confirmed" : "not confirmed";
  return `Session ${shortId(sessionId)} closed (${reason}), ${outcome}`;
}
