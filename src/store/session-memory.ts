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
const FORMAT = 2;

/**
 * Keeps a store's session in a storage that outlives the page (such as
 * `sessionStorage`), so a reloaded page can take it up again. A session is
 * handed over only when the page that held it is left (`release`): a store
 * still running elsewhere (a duplicated tab, a second store on the same
 * storage) keeps its session to itself. What is read back is checked like a
 * Graph answer: anything odd is forgotten, never used. Storage that throws is
 * treated as empty.
 */
export class SessionMemory {
  readonly #storage: SessionStorageLike;
  readonly #key: string;
  /** The session this store last wrote or claimed; only that one is its to forget. */
  #mine: string | null = null;
  /** Whether this store handed its session over when its page was left. */
  #handedOver = false;

  constructor(storage: SessionStorageLike, workbookPath: string, kind: SessionKind) {
    this.#storage = storage;
    this.#key = `${KEY_PREFIX}${kindPart(kind)}${workbookPath}`;
  }

  /**
   * The session a page that was left handed over, if it was idle for less than
   * `maxIdle` ms at `now`. A session another store still holds is left alone.
   */
  recall(now: number, maxIdle: number): RememberedSession | null {
    const record = parse(this.#read());
    if (record === null) {
      this.#remove();
      return null;
    }
    if (!record.released) return null;

    if (now - record.lastActivityAt >= maxIdle) {
      this.#remove();
      return null;
    }
    // Claimed at once, so a second store opening now does not take it up too.
    return this.#claim(record.session, record.lastActivityAt) ? record : null;
  }

  /** Records `session` as this store's, last used at `lastActivityAt`. */
  remember(session: WorkbookSession, lastActivityAt: number): void {
    this.#write(session, lastActivityAt, false);
  }

  /** Hands `session` over to whichever page comes next, if it is the one remembered. */
  release(session: WorkbookSession): void {
    const record = parse(this.#read());
    if (record?.session.id !== session.id) return;
    this.#write(session, record.lastActivityAt, true);
  }

  /** Whether this store handed its session over when its page was left, and has not taken it back. */
  get handedOver(): boolean {
    return this.#handedOver;
  }

  /** Whether another store took up the session this store handed over. */
  takenUp(session: WorkbookSession): boolean {
    const record = parse(this.#read());
    return this.#handedOver && record?.session.id === session.id && !record.released;
  }

  /**
   * Takes back a session this store handed over, unless another store has
   * taken it up meanwhile. Says whether the session is still this store's.
   */
  takeBack(session: WorkbookSession): boolean {
    const record = parse(this.#read());
    if (record?.session.id !== session.id || !record.released) {
      this.#mine = null;
      this.#handedOver = false;
      return false;
    }
    return this.#claim(session, record.lastActivityAt);
  }

  /** Removes the remembered session if it is this store's; another store's is left alone. */
  forget(): void {
    const record = parse(this.#read());
    const someoneElses =
      record !== null && (record.session.id !== this.#mine || this.takenUp(record.session));
    if (!someoneElses) this.#remove();
  }

  #remove(): void {
    this.#mine = null;
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

  /*
   * Marks a handed-over session as taken, so no other store takes it up. When
   * storage refuses the write, the entry is removed instead; a session still
   * offered to others is not this store's to use.
   */
  #claim(session: WorkbookSession, lastActivityAt: number): boolean {
    if (this.#write(session, lastActivityAt, false)) return true;
    this.#remove();
    return this.#read() === null;
  }

  /* Full or forbidden storage only costs the resume after a reload; nothing changes here. */
  #write(session: WorkbookSession, lastActivityAt: number, released: boolean): boolean {
    const { id, persistChanges } = session;
    const value = JSON.stringify({ format: FORMAT, id, persistChanges, lastActivityAt, released });
    try {
      this.#storage.setItem(this.#key, value);
    } catch {
      return false;
    }
    this.#mine = id;
    this.#handedOver = released;
    return true;
  }
}

/** What makes sessions of one workbook differ: only one of the same kind is resumed. */
export interface SessionKind {
  readonly persistChanges: boolean;
  readonly commitExplicitly: boolean | undefined;
  readonly deferCoauthoringMerge: boolean | undefined;
}

/* E.g. `scratch:commitExplicitly=true:`; a flag left unset is left out. */
function kindPart(kind: SessionKind): string {
  let part = kind.persistChanges ? "" : "scratch:";
  for (const flag of ["commitExplicitly", "deferCoauthoringMerge"] as const) {
    if (kind[flag] !== undefined) part += `${flag}=${kind[flag]}:`;
  }
  return part;
}

interface StoredRecord extends RememberedSession {
  /** Whether the page that held the session was left, so another may take it up. */
  readonly released: boolean;
}

function parse(text: string | null): StoredRecord | null {
  if (text === null) return null;
  try {
    const record: unknown = JSON.parse(text);
    const lastActivityAt = ownProperty(record, "lastActivityAt");
    if (ownProperty(record, "format") !== FORMAT) return null;
    if (typeof lastActivityAt !== "number" || !Number.isFinite(lastActivityAt)) return null;
    if (typeof ownProperty(record, "persistChanges") !== "boolean") return null;
    const released = ownProperty(record, "released");
    if (typeof released !== "boolean") return null;

    return { session: readSessionBody(record, "refreshSession", true), lastActivityAt, released };
  } catch {
    return null;
  }
}
