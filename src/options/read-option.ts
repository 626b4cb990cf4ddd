import type { SchedulerLike } from "rxjs";

/** The longest delay a JavaScript timer can wait; a longer one fires at once. */
export const MAX_TIMER_DELAY = 2_147_483_647;

/** Describes a value for an error message, e.g. `-5`, `"fast"`, `NaN`, or `an object`. */
export function describeValue(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === "function") return "a function";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return String(value);
}

/**
 * Reads a duration in ms: `fallback` when undefined, else a finite number from
 * `min` (0 unless given) up to the longest timer delay.
 */
export function readDelay(value: unknown, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(`${name} must be a number of milliseconds, got ${describeValue(value)}.`);
  }
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(
      `${name} must be a finite number of milliseconds ≥ ${min}, got ${describeValue(value)}.`,
    );
  }
  if (value > MAX_TIMER_DELAY) {
    throw new RangeError(
      `${name} must be at most ${MAX_TIMER_DELAY} ms (the longest timer delay), ` +
        `got ${describeValue(value)}.`,
    );
  }
  return value;
}

/** Reads an optional boolean. */
export function readBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  throw new TypeError(`${name} must be true or false, got ${describeValue(value)}.`);
}

/** Reads an optional function. */
export function readFunction<F>(value: F | undefined, name: string): F | undefined {
  if (value === undefined || typeof value === "function") return value;
  throw new TypeError(`${name} must be a function, got ${describeValue(value)}.`);
}

/** Reads an optional rxjs scheduler: anything with `now()` and `schedule()`. */
export function readScheduler(value: unknown, name: string): SchedulerLike | undefined {
  if (value === undefined) return undefined;
  const candidate = value as Partial<SchedulerLike> | null;
  const valid =
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.now === "function" &&
    typeof candidate.schedule === "function";
  if (!valid) {
    throw new TypeError(
      `${name} must be an rxjs scheduler with now() and schedule(), got ${describeValue(value)}.`,
    );
  }
  return value as SchedulerLike;
}
