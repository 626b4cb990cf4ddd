import { CLI_USAGE, parseCliArguments } from "./cliArguments";
import { startEmulator } from "./startEmulator";

const request = parseCliArguments(process.argv.slice(2));

if (request.kind === "help") {
  console.log(CLI_USAGE);
} else if (request.kind === "error") {
  console.error(`${request.message}\n\n${CLI_USAGE}`);
  process.exitCode = 2;
} else {
  const emulator = await startEmulator(request.options);
  console.log(`Graph workbook emulator listening on ${emulator.url}`);
  console.log(`Point createEmulatorClient("${emulator.url}") at it; press Ctrl+C to stop.`);

  const stop = () => {
    void emulator.close().then(() => console.log("Emulator stopped."));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
