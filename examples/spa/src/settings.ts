/** What the page needs to know to build its store; read from the query string. */
export interface AppSettings {
  /** The workbook's item id in the emulator. */
  readonly itemId: string;
  /** First backoff ceiling, in ms. */
  readonly baseDelay: number;
  /** Cap of one backoff wait, in ms. */
  readonly maxDelay: number;
  /** Retries after the first attempt. */
  readonly retries: number;
  /** Idle time after which the session counts as dropped, in ms. */
  readonly keepAliveAfter: number;
  /** The numeric settings as typed in the address, for naming them when the store refuses one. */
  readonly typed: Readonly<Partial<Record<NumericSetting, string>>>;
}

/** The numeric settings the address may carry. */
export type NumericSetting = "baseDelay" | "maxDelay" | "retries" | "keepAliveAfter";

const NUMERIC_SETTINGS: readonly NumericSetting[] = [
  "baseDelay",
  "maxDelay",
  "retries",
  "keepAliveAfter",
];

const DEFAULTS = {
  itemId: "01SPADEMO",
  baseDelay: 1000,
  maxDelay: 8000,
  retries: 6,
  keepAliveAfter: 300_000,
} as const;

/**
 * Reads settings such as `?baseDelay=200&retries=8&item=01ABC`; a missing or unreadable value
 * (empty, or not a finite number) keeps its default. A number is passed on as it is: the store
 * checks it, and the page shows what it refuses. Without `maxDelay`, the cap is the default or
 * `baseDelay`, whichever is larger.
 */
export function readSettings(search: string): AppSettings {
  const query = new URLSearchParams(search);
  const typed: Partial<Record<NumericSetting, string>> = {};
  for (const name of NUMERIC_SETTINGS) {
    const text = query.get(name);
    if (text !== null) typed[name] = text;
  }
  const baseDelay = readNumber(typed.baseDelay, DEFAULTS.baseDelay);
  return {
    itemId: readItemId(query.get("item")),
    baseDelay,
    maxDelay: readNumber(typed.maxDelay, Math.max(DEFAULTS.maxDelay, baseDelay)),
    retries: readNumber(typed.retries, DEFAULTS.retries),
    keepAliveAfter: readNumber(typed.keepAliveAfter, DEFAULTS.keepAliveAfter),
    typed,
  };
}

function readNumber(text: string | undefined, fallback: number): number {
  if (text === undefined || text.trim() === "") return fallback;
  const value = Number(text);
  return Number.isFinite(value) ? value : fallback;
}

function readItemId(text: string | null): string {
  return text !== null && /^[A-Za-z0-9]{1,40}$/.test(text) ? text : DEFAULTS.itemId;
}

/** The store options the page builds from its settings. */
export function storeSettings(settings: AppSettings) {
  return {
    retry: {
      baseDelay: settings.baseDelay,
      maxDelay: settings.maxDelay,
      retries: settings.retries,
    },
    keepAlive: {
      expiresAfter: settings.keepAliveAfter,
      margin: Math.min(60_000, Math.floor(settings.keepAliveAfter / 4)),
    },
  };
}

/** The settings in effect in a line, e.g. `retry: base 300 ms, max 8 s, 6 retries · …`. */
export function describeSettings(settings: AppSettings): string {
  const { retry, keepAlive } = storeSettings(settings);
  const retries = `${retry.retries} ${retry.retries === 1 ? "retry" : "retries"}`;
  return (
    `retry: base ${duration(retry.baseDelay)}, max ${duration(retry.maxDelay)}, ${retries} · ` +
    `keep-alive: expires ${duration(keepAlive.expiresAfter)}, ` +
    `refreshed ${duration(keepAlive.margin)} before · item ${settings.itemId}`
  );
}

function duration(ms: number): string {
  if (ms >= 1000 && ms % 100 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/** Where each store option the page sets comes from in the address. */
const OPTION_SOURCES: Readonly<Record<string, NumericSetting>> = {
  "retry.baseDelay": "baseDelay",
  "retry.maxDelay": "maxDelay",
  "retry.retries": "retries",
  "keepAlive.expiresAfter": "keepAliveAfter",
  "keepAlive.margin": "keepAliveAfter",
};

/**
 * The store's refusal of a setting, led by the address parameters it is about, e.g.
 * `keepAliveAfter=0: keepAlive.expiresAfter must be …`. A value the address did not give is
 * shown as the page's default.
 */
export function explainRefusal(settings: AppSettings, error: Error): string {
  const names = new Set<NumericSetting>();
  for (const [option, name] of Object.entries(OPTION_SOURCES)) {
    if (error.message.includes(option)) names.add(name);
  }
  const parts = [...names].map((name) => {
    const typed = settings.typed[name];
    return typed === undefined ? `${name} (default ${settings[name]})` : `${name}=${typed}`;
  });
  return parts.length === 0 ? error.message : `${parts.join(", ")}: ${error.message}`;
}
