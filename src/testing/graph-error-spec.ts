import type { FaultError } from "./fault";
import { statusDefaults } from "./status-defaults";

/** Everything needed to answer with a Graph error envelope. */
export interface GraphErrorSpec {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** Second-level code, or `null` for an `innerError` without one. */
  readonly innerCode: string | null;
  readonly innerMessage: string;
  /** Third level of the error, nested inside the second. */
  readonly innermost: FaultError | undefined;
}

/** Parts of a {@link GraphErrorSpec} that may be left to the status defaults. */
export interface GraphErrorOverrides {
  readonly code?: string | undefined;
  readonly message?: string | undefined;
  readonly innerCode?: string | null | undefined;
  readonly innerMessage?: string | undefined;
  readonly innermost?: FaultError | undefined;
}

/** Builds an error spec for a status, taking every part not given from the status defaults. */
export function graphErrorSpec(
  status: number,
  overrides: GraphErrorOverrides = {},
): GraphErrorSpec {
  const defaults = statusDefaults(status);
  const innerCode = overrides.innerCode === undefined ? defaults.innerCode : overrides.innerCode;
  return {
    status,
    code: overrides.code ?? defaults.code,
    message: overrides.message ?? defaults.message,
    innerCode,
    innerMessage: overrides.innerMessage ?? overrides.message ?? defaults.message,
    innermost: overrides.innermost,
  };
}

/** A 400 `invalidArgument` error with the given explanation. */
export function invalidArgument(message: string): GraphErrorSpec {
  return graphErrorSpec(400, { code: "InvalidArgument", innerCode: "invalidArgument", message });
}

/** A 404 `ItemNotFound` error with the given explanation. */
export function itemNotFound(message: string): GraphErrorSpec {
  return graphErrorSpec(404, { code: "ItemNotFound", innerCode: "itemNotFound", message });
}
