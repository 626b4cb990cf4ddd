/*
 * The timed half of the latency measurement, run by `latency.ts` in a plain
 * Node process: it imports the built package as an app does, without the
 * TypeScript loader the benchmark itself runs under, which adds work to every
 * request. Arguments: the emulator's URL, warm-up pairs, measured pairs.
 * Prints `{ storeTimes, bareTimes }` in ms, as JSON.
 */
import { RetryHandlerOptions } from "@microsoft/microsoft-graph-client";
import { SESSION_HEADER, SessionStore } from "graph-workbook-session";
import { createEmulatorClient } from "graph-workbook-session/testing";

const WORKBOOK = "/me/drive/items/01LATENCY";
const [url, warmUp, measured] = process.argv.slice(2);
const client = createEmulatorClient(url);
const retriesOff = [new RetryHandlerOptions(0, 0)];
const sessionPath = `${WORKBOOK}/workbook`;

/** `store.open()` until the session is active; the store is made before and disposed after. */
async function viaStore() {
  const store = new SessionStore({ client, workbook: WORKBOOK });
  const started = performance.now();
  await store.open();
  const elapsed = performance.now() - started;
  await store.dispose();
  return elapsed;
}

/** The same createSession POST through the bare client; the session is closed untimed. */
async function bare() {
  const started = performance.now();
  const session = await client
    .api(`${sessionPath}/createSession`)
    .middlewareOptions(retriesOff)
    .header("Prefer", "respond-async")
    .post({ persistChanges: true });
  const elapsed = performance.now() - started;
  await client
    .api(`${sessionPath}/closeSession`)
    .middlewareOptions(retriesOff)
    .header(SESSION_HEADER, session.id)
    .post({});
  return elapsed;
}

const storeTimes = [];
const bareTimes = [];
const warmUpPairs = Number(warmUp);
for (let pair = 0; pair < warmUpPairs + Number(measured); pair += 1) {
  const storeFirst = pair % 2 === 0;
  const first = await (storeFirst ? viaStore() : bare());
  const second = await (storeFirst ? bare() : viaStore());
  if (pair < warmUpPairs) continue;
  storeTimes.push(storeFirst ? first : second);
  bareTimes.push(storeFirst ? second : first);
}
process.stdout.write(JSON.stringify({ storeTimes, bareTimes }));
