/**
 * The parts of the testing entry that run in a browser: the Graph client wired to an emulator
 * served elsewhere, and a scriptable environment. The emulator itself needs Node and lives in
 * `graph-workbook-session/testing`.
 *
 * @packageDocumentation
 * @module graph-workbook-session/testing/browser
 */
export type { EmulatorClientOptions } from "./create-emulator-client";
export { createEmulatorClient } from "./create-emulator-client";
export type { TestEnvironment, TestEnvironmentOptions } from "./test-environment";
export { createTestEnvironment } from "./test-environment";
