import { describeValue, readBoolean } from "../options/read-option";
import type { SessionStoreOptions } from "../store/session-store-options";
import { DEFAULT_PERSIST_CHANGES } from "../store/session-store-options";

/**
 * The `createSession` flags one workbook's store may be given on top of the
 * registry's options. They shape the session itself, so every user of the
 * workbook shares them.
 */
export type SessionOverrides = Pick<
  SessionStoreOptions,
  "persistChanges" | "commitExplicitly" | "deferCoauthoringMerge"
>;

/** The flags a workbook's store was made with, defaults applied. */
export interface SessionSettings {
  readonly persistChanges: boolean;
  readonly commitExplicitly: boolean | undefined;
  readonly deferCoauthoringMerge: boolean | undefined;
}

const SETTING_NAMES = ["persistChanges", "commitExplicitly", "deferCoauthoringMerge"] as const;

/** Reads the overrides given to one `acquire()`; a wrong one throws a `TypeError` naming it. */
export function readOverrides(value: unknown, name = "overrides"): SessionOverrides {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`${name} must be an object, got ${describeValue(value)}.`);
  }
  return readFlags(value, `${name}.`);
}

/** Reads the flags of an options object, naming each one after `prefix` in an error. */
export function readFlags(options: object, prefix = ""): SessionOverrides {
  const flags = options as Partial<Record<keyof SessionOverrides, unknown>>;
  const read: { -readonly [K in keyof SessionOverrides]: boolean } = {};
  for (const name of SETTING_NAMES) {
    const flag = readBoolean(flags[name], `${prefix}${name}`);
    if (flag !== undefined) read[name] = flag;
  }
  return read;
}

/** The flags a store gets: those asked for, else the registry's, else the store's defaults. */
export function settleSettings(shared: SessionOverrides, asked: SessionOverrides): SessionSettings {
  return {
    // The store's own default, so that leaving it out and asking for it agree.
    persistChanges: asked.persistChanges ?? shared.persistChanges ?? DEFAULT_PERSIST_CHANGES,
    commitExplicitly: asked.commitExplicitly ?? shared.commitExplicitly,
    deferCoauthoringMerge: asked.deferCoauthoringMerge ?? shared.deferCoauthoringMerge,
  };
}

/** The first flag on which two settings differ, or null when they agree. */
export function differingSetting(
  a: SessionSettings,
  b: SessionSettings,
): keyof SessionSettings | null {
  return SETTING_NAMES.find((name) => a[name] !== b[name]) ?? null;
}

/** The settings as store options, leaving out the flags that are not set. */
export function settingsAsOptions(settings: SessionSettings): SessionOverrides {
  const options: { -readonly [K in keyof SessionOverrides]: boolean } = {
    persistChanges: settings.persistChanges,
  };
  if (settings.commitExplicitly !== undefined) {
    options.commitExplicitly = settings.commitExplicitly;
  }
  if (settings.deferCoauthoringMerge !== undefined) {
    options.deferCoauthoringMerge = settings.deferCoauthoringMerge;
  }
  return options;
}
