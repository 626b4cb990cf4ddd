import type { EmulatorOptions } from "./emulator-options";
import { WorkbookEmulator } from "./workbook-emulator";

/**
 * Starts a workbook emulator on a loopback port and resolves once it is listening. Rejects with a
 * RangeError for a key it does not know (a misspelt one would leave a default in place) and with
 * a TypeError or RangeError, naming the setting, for a value it could not use.
 *
 * @example
 * const emulator = await startEmulator({ requireToken: "t" });
 * const client = createEmulatorClient(emulator, { token: "t" });
 * await client.api("/me/drive/items/X/workbook/createSession").post({ persistChanges: true });
 * await emulator.close();
 */
export function startEmulator(options: EmulatorOptions = {}): Promise<WorkbookEmulator> {
  return WorkbookEmulator.start(options);
}
