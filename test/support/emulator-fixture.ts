import type { Client } from "@microsoft/microsoft-graph-client";
import {
  createEmulatorClient,
  type EmulatorOptions,
  startEmulator,
  type WorkbookEmulator,
} from "graph-workbook-session/testing";
import { perTest } from "./per-test";

/** An emulator and the real Graph client wired to it, for one test at a time. */
export interface EmulatorFixture {
  readonly emulator: WorkbookEmulator;
  readonly client: Client;
}

/**
 * Starts an emulator before each test of the file and closes it after (with
 * real timers restored); the returned object reaches the current one.
 */
export function useEmulator(options: EmulatorOptions = {}): EmulatorFixture {
  const get = perTest(
    async () => {
      const emulator = await startEmulator(options);
      return { emulator, client: createEmulatorClient(emulator) };
    },
    (fixture) => fixture.emulator.close(),
  );
  return {
    get emulator() {
      return get().emulator;
    },
    get client() {
      return get().client;
    },
  };
}
