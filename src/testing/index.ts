export type { EmulatorClientOptions } from "./createEmulatorClient";
export { createEmulatorClient } from "./createEmulatorClient";
export type {
  AsyncCreateBehaviour,
  EmulatorOptions,
  EmulatorSettings,
  SessionErrorResponse,
  SessionLifetime,
} from "./emulatorOptions";
export type { Fault, FaultError, FaultTarget } from "./fault";
export type { RateLimitOptions } from "./rateLimitFault";
export { rateLimitFault } from "./rateLimitFault";
export type { RecordedRequest, RequestOutcome } from "./recordedRequest";
export type { RouteName } from "./routeName";
export { ROUTE_NAMES } from "./routeName";
export type { EmulatedSessionInfo } from "./sessionRegistry";
export { startEmulator } from "./startEmulator";
export { WorkbookEmulator } from "./workbookEmulator";
export type { CellValue, WorksheetInfo } from "./workbookView";
