import type { Subscription } from "rxjs";
import { parseWorkbookAddress } from "../graph/workbook-address";
import type { SessionStore } from "../store/session-store";
import { conflictingSetting, registryDisposed } from "./registry-errors";
import { createLease, type SessionLease } from "./session-lease";
import {
  type ResolvedRegistryOptions,
  resolveRegistryOptions,
  type SessionRegistryOptions,
} from "./session-registry-options";
import {
  differingSetting,
  readOverrides,
  type SessionOverrides,
  type SessionSettings,
  settingsAsOptions,
  settleSettings,
} from "./session-settings";

/** One workbook's store and who holds it. */
interface WorkbookEntry {
  readonly store: SessionStore;
  readonly settings: SessionSettings;
  leases: number;
  /** Disposes the store when it fires; set while no lease is held. */
  graceTimer: Subscription | null;
}

/**
 * Hands out one `SessionStore`, and so one Graph session, per workbook, shared
 * by everyone who asks for that workbook. A store is made on the first
 * `acquire()` of its workbook and disposed a grace period after its last lease
 * is released.
 *
 * Two addresses name the same workbook when `parseWorkbookAddress` reads them
 * to the same path: spelling it reads away (a missing leading slash, a trailing
 * `/workbook`, the case of `me/drive/items`) does not matter. Two different
 * forms of one item (`/me/drive/items/{id}` and `/drives/{drive}/items/{id}`)
 * are not recognised as one and get a store each, as do item paths that differ
 * only in letter case.
 *
 * @example
 * ```ts
 * const registry = new SessionRegistry({ client });
 * const lease = registry.acquire("/me/drive/items/01ABC");
 * const sheets = await lease.store.request((s) => s.api("/worksheets").get());
 * lease.release();
 * ```
 */
export class SessionRegistry {
  readonly #options: ResolvedRegistryOptions;
  /** By the workbook's canonical path. */
  readonly #entries = new Map<string, WorkbookEntry>();
  /** Store disposals still under way. */
  readonly #closing = new Set<Promise<void>>();
  #disposal: Promise<void> | null = null;

  /**
   * Checks `gracePeriod`, `scheduler`, `createStore` and the `createSession`
   * flags at once, throwing a `TypeError` or `RangeError` naming the option;
   * the other store options are checked when the first store is made.
   */
  constructor(options: SessionRegistryOptions) {
    this.#options = resolveRegistryOptions(options);
  }

  /** How many stores the registry holds, those waiting out their grace period included. */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether `dispose()` has been called. */
  get disposed(): boolean {
    return this.#disposal !== null;
  }

  /**
   * Lends the workbook's store, making it if no store of the workbook is held
   * (or the one held was disposed by a user). Throws the error
   * `parseWorkbookAddress` throws for a bad address, and the store's own
   * `TypeError` or `RangeError` when the options cannot make a store.
   *
   * `overrides` apply when the store is made. Since the store is shared, a
   * later `acquire()` of the workbook must settle to the same flags, counting
   * the registry's options and the store's defaults: one that asks for
   * different ones throws an `Error` rather than get a session it did not ask
   * for (say, a scratch session where changes were meant to be saved).
   */
  acquire(workbook: string, overrides?: SessionOverrides): SessionLease {
    if (this.disposed) throw registryDisposed(workbook);

    const key = parseWorkbookAddress(workbook, "workbook").path;
    const settings = settleSettings(this.#options.flags, readOverrides(overrides));
    const entry = this.#entryFor(key, workbook, settings);

    this.#cancelGrace(entry);
    entry.leases += 1;
    return createLease(entry.store, () => this.#release(key, entry));
  }

  /**
   * Disposes every store at once, leases held or not, and refuses further
   * `acquire()` calls. Resolves when every store is disposed; never rejects.
   * Safe to call more than once.
   */
  dispose(): Promise<void> {
    if (this.#disposal) return this.#disposal;

    // Set first, so an acquire() made while the stores are being disposed throws.
    this.#disposal = Promise.resolve().then(() => this.#allClosed());
    for (const [key, entry] of [...this.#entries]) this.#expire(key, entry);
    return this.#disposal;
  }

  #entryFor(key: string, workbook: string, settings: SessionSettings): WorkbookEntry {
    const held = this.#entries.get(key);
    if (held && !held.store.disposed) {
      checkSameSettings(workbook, held.settings, settings);
      return held;
    }

    // A store one of its users disposed can serve no one; its leases stay with it.
    if (held) this.#forget(key, held);
    return this.#createEntry(key, workbook, settings);
  }

  #createEntry(key: string, workbook: string, settings: SessionSettings): WorkbookEntry {
    const { createStore, storeOptions } = this.#options;
    const store = createStore({ ...storeOptions, ...settingsAsOptions(settings), workbook });
    const entry: WorkbookEntry = { store, settings, leases: 0, graceTimer: null };
    this.#entries.set(key, entry);
    return entry;
  }

  #release(key: string, entry: WorkbookEntry): void {
    entry.leases -= 1;
    if (entry.leases > 0 || this.#entries.get(key) !== entry) return;

    const { gracePeriod, scheduler } = this.#options;
    if (gracePeriod === 0) {
      this.#expire(key, entry);
      return;
    }
    entry.graceTimer = scheduler.schedule(() => this.#expire(key, entry), gracePeriod);
  }

  /*
   * The entry is forgotten before the store is disposed: a subscriber to the
   * store's state may acquire the workbook again while dispose() runs, and
   * must then get a new store, not the one being disposed.
   */
  #expire(key: string, entry: WorkbookEntry): void {
    this.#forget(key, entry);
    this.#track(entry.store.dispose());
  }

  #forget(key: string, entry: WorkbookEntry): void {
    this.#cancelGrace(entry);
    if (this.#entries.get(key) === entry) this.#entries.delete(key);
  }

  #cancelGrace(entry: WorkbookEntry): void {
    entry.graceTimer?.unsubscribe();
    entry.graceTimer = null;
  }

  #track(closing: Promise<void>): void {
    const done = () => this.#closing.delete(closing);
    this.#closing.add(closing);
    closing.then(done, done);
  }

  async #allClosed(): Promise<void> {
    await Promise.allSettled([...this.#closing]);
  }
}

function checkSameSettings(workbook: string, held: SessionSettings, asked: SessionSettings) {
  const differing = differingSetting(held, asked);
  if (differing) throw conflictingSetting(workbook, differing, held, asked);
}
