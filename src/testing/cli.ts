import { CLI_USAGE, parseCliArguments } from "./cli-arguments";
import type { EmulatorOptions } from "./emulator-options";
import { startEmulator } from "./start-emulator";

async function run(options: EmulatorOptions): Promise<void> {
  // Nothing can read a command-line emulator's request log, which would only grow.
  const emulator = await startEmulator({ ...options, maxRecordedRequests: 0 });
  console.log(`Graph workbook emulator listening on ${emulator.url}`);
  console.log(`Point createEmulatorClient("${emulator.url}") at it; press Ctrl+C to stop.`);

  const stop = () => {
    void emulator.close().then(() => console.log("Emulator stopped."));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

const request = parseCliArguments(process.argv.slice(2));

if (request.kind === "help") {
  console.log(CLI_USAGE);
} else if (request.kind === "error") {
  console.error(`${request.message}\n\n${CLI_USAGE}`);
  process.exitCode = 2;
} else {
  await run(request.options).catch((error: unknown) => {
    console.error(
      `The emulator could not start: ${error instanceof Error ? error.message : error}`,
    );
    process.exitCode = 1;
  });
}
