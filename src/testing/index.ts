/**
 * Test support for code that uses Microsoft Graph workbook sessions: a local, Graph-compatible
 * workbook emulator with scripted faults, and a real Graph client wired to it.
 *
 * @packageDocumentation
 * @module graph-workbook-session/testing
 */
export type { EmulatorClientOptions } from "./create-emulator-client";
export { createEmulatorClient } from "./create-emulator-client";
export type {
  AsyncCreateBehaviour,
  EmulatorOptions,
  EmulatorSettings,
  SessionErrorResponse,
  SessionLifetime,
} from "./emulator-options";
export type { Fault, FaultError, FaultTarget } from "./fault";
export type { RateLimitOptions } from "./rate-limit-fault";
export { rateLimitFault } from "./rate-limit-fault";
export type { RecordedRequest, RequestOutcome } from "./recorded-request";
export type { RouteName } from "./route-name";
export { ROUTE_NAMES } from "./route-name";
export type { EmulatedSessionInfo } from "./session-registry";
export { startEmulator } from "./start-emulator";
export type { TestEnvironment, TestEnvironmentOptions } from "./test-environment";
export { createTestEnvironment } from "./test-environment";
export { WorkbookEmulator } from "./workbook-emulator";
export type { CellValue, WorksheetInfo } from "./workbook-view";
