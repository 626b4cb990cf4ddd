import { malformedResponse } from "./malformed-response";
import { isRecord } from "./session-body";

/** Where a long-running operation stands, whatever casing Graph used. */
export type OperationProgress = "pending" | "succeeded" | "failed";

const progressByStatus: Readonly<Record<string, OperationProgress>> = {
  notstarted: "pending",
  running: "pending",
  succeeded: "succeeded",
  completed: "succeeded",
  failed: "failed",
};

/**
 * Reads `status` from a workbook operation. Graph's pages disagree on the values
 * (`notStarted`/`running`/`succeeded`/`failed` and `NotStarted`/`Running`/
 * `Completed`/`Failed`), so they are compared without case and both sets count.
 */
export function readOperationProgress(body: unknown): OperationProgress {
  const status = isRecord(body) && Object.hasOwn(body, "status") ? body.status : undefined;
  if (typeof status !== "string") {
    throw malformedResponse(
      "pollOperation",
      "Graph's answer describes an operation without a status.",
    );
  }

  const progress = progressByStatus[status.toLowerCase()];
  if (!progress || !Object.hasOwn(progressByStatus, status.toLowerCase())) {
    throw malformedResponse(
      "pollOperation",
      `Graph's answer has an unknown operation status ${quote(status)}.`,
    );
  }
  return progress;
}

function quote(value: string): string {
  return JSON.stringify(value.slice(0, 40));
}
