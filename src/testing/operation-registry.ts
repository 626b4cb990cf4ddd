import { randomUUID } from "node:crypto";
import type { ResolvedAsyncCreate } from "./resolved-settings";

/** Status of an asynchronous createSession, in Graph's camel-case spelling. */
export type OperationStatus = "notStarted" | "running" | "succeeded" | "failed";

/** One asynchronous createSession and how far its polling has got. */
export interface EmulatedOperation {
  readonly id: string;
  readonly workbook: string;
  readonly persistChanges: boolean;
  /** The async behaviour in force when the operation started; later changes do not affect it. */
  readonly behaviour: ResolvedAsyncCreate;
  /** Number of status polls answered so far. */
  polls: number;
  /** Session created when the operation succeeded. */
  sessionId: string | undefined;
  /** When the operation started, in ms on the emulator clock. */
  readonly startedAt: number;
}

/** How long an operation can be polled after it started, in ms: an hour. */
export const OPERATION_RETENTION = 3_600_000;

const PASCAL: Readonly<Record<OperationStatus, string>> = {
  notStarted: "NotStarted",
  running: "Running",
  succeeded: "Completed",
  failed: "Failed",
};

/** Asynchronous createSession operations by id. */
export class OperationRegistry {
  private readonly operations = new Map<string, EmulatedOperation>();

  /**
   * Records a new operation that has not been polled yet, at `now` on the emulator clock, and
   * forgets the operations that started more than {@link OPERATION_RETENTION} ms before.
   */
  start(workbook: string, persistChanges: boolean, behaviour: ResolvedAsyncCreate, now: number) {
    this.forgetStartedBefore(now - OPERATION_RETENTION);

    const operation = { id: randomUUID(), workbook, persistChanges, behaviour, polls: 0 };
    const stored: EmulatedOperation = { ...operation, sessionId: undefined, startedAt: now };
    this.operations.set(stored.id, stored);
    return stored;
  }

  /** The operation with this id on this workbook, if any. */
  find(id: string, workbook: string): EmulatedOperation | undefined {
    const operation = this.operations.get(id);
    return operation?.workbook === workbook ? operation : undefined;
  }

  private forgetStartedBefore(time: number): void {
    for (const [id, operation] of this.operations) {
      if (operation.startedAt < time) this.operations.delete(id);
    }
  }
}

/**
 * Counts one poll and returns the status it reports: `notStarted` for the first polls, then
 * `running`, then the configured outcome from then on.
 */
export function pollStatus(operation: EmulatedOperation): OperationStatus {
  const { notStartedPolls, runningPolls, outcome } = operation.behaviour;
  const poll = operation.polls;
  operation.polls += 1;

  if (poll < notStartedPolls) return "notStarted";
  if (poll < notStartedPolls + runningPolls) return "running";
  return outcome;
}

/** Spells a status in the casing the operation was configured with. */
export function spellStatus(status: OperationStatus, casing: "camel" | "pascal"): string {
  return casing === "camel" ? status : PASCAL[status];
}
