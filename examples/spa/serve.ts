/**
 * Builds the browser example and serves it next to the workbook emulator:
 *
 *   npm run example:spa            # http://127.0.0.1:5173/
 *   PORT=8080 npm run example:spa
 *
 * Ctrl+C stops both servers.
 */
import { startSpa } from "./server";

async function main(): Promise<void> {
  const spa = await startSpa({ port: readPort(process.env.PORT) });
  console.log(`Workbook session example: ${spa.url}`);
  console.log(`Emulator (another origin): ${spa.emulatorUrl}`);
  console.log("Press Ctrl+C to stop.");

  const stop = () => {
    void spa.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

function readPort(text: string | undefined): number {
  if (text === undefined || text === "") return 5173;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`PORT must be a port number, got ${JSON.stringify(text)}.`);
  }
  return port;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
