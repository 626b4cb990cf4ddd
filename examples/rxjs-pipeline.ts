/**
 * The store as one part of a larger RxJS pipeline: an autosave that writes
 * every 200 ms, but only while the session is active and the network is up,
 * and a countdown to the next attempt while the store waits out a 429. The
 * emulator answers the first createSession with 429 and `Retry-After: 1`.
 */
import { type SessionState, SessionStore } from "graph-workbook-session";
import {
  createEmulatorClient,
  createTestEnvironment,
  startEmulator,
} from "graph-workbook-session/testing";
import * as rx from "rxjs";

const CELL = "/worksheets('Sheet1')/range(address='A1')";

async function main(): Promise<void> {
  const emulator = await startEmulator();
  emulator.fault("createSession", { status: 429, retryAfter: 1 });
  // Stands in for the page's online/offline events; the store watches it too.
  const network = createTestEnvironment();
  const client = createEmulatorClient(emulator);
  const store = new SessionStore({
    client,
    workbook: "/me/drive/items/01RX",
    environment: network,
  });

  // In a browser: merge(fromEvent(window, "online"), fromEvent(window, "offline")).
  const online$ = new rx.Observable<boolean>((subscriber) => {
    subscriber.next(network.isOnline());
    return network.watch(() => subscriber.next(network.isOnline()));
  }).pipe(rx.distinctUntilChanged());

  // Ticks only while active and online; exhaustMap drops a tick while a save is on the wire.
  const autosave$ = rx.combineLatest([store.status$, online$]).pipe(
    rx.switchMap(([status, online]) =>
      status === "active" && online ? rx.interval(200) : rx.EMPTY,
    ),
    // A failed save is passed on as a value, so the pipeline lives on to the next tick.
    rx.exhaustMap((_, index) =>
      rx
        .from(save(store, index + 1))
        .pipe(rx.catchError((error: unknown) => rx.of(asFailure(error)))),
    ),
    rx.share(),
  );

  const log = rx
    .merge(
      store.status$.pipe(rx.map((status) => `store     ${status}`)),
      store.state$.pipe(rx.switchMap(countdown)),
      online$.pipe(rx.map((online) => `network   ${online ? "online" : "offline"}`)),
      autosave$.pipe(
        rx.map((saves) =>
          typeof saves === "number" ? `autosave  #${saves}` : `autosave  failed: ${saves.message}`,
        ),
      ),
    )
    .subscribe((line) => console.log(line));

  try {
    await store.open();
    await rx.firstValueFrom(autosave$.pipe(rx.filter((saves) => saves === 2)));
    network.goOffline();
    await rx.firstValueFrom(rx.timer(500)); // no save goes out meanwhile
    network.goOnline();
    await rx.firstValueFrom(autosave$.pipe(rx.filter((saves) => saves === 4)));
    console.log(`workbook  A1 = ${emulator.readRange("item:01RX", "Sheet1", "A1")}`);
  } finally {
    log.unsubscribe();
    await store.dispose();
    await emulator.close();
  }
}

/** Writes the save's number into A1 and resolves with it. */
function asFailure(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

async function save(store: SessionStore, count: number): Promise<number> {
  await store.request((s) => s.api(CELL).patch({ values: [[count]] }));
  return count;
}

/** While the store waits before its next attempt, the time left, four times a second. */
function countdown(state: SessionState): rx.Observable<string> {
  if (state.status !== "creating" || state.nextAttemptAt === null) return rx.EMPTY;
  const { nextAttemptAt, lastError } = state;
  const cause = `${lastError?.status} (Retry-After ${lastError?.retryAfterMs} ms)`;
  // nextAttemptAt is on the store's clock: its scheduler, asyncScheduler by default.
  return rx.timer(0, 250).pipe(
    rx.map(() => nextAttemptAt - rx.asyncScheduler.now()),
    rx.takeWhile((left) => left > 0),
    rx.map(
      (left) =>
        `waiting   ${(left / 1000).toFixed(2)} s left before attempt ${state.attempt}, after ${cause}`,
    ),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
