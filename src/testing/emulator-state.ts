import type { EmulatorSettings } from "./emulator-options";
import { OperationRegistry } from "./operation-registry";
import type { ResolvedSettings } from "./resolved-settings";
import { mergeSettings, resolveSettings } from "./resolved-settings";
import type { EmulatedSession } from "./session-registry";
import { SessionRegistry } from "./session-registry";
import { WorkbookStore } from "./workbook-store";

/** Everything the route handlers read and change: settings, workbooks, sessions, operations. */
export class EmulatorState {
  readonly workbooks = new WorkbookStore();
  readonly sessions = new SessionRegistry(() => this.settings);
  readonly operations = new OperationRegistry();
  private raw: EmulatorSettings;
  private resolved: ResolvedSettings;

  constructor(settings: EmulatorSettings) {
    this.raw = settings;
    this.resolved = resolveSettings(settings);
  }

  /** Current settings with defaults filled in. */
  get settings(): ResolvedSettings {
    return this.resolved;
  }

  /** Applies a settings patch (see {@link mergeSettings}). */
  configure(patch: EmulatorSettings): void {
    this.raw = mergeSettings(this.raw, patch);
    this.resolved = resolveSettings(this.raw);
  }

  /** Opens a session on the workbook with this key. */
  openSession(workbook: string, persistChanges: boolean): EmulatedSession {
    return this.sessions.open(workbook, this.workbooks.get(workbook), persistChanges);
  }

  /** Reads the emulator clock. */
  now(): number {
    return this.resolved.now();
  }
}
