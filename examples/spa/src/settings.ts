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
}

const DEFAULTS: AppSettings = {
  itemId: "01SPADEMO",
  baseDelay: 1000,
  maxDelay: 8000,
  retries: 6,
  keepAliveAfter: 300_000,
};

/**
 * Reads settings such as `?baseDelay=200&retries=8&item=01ABC`; a missing or unreadable value
 * keeps its default, so the page always starts.
 */
export function readSettings(search: string): AppSettings {
  const query = new URLSearchParams(search);
  return {
    itemId: readItemId(query.get("item")),
    baseDelay: readNumber(query.get("baseDelay"), DEFAULTS.baseDelay),
    maxDelay: readNumber(query.get("maxDelay"), DEFAULTS.maxDelay),
    retries: readNumber(query.get("retries"), DEFAULTS.retries),
    keepAliveAfter: readNumber(query.get("keepAliveAfter"), DEFAULTS.keepAliveAfter),
  };
}

function readNumber(text: string | null, fallback: number): number {
  const value = Number(text ?? Number.NaN);
  return Number.isSafeInteger(value) && value >= 0 ? value : fallback;
}

function readItemId(text: string | null): string {
  return text !== null && /^[A-Za-z0-9]{1,40}$/.test(text) ? text : DEFAULTS.itemId;
}
