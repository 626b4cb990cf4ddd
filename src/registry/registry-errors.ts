import { describeValue } from "../options/read-option";
import type { SessionSettings } from "./session-settings";

/** `acquire()` was called on a registry that has been disposed. */
export function registryDisposed(workbook: string): Error {
  return new Error(
    `SessionRegistry cannot lend workbook ${describeValue(workbook)}: the registry has been ` +
      "disposed. Create a new SessionRegistry, or stop acquiring once it is disposed.",
  );
}

/** `acquire()` asked for a flag that the workbook's existing store was not made with. */
export function conflictingSetting(
  workbook: string,
  name: keyof SessionSettings,
  existing: SessionSettings,
  asked: SessionSettings,
): Error {
  return new Error(
    `SessionRegistry cannot lend workbook ${describeValue(workbook)} with ${name}: ` +
      `${describeValue(asked[name])}, since its shared store was made with ${name}: ` +
      `${describeValue(existing[name])}, and every user of a workbook shares one session. ` +
      "Ask for the same options everywhere, or acquire again once every lease is released " +
      "and the grace period is over.",
  );
}
