import type { EmulatorSettings } from "./emulator-options";
import type { FaultError } from "./fault";

/** Emulator settings with every default filled in. */
export interface ResolvedSettings {
  readonly requireToken: string | undefined;
  readonly now: () => number;
  readonly lifetime: { readonly persistent: number; readonly nonPersistent: number };
  readonly asyncCreate: ResolvedAsyncCreate;
  readonly expiredSessionError: ResolvedSessionError;
  readonly exposeHeaders: readonly string[];
  readonly maxSessionsPerWorkbook: number;
}

/** Async createSession behaviour with defaults filled in. */
export interface ResolvedAsyncCreate {
  readonly mode: "sync" | "async";
  readonly runningPolls: number;
  readonly notStartedPolls: number;
  readonly outcome: "succeeded" | "failed";
  readonly failure: FaultError;
  readonly statusCasing: "camel" | "pascal";
  readonly location: string | undefined;
  readonly resourceLocation: string | undefined;
}

/** Expired-session error with defaults filled in. */
export interface ResolvedSessionError {
  readonly status: number;
  readonly code: string;
  readonly innerCode: string | null;
  readonly message: string;
}

const DEFAULT_FAILURE: FaultError = {
  code: "internalServerError",
  message: "The server hit an internal error while creating the session.",
  innerError: {
    code: "internalServerErrorUncategorized",
    message: "An error without a more specific category occurred.",
    innerError: { code: "GenericFileOpenError", message: "The workbook cannot be opened." },
  },
};

/** Fills in every default of {@link EmulatorSettings}. */
export function resolveSettings(settings: EmulatorSettings): ResolvedSettings {
  return {
    requireToken: settings.requireToken,
    now: settings.now ?? (() => Date.now()),
    lifetime: {
      persistent: settings.sessionLifetime?.persistent ?? 300_000,
      nonPersistent: settings.sessionLifetime?.nonPersistent ?? 420_000,
    },
    asyncCreate: resolveAsyncCreate(settings),
    expiredSessionError: resolveSessionError(settings),
    exposeHeaders: settings.exposeHeaders ?? ["Location"],
    maxSessionsPerWorkbook: settings.maxSessionsPerWorkbook ?? Number.POSITIVE_INFINITY,
  };
}

function resolveAsyncCreate({ asyncCreate = {} }: EmulatorSettings): ResolvedAsyncCreate {
  return {
    mode: asyncCreate.mode ?? "sync",
    runningPolls: asyncCreate.runningPolls ?? 2,
    notStartedPolls: asyncCreate.notStartedPolls ?? 0,
    outcome: asyncCreate.outcome ?? "succeeded",
    failure: asyncCreate.failure ?? DEFAULT_FAILURE,
    statusCasing: asyncCreate.statusCasing ?? "camel",
    location: asyncCreate.location,
    resourceLocation: asyncCreate.resourceLocation,
  };
}

function resolveSessionError({ expiredSessionError = {} }: EmulatorSettings): ResolvedSessionError {
  return {
    status: expiredSessionError.status ?? 404,
    code: expiredSessionError.code ?? "ItemNotFound",
    innerCode:
      expiredSessionError.innerCode === undefined
        ? "invalidSessionReCreatable"
        : expiredSessionError.innerCode,
    message: expiredSessionError.message ?? "The session does not exist or has expired.",
  };
}

const NESTED_KEYS = ["sessionLifetime", "asyncCreate", "expiredSessionError"] as const;

/**
 * Applies a settings patch: keys present in the patch replace the current ones, and the nested
 * objects are merged key by key so that a patch only changes what it names.
 */
export function mergeSettings(
  current: EmulatorSettings,
  patch: EmulatorSettings,
): EmulatorSettings {
  const merged: Record<string, unknown> = { ...current, ...patch };
  for (const key of NESTED_KEYS) {
    const update = patch[key];
    if (update !== undefined) merged[key] = { ...current[key], ...update };
  }
  return merged as EmulatorSettings;
}
