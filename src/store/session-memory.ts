import type { SessionStorageLike } from "../environment/session-environment";
import { ownProperty, readSessionBody } from "../graph/session-body";
import type { WorkbookSession } from "../state/session-state";

/** A session remembered from an earlier page load. */
export interface RememberedSession {
  readonly session: WorkbookSession;
  /** When it was last used, in ms on the store's clock. */
  readonly lastActivityAt: number;
}

const KEY_PREFIX = "graph-workbook-session:";
const FORMAT = 1;

/**
 * Keeps a store's session in a storage that outlives the page (such as
 * `sessionStorage`), so a reloaded page can take it up again. What it reads
 * back is checked like a Graph answer: anything odd is forgotten, never used.
 * Storage that throws is treated as empty.
 */
export class SessionMemory {
  readonly #storage: SessionStorageLike;
  readonly #key: string;

  constructor(storage: SessionStorageLike, workbookPath: string, persistChanges: boolean) {
    this.#storage = storage;
    this.#key = `${KEY_PREFIX}${persistChanges ? "" : "scratch:"}${workbookPath}`;
  }

  /** The remembered session, if there is one idle for less than `maxIdle` ms at `now`. */
  recall(now: number, maxIdle: number): RememberedSession | null {
    const remembered = parse(this.#read());
    const fresh = remembered !== null && now - remembered.lastActivityAt < maxIdle;
    if (!fresh) this.forget();
    return fresh ? remembered : null;
  }

  remember(session: WorkbookSession, lastActivityAt: number): void {
    const record = { format: FORMAT, id: session.id, persistChanges: session.persistChanges };
    this.#write(JSON.stringify({ ...record, lastActivityAt }));
  }

  forget(): void {
    try {
      this.#storage.removeItem(this.#key);
    } catch {
      // Nothing to undo: the entry is unusable once its session is closed.
    }
  }

  #read(): string | null {
    try {
      return this.#storage.getItem(this.#key);
    } catch {
      return null;
    }
  }

  #write(value: string): void {
    try {
      this.#storage.setItem(this.#key, value);
    } catch {
      // Full or forbidden storage only costs the resume after a reload.
    }
  }
}

function parse(text: string | null): RememberedSession | null {
  if (text === null) return null;
  try {
    const record: unknown = JSON.parse(text);
    const lastActivityAt = ownProperty(record, "lastActivityAt");
    if (ownProperty(record, "format") !== FORMAT) return null;
    if (typeof lastActivityAt !== "number" || !Number.isFinite(lastActivityAt)) return null;
    if (typeof ownProperty(record, "persistChanges") !== "boolean") return null;

    return { session: readSessionBody(record, "refreshSession", true), lastActivityAt };
  } catch {
    return null;
  }
}
