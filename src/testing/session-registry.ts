import type { ResolvedSettings } from "./resolved-settings";
import { newSessionId } from "./session-id";
import { SessionOverlay } from "./session-overlay";
import type { WorkbookData } from "./workbook-data";
import type { WorkbookView } from "./workbook-view";

/** A live workbook session as {@link WorkbookEmulator.sessions} reports it. */
export interface EmulatedSessionInfo {
  /** Session id, as sent in `workbook-session-id`. */
  readonly id: string;
  /** Key of the workbook the session belongs to (see {@link RecordedRequest.workbook}). */
  readonly workbook: string;
  /** Whether writes reach the workbook (`true`) or stay in the session (`false`). */
  readonly persistChanges: boolean;
  /** Creation time in ms on the emulator clock. */
  readonly createdAt: number;
  /** Time of the last call that used the session, in ms on the emulator clock. */
  readonly lastActivityAt: number;
}

/** A session together with the view its calls read and write. */
export interface EmulatedSession extends EmulatedSessionInfo {
  readonly view: WorkbookView;
}

type StoredSession = { -readonly [K in keyof EmulatedSession]: EmulatedSession[K] };

/** Live sessions, with inactivity expiry judged against the emulator clock on every lookup. */
export class SessionRegistry {
  private readonly live = new Map<string, StoredSession>();

  constructor(private readonly settings: () => ResolvedSettings) {}

  /**
   * Opens a session; a non-persistent one writes to a private overlay of the workbook. Sessions
   * that expired meanwhile are let go of, so that sessions nobody closed do not pile up.
   */
  open(workbook: string, data: WorkbookData, persistChanges: boolean): EmulatedSession {
    this.forgetExpired();
    const now = this.settings().now();
    const view = persistChanges ? data : new SessionOverlay(data);
    const session = { id: newSessionId(), workbook, persistChanges, view };
    const stored = { ...session, createdAt: now, lastActivityAt: now };
    this.live.set(stored.id, stored);
    return stored;
  }

  /**
   * Finds a live session of the given workbook and counts the lookup as activity; expired
   * sessions are removed and reported as missing.
   */
  use(id: string, workbook: string): EmulatedSession | undefined {
    const session = this.find(id);
    if (session?.workbook !== workbook) return undefined;

    session.lastActivityAt = this.settings().now();
    return session;
  }

  /** Ends a session; returns whether it was live. */
  close(id: string): boolean {
    return this.find(id) !== undefined && this.live.delete(id);
  }

  /** Sessions still live, oldest first. */
  list(): EmulatedSessionInfo[] {
    return [...this.live.keys()].flatMap((id) => {
      const session = this.find(id);
      return session ? [info(session)] : [];
    });
  }

  /** Number of live sessions on one workbook. */
  countFor(workbook: string): number {
    return this.list().filter((session) => session.workbook === workbook).length;
  }

  /** Forgets every session; returns how many were live. */
  clear(): number {
    const count = this.list().length;
    this.live.clear();
    return count;
  }

  private find(id: string): StoredSession | undefined {
    const session = this.live.get(id);
    if (session === undefined || !this.isExpired(session)) return session;

    this.live.delete(id);
    return undefined;
  }

  private forgetExpired(): void {
    for (const [id, session] of this.live) {
      if (this.isExpired(session)) this.live.delete(id);
    }
  }

  private isExpired(session: StoredSession): boolean {
    const { lifetime, now } = this.settings();
    const limit = session.persistChanges ? lifetime.persistent : lifetime.nonPersistent;
    return now() - session.lastActivityAt > limit;
  }
}

function info(session: EmulatedSessionInfo): EmulatedSessionInfo {
  const { id, workbook, persistChanges, createdAt, lastActivityAt } = session;
  return { id, workbook, persistChanges, createdAt, lastActivityAt };
}
