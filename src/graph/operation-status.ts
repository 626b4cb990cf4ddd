import { quoteServerText } from "../errors/safe-text";
import { malformedResponse } from "./malformed-response";
import { ownProperty } from "./session-body";

/** Where a long-running operation stands, whatever casing Graph used. */
export type OperationProgress = "pending" | "succeeded" | "failed";

const progressByStatus: ReadonlyMap<string, OperationProgress> = new Map([
  ["notstarted", "pending"],
  ["running", "pending"],
  ["succeeded", "succeeded"],
  ["completed", "succeeded"],
  ["failed", "failed"],
]);

/**
 * Reads `status` from a workbook operation. Graph's pages disagree on the values
 * (`notStarted`/`running`/`succeeded`/`failed` and `NotStarted`/`Running`/
 * `Completed`/`Failed`), so they are compared without case and both sets count.
 */
export function readOperationProgress(body: unknown): OperationProgress {
  const status = ownProperty(body, "status");
  if (typeof status !== "string") {
    throw malformedResponse(
      "pollOperation",
      "Graph's answer describes an operation without a status.",
    );
  }

  const progress = progressByStatus.get(status.toLowerCase());
  if (!progress) {
    throw malformedResponse(
      "pollOperation",
      `Graph's answer has an unknown operation status ${quoteServerText(status)}.`,
    );
  }
  return progress;
}
