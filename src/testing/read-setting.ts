import { describeValue } from "../options/read-option";

/** A settings object read as a plain record, so each of its keys can be checked. */
export type SettingsRecord = Readonly<Record<string, unknown>>;

/** Reads an optional object of settings; `name` is what the message calls it. */
export function readRecord(value: unknown, name: string): SettingsRecord | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return value as SettingsRecord;
  }
  throw new TypeError(`${name} must be an object, got ${describeValue(value)}.`);
}

/*
 * A misspelt key would leave the emulator on its default while the test believes otherwise, so
 * every key must be one the emulator reads.
 */
export function refuseUnknownKeys(
  record: SettingsRecord,
  known: readonly string[],
  owner: string,
  noun: "setting" | "option" = "setting",
): void {
  const unknown = Object.keys(record).find((key) => !known.includes(key));
  if (unknown === undefined) return;
  throw new RangeError(
    `${owner} has no ${noun} ${describeValue(unknown)}; its ${noun}s are ${known.join(", ")}.`,
  );
}

/** Reads an optional string that must be one of `choices`. */
export function readChoice<T extends string>(
  value: unknown,
  name: string,
  choices: readonly T[],
): T | undefined {
  if (value === undefined || choices.includes(value as T)) return value as T | undefined;
  const accepted = choices.map((choice) => JSON.stringify(choice));
  const message = `${name} must be ${orList(accepted)}, got ${describeValue(value)}.`;
  throw typeof value === "string" ? new RangeError(message) : new TypeError(message);
}

/** Reads an optional string. */
export function readText(value: unknown, name: string): string | undefined {
  if (value === undefined || typeof value === "string") return value;
  throw new TypeError(`${name} must be a string, got ${describeValue(value)}.`);
}

/**
 * Reads an optional whole number from `min` up, or `Infinity` when `unlimited` says what it
 * means. `unit` names what is counted, e.g. `"polls"`.
 */
export function readCount(
  value: unknown,
  name: string,
  { unit, min = 0, unlimited }: { unit: string; min?: number; unlimited?: string },
): number | undefined {
  if (value === undefined) return undefined;
  const isCount = typeof value === "number" && Number.isSafeInteger(value) && value >= min;
  if (isCount || (unlimited !== undefined && value === Number.POSITIVE_INFINITY)) return value;

  const infinity = unlimited === undefined ? "" : ` (or Infinity for ${unlimited})`;
  throw invalid(
    value,
    `${name} must be a whole number of ${unit} ≥ ${min}${infinity}, got ${describeValue(value)}.`,
  );
}

/** A RangeError for a number out of range, else a TypeError for a value of the wrong type. */
export function invalid(value: unknown, message: string): Error {
  return typeof value === "number" ? new RangeError(message) : new TypeError(message);
}

/** `a`, `a or b`, `a, b or c`. */
export function orList(items: readonly string[]): string {
  if (items.length < 2) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

/**
 * Keeps the checked values of the keys the caller wrote, `undefined` ones included: in a
 * `configure()` patch a key left out keeps its value, while a key set to `undefined` goes back
 * to its default.
 */
export function keepWritten<T extends object>(checked: T, record: SettingsRecord): T {
  const written = Object.entries(checked).filter(([key]) => Object.hasOwn(record, key));
  return Object.fromEntries(written) as T;
}
