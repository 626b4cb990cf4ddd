import type { Client } from "@microsoft/microsoft-graph-client";
import { SessionStore } from "graph-workbook-session";
import { createEmulatorClient } from "graph-workbook-session/testing";
import { count, kilobytes } from "../format";
import { settledHeap } from "../support/heap";
import type { RemoteEmulator } from "../support/remote-emulator";
import { judge, type Row } from "../table";

const WORKBOOK = "/me/drive/items/01MEMORY";
const ACTIVE_STORES = 200;
const WARM_UP_CYCLES = 500;
const CYCLES = 10_000;
/** Cycles run side by side, as independent stores. */
const LANES = 8;
/** Growth counted as noise: up to 1 MB, or 5% of the heap before, whichever is larger. */
const NOISE_BYTES = 1_000_000;
const NOISE_SHARE = 0.05;
const NOTE =
  "Memory (real time, against the emulator in its own process, so its heap is not counted): " +
  `the heap ${ACTIVE_STORES} active stores retain, per store, and the heap after ` +
  `${count(CYCLES)} open/dispose cycles against the heap before them (${LANES} stores at a ` +
  "time), both after full garbage collections; growth within noise (1 MB, or 5% of the heap " +
  "if more) counts as none.";

/**
 * Memory, in real time against an emulator in its own process (so its heap
 * is not counted): the heap one active store retains, and the heap after
 * 10,000 open/dispose cycles against the heap before them, both after full
 * garbage collections.
 */
export async function measureMemory(emulator: RemoteEmulator): Promise<Row[]> {
  const client = createEmulatorClient(emulator.url);
  await cycles(client, WARM_UP_CYCLES);
  return [await retainedPerStore(client), await growthAfterCycles(client)];
}

async function retainedPerStore(client: Client): Promise<Row> {
  const before = await settledHeap();
  const stores = Array.from(
    { length: ACTIVE_STORES },
    () => new SessionStore({ client, workbook: WORKBOOK }),
  );
  await Promise.all(stores.map((store) => store.open()));
  const after = await settledHeap();
  const active = stores.filter((store) => store.getState().status === "active").length;
  await Promise.all(stores.map((store) => store.dispose()));

  const perStore = (after - before) / ACTIVE_STORES;
  return {
    measurement: "memory: heap per active store",
    figure: `${kilobytes(perStore)} (${active}/${ACTIVE_STORES} active)`,
    target: "—",
    guard: "—",
    verdict: active === ACTIVE_STORES ? "info" : "FAIL",
    note: NOTE,
  };
}

async function growthAfterCycles(client: Client): Promise<Row> {
  const before = await settledHeap();
  await cycles(client, CYCLES);
  const after = await settledHeap();

  const growth = after - before;
  const noise = Math.max(NOISE_BYTES, before * NOISE_SHARE);
  const sign = growth >= 0 ? "+" : "";
  return {
    measurement: `memory: after ${count(CYCLES)} cycles`,
    figure: `${sign}${kilobytes(growth)} (${(growth / CYCLES).toFixed(1)} B/cycle)`,
    target: `≤ +${kilobytes(noise)}`,
    guard: "—",
    verdict: judge(growth <= noise),
    note: NOTE,
  };
}

/** Opens and disposes `total` stores, `LANES` at a time; every one must become active. */
async function cycles(client: Client, total: number): Promise<void> {
  let started = 0;
  const lane = async () => {
    while (started < total) {
      started += 1;
      const store = new SessionStore({ client, workbook: WORKBOOK });
      await store.open();
      await store.dispose();
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
}
