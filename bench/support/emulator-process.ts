/*
 * Runs a workbook emulator in a process of its own, so that real-time
 * measurements see a loopback server the way an app sees Graph: on the other
 * side of a socket, not sharing the app's event loop or heap. Sends its URL to
 * the parent over IPC and exits when the parent lets go.
 */
import { startEmulator } from "graph-workbook-session/testing";

// Nothing reads this emulator's request log; the latency pairs would only grow it.
const emulator = await startEmulator({ maxRecordedRequests: 0 });
process.send?.({ url: emulator.url });
process.once("disconnect", () => {
  void emulator.close().finally(() => process.exit(0));
});
