import { asyncScheduler, type SchedulerLike } from "rxjs";
import { describeValue, readDelay, readFunction, readScheduler } from "../options/read-option";
import { SessionStore } from "../store/session-store";
import type { SessionStoreOptions } from "../store/session-store-options";
import { readFlags, type SessionOverrides } from "./session-settings";

/**
 * Options of a `SessionRegistry`: the options of every store it makes (all of
 * `SessionStoreOptions` but `workbook`, which each `acquire()` names), and how
 * long a store outlives its last user. Only `client` is required.
 */
export interface SessionRegistryOptions extends Omit<SessionStoreOptions, "workbook"> {
  /**
   * How long a workbook's store stays open after its last lease is released,
   * in ms, so that a user who lets go and comes straight back (a component
   * that unmounts and mounts again) keeps the session. An `acquire()` within
   * that time reuses the store. Measured on `scheduler`. Default 5000; 0
   * disposes the store as soon as its last lease is released.
   */
  readonly gracePeriod?: number;

  /**
   * Makes the store of a workbook the first time it is acquired, from the
   * registry's options, the workbook as given and the `acquire()` overrides.
   * For tests, or to wrap the stores. Default `new SessionStore(options)`.
   */
  readonly createStore?: (options: SessionStoreOptions) => SessionStore;
}

/** Registry options after defaults and checks. */
export interface ResolvedRegistryOptions {
  /** What every store is made with, as given. */
  readonly storeOptions: Omit<SessionStoreOptions, "workbook">;
  /** The registry-wide `createSession` flags, checked. */
  readonly flags: SessionOverrides;
  readonly gracePeriod: number;
  readonly scheduler: SchedulerLike;
  readonly createStore: (options: SessionStoreOptions) => SessionStore;
}

const DEFAULT_GRACE_PERIOD = 5_000;

/**
 * Applies defaults and checks the registry's own options, throwing a
 * `TypeError` or `RangeError` that names the option. The other store options
 * are checked by the first `acquire()`, when the first store is made.
 */
export function resolveRegistryOptions(options: SessionRegistryOptions): ResolvedRegistryOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `SessionRegistry options must be an object, got ${describeValue(options)}.`,
    );
  }
  const { gracePeriod, createStore, ...storeOptions } = options;

  return {
    storeOptions,
    flags: readFlags(options),
    gracePeriod: readDelay(gracePeriod, "gracePeriod", DEFAULT_GRACE_PERIOD),
    scheduler: readScheduler(options.scheduler, "scheduler") ?? asyncScheduler,
    createStore: readFunction(createStore, "createStore") ?? newStore,
  };
}

function newStore(options: SessionStoreOptions): SessionStore {
  return new SessionStore(options);
}
