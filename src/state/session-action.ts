import type { WorkbookError } from "../errors/workbook-error";
import type { WorkbookSession } from "./session-state";

/** Every change a store makes to its state, as data. Reduced by `reduceSession`. */
export type SessionAction =
  | { readonly type: "create-requested" }
  | {
      readonly type: "attempt-started";
      readonly attempt: number;
      /** When the attempt is sent, if a server cooldown holds it back; else null. */
      readonly sendsAt: number | null;
    }
  | {
      readonly type: "attempt-failed";
      readonly error: WorkbookError;
      readonly nextAttempt: number;
      readonly nextAttemptAt: number;
    }
  | { readonly type: "created"; readonly session: WorkbookSession }
  | { readonly type: "failed"; readonly error: WorkbookError }
  | { readonly type: "session-lost"; readonly error: WorkbookError; readonly recreate: boolean }
  /** A session remembered from an earlier page could not be resumed. */
  | { readonly type: "resume-failed"; readonly error: WorkbookError; readonly changesLost: boolean }
  | { readonly type: "reset" };
