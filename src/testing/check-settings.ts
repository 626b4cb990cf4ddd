import { describeValue } from "../options/read-option";
import { checkAsyncCreate } from "./check-async-create";
import type { EmulatorOptions, EmulatorSettings, SessionErrorResponse } from "./emulator-options";
import { HEADER_NAME_RULE, HTTP_TOKEN } from "./header-rules";
import { isLoopback } from "./loopback-server";
import type { SettingsRecord } from "./read-setting";
import {
  invalid,
  keepWritten,
  readCount,
  readRecord,
  readText,
  refuseUnknownKeys,
} from "./read-setting";

/** Options that only `startEmulator` takes, as the server is already listening by `configure`. */
const START_ONLY = ["port", "host", "maxRecordedRequests"] as const;

/** `startEmulator`'s options, checked, with the server's own options apart from the settings. */
export interface CheckedOptions {
  readonly port: number;
  readonly host: string;
  readonly maxRecordedRequests: number;
  readonly settings: EmulatorSettings;
}

/**
 * Checks every option of `startEmulator`, so that a misspelt key or a value the emulator could
 * not use throws at the start instead of leaving the emulator on a default the test did not mean.
 */
export function checkEmulatorOptions(options: unknown): CheckedOptions {
  const record = readRecord(options, "startEmulator's options") ?? {};
  const server = {
    port: checkPort(record.port),
    host: checkHost(record.host),
    maxRecordedRequests: readCount(record.maxRecordedRequests, "maxRecordedRequests", {
      unit: "requests",
      unlimited: "no limit",
    }),
  } satisfies { [K in (typeof START_ONLY)[number]]-?: EmulatorOptions[K] };
  const settings = checkSettingsOf(withoutKeys(record, START_ONLY));
  refuseUnknownKeys(
    record,
    [...START_ONLY, ...Object.keys(settings.all)],
    "startEmulator",
    "option",
  );
  return {
    port: server.port ?? 0,
    host: server.host ?? "127.0.0.1",
    maxRecordedRequests: server.maxRecordedRequests ?? Number.POSITIVE_INFINITY,
    settings: settings.written,
  };
}

/** Checks a `configure()` patch; the server's own options cannot change once it listens. */
export function checkSettingsPatch(patch: unknown): EmulatorSettings {
  const record = readRecord(patch, "configure's settings") ?? {};
  const startOnly = START_ONLY.find((key) => Object.hasOwn(record, key));
  if (startOnly !== undefined) {
    throw new RangeError(
      `configure() cannot change ${startOnly}, which only startEmulator() takes; ` +
        "start another emulator to use a different value.",
    );
  }
  const settings = checkSettingsOf(record);
  refuseUnknownKeys(record, Object.keys(settings.all), "configure()");
  return settings.written;
}

/** Checks each setting; `all` has every key, `written` those the caller wrote. */
function checkSettingsOf(record: SettingsRecord) {
  const all = {
    requireToken: checkToken(record.requireToken),
    now: checkClock(record.now),
    sessionLifetime: checkLifetime(record.sessionLifetime),
    asyncCreate: checkAsyncCreate(record.asyncCreate),
    expiredSessionError: checkSessionError(record.expiredSessionError),
    exposeHeaders: checkExposeHeaders(record.exposeHeaders),
    maxSessionsPerWorkbook: readCount(record.maxSessionsPerWorkbook, "maxSessionsPerWorkbook", {
      unit: "sessions",
      unlimited: "no limit",
    }),
  } satisfies { [K in keyof EmulatorSettings]-?: EmulatorSettings[K] };
  return { all, written: keepWritten(all, record) };
}

function withoutKeys(record: SettingsRecord, keys: readonly string[]): SettingsRecord {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)));
}

function checkPort(value: unknown): number | undefined {
  const valid = typeof value === "number" && Number.isInteger(value) && value >= 0;
  if (value === undefined || (valid && value <= 65_535)) return value;
  throw invalid(
    value,
    `port must be a TCP port, an integer from 0 to 65535 (0 picks a free one), ` +
      `got ${describeValue(value)}.`,
  );
}

function checkHost(value: unknown): string | undefined {
  const host = readText(value, "host");
  if (host === undefined || isLoopback(host)) return host;
  throw new RangeError(
    'host must be a loopback address: "127.0.0.1" (or another 127.x.x.x), "::1" or ' +
      `"localhost", got ${describeValue(host)}; the emulator never listens beyond this machine.`,
  );
}

/** The token is compared with the trimmed header value, so blanks at its ends never match. */
function checkToken(value: unknown): string | undefined {
  const token = readText(value, "requireToken");
  if (token === undefined || (token !== "" && token.trim() === token)) return token;
  throw new RangeError(
    "requireToken must be a non-empty string without blanks at its ends, as no bearer token " +
      `could match it, got ${describeValue(token)}; leave it out to accept every request.`,
  );
}

function checkClock(value: unknown): (() => number) | undefined {
  if (value === undefined || typeof value === "function")
    return value as (() => number) | undefined;
  throw new TypeError(
    `now must be a function returning the time in milliseconds, such as () => Date.now(), ` +
      `got ${describeValue(value)}.`,
  );
}

function checkLifetime(value: unknown): EmulatorSettings["sessionLifetime"] {
  const record = readRecord(value, "sessionLifetime");
  if (record === undefined) return undefined;

  const checked = {
    persistent: readLifetime(record.persistent, "sessionLifetime.persistent"),
    nonPersistent: readLifetime(record.nonPersistent, "sessionLifetime.nonPersistent"),
  };
  refuseUnknownKeys(record, Object.keys(checked), "sessionLifetime");
  return keepWritten(checked, record);
}

/** A lifetime is measured on the emulator clock, not waited for, so no timer limit applies. */
function readLifetime(value: unknown, name: string): number | undefined {
  const valid = typeof value === "number" && !Number.isNaN(value) && value >= 0;
  if (value === undefined || valid) return value;
  throw invalid(
    value,
    `${name} must be a number of milliseconds ≥ 0 (Infinity: sessions never expire), ` +
      `got ${describeValue(value)}.`,
  );
}

function checkSessionError(value: unknown): SessionErrorResponse | undefined {
  const name = "expiredSessionError";
  const record = readRecord(value, name);
  if (record === undefined) return undefined;

  const checked = {
    status: checkErrorStatus(record.status),
    code: readText(record.code, `${name}.code`),
    innerCode: checkInnerCode(record.innerCode),
    message: readText(record.message, `${name}.message`),
  } satisfies { [K in keyof SessionErrorResponse]-?: SessionErrorResponse[K] };
  refuseUnknownKeys(record, Object.keys(checked), name);
  return keepWritten(checked, record);
}

function checkErrorStatus(value: unknown): number | undefined {
  const valid = typeof value === "number" && Number.isInteger(value) && value >= 400;
  if (value === undefined || (valid && value <= 599)) return value;
  throw invalid(
    value,
    "expiredSessionError.status must be an HTTP error status, an integer from 400 to 599, " +
      `got ${describeValue(value)}.`,
  );
}

function checkInnerCode(value: unknown): string | null | undefined {
  if (value === null) return null;
  if (value === undefined || typeof value === "string") return value;
  throw new TypeError(
    "expiredSessionError.innerCode must be a string, or null to send no second-level code, " +
      `got ${describeValue(value)}.`,
  );
}

function checkExposeHeaders(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    throw new TypeError(
      'exposeHeaders must be an array of header names such as ["Location", "Retry-After"], ' +
        `got ${describeValue(value)}.`,
    );
  }
  return value.map((name: unknown) => {
    if (typeof name === "string" && HTTP_TOKEN.test(name)) return name;
    const shown = describeValue(name);
    const message = `exposeHeaders must hold header names, each ${HEADER_NAME_RULE}, got ${shown}.`;
    throw typeof name === "string" ? new RangeError(message) : new TypeError(message);
  });
}
