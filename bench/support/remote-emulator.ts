import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./emulator-process.ts", import.meta.url));

/** A workbook emulator running in a child process. */
export interface RemoteEmulator {
  /** Its origin, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Stops the child process. */
  stop(): Promise<void>;
}

/** Starts the emulator in a child process (with this process's loader) and waits for its URL. */
export function startRemoteEmulator(): Promise<RemoteEmulator> {
  const child = fork(SCRIPT, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`The emulator process exited (${code}).`)));
    child.once("message", (message) => {
      const url = (message as { url?: unknown }).url;
      if (typeof url !== "string") return reject(new Error("The emulator process sent no URL."));
      resolve({ url, stop: () => stop(child) });
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    child.once("exit", () => resolve());
    child.disconnect();
  });
}
