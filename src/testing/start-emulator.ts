import type { EmulatorOptions } from "./emulator-options";
import { WorkbookEmulator } from "./workbook-emulator";

/**
 * Starts a workbook emulator on a loopback port and resolves once it is listening.
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
