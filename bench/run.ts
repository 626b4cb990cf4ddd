/*
 * Runs every benchmark in one process and prints one table, with a legend.
 *
 *   npm run bench                   the table
 *   npm run bench:check             the table; exits 1 when a row reads FAIL
 *   npm run bench -- --only=latency only the measurements named (comma-separated):
 *                                   size, requests, herd, latency, dispatch, memory
 *   npm run bench -- --breakdown    also the core's minified bytes by source module
 *   npm run bench -- --help         this list
 *
 * Policy measurements (requests per outcome, the thundering herd) run in
 * virtual time; overhead measurements (latency, dispatch, memory) in real time,
 * against an emulator in a process of its own. Bundle sizes need `npm run build`.
 * Targets and guards are in `budgets.ts`.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { kilobytes } from "./format";
import { describeMachine } from "./machine";
import { coreBreakdown, measureBundleSize } from "./measurements/bundle-size";
import { measureDispatch } from "./measurements/dispatch";
import { measureLatency } from "./measurements/latency";
import { measureMemory } from "./measurements/memory";
import { measureRequestsPerOutcome } from "./measurements/requests-per-outcome";
import { measureThunderingHerd } from "./measurements/thundering-herd";
import { type RemoteEmulator, startRemoteEmulator } from "./support/remote-emulator";
import { type Row, renderTable } from "./table";

const USAGE = `npm run bench [-- options]   (after npm run build)
  --only=a,b    only the measurements named: size, requests, herd, latency, dispatch, memory
  --breakdown   also the core's minified bytes by source module
  --check       exit 1 when a row reads FAIL (npm run bench:check)`;

const check = process.argv.includes("--check");
const breakdown = process.argv.includes("--breakdown");

/** The measurements, in the order they run. */
const MEASUREMENTS: readonly Measurement[] = [
  { name: "size", measure: measureBundleSize },
  { name: "requests", measure: measureRequestsPerOutcome },
  { name: "herd", measure: measureThunderingHerd },
  { name: "latency", measure: async (emulator) => measureLatency(await emulator()) },
  { name: "dispatch", measure: measureDispatch },
  { name: "memory", measure: async (emulator) => measureMemory(await emulator()) },
];

interface Measurement {
  readonly name: string;
  /** `emulator` starts the shared emulator process on first use. */
  readonly measure: (emulator: () => Promise<RemoteEmulator>) => Promise<Row[]>;
}

/** Seconds each measurement took, in the order run. */
const durations: string[] = [];

/** The measurements `--only=a,b` names, or all of them; an unknown name is an error. */
function chosenMeasurements(): readonly Measurement[] {
  const only = process.argv.find((arg) => arg.startsWith("--only="));
  if (!only) return MEASUREMENTS;
  const names = only.slice("--only=".length).split(",");
  const unknown = names.filter((name) => !MEASUREMENTS.some((m) => m.name === name));
  if (unknown.length > 0) {
    const known = MEASUREMENTS.map((m) => m.name).join(", ");
    stop(`Unknown measurement ${unknown.join(", ")}; choose from ${known}.`);
  }
  return MEASUREMENTS.filter((m) => names.includes(m.name));
}

async function runAll(measurements: readonly Measurement[]): Promise<Row[]> {
  const rows: Row[] = [];
  const started: Promise<RemoteEmulator>[] = [];
  const sharedEmulator = () => {
    if (started.length === 0) started.push(startRemoteEmulator());
    return started[0] as Promise<RemoteEmulator>;
  };
  try {
    for (const { name, measure } of measurements) {
      const started = performance.now();
      rows.push(...(await measure(sharedEmulator)));
      durations.push(`${name} ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    for (const emulator of started) await (await emulator).stop();
  }
  return rows;
}

async function printBreakdown(): Promise<void> {
  const modules = await coreBreakdown();
  const total = modules.reduce((sum, [, bytes]) => sum + bytes, 0);
  console.log(`\nSessionStore, minified bytes by source module (${kilobytes(total)} in all):`);
  for (const [path, bytes] of modules) {
    const share = ((bytes / total) * 100).toFixed(1).padStart(5);
    console.log(`  ${String(bytes).padStart(6)} B  ${share}%  ${path}`);
  }
}

/** Ends the run with a message and no stack: a mistake in the command, not in the code. */
function stop(message: string): never {
  console.error(message);
  process.exit(2);
}

/* Every measurement runs the built package, as an app would. */
function requireBuild(): void {
  const built = fileURLToPath(new URL("../dist/index.js", import.meta.url));
  if (!existsSync(built))
    stop("The benchmark measures the built package: run `npm run build` first.");
}

if (process.argv.includes("--help")) {
  console.log(USAGE);
  process.exit(0);
}
requireBuild();

const machine = describeMachine();
const started = performance.now();
const rows = await runAll(chosenMeasurements());
const seconds = ((performance.now() - started) / 1000).toFixed(0);

console.log(renderTable(rows));
console.log(`\n${machine}`);
console.log(`ran in ${seconds} s (${durations.join(", ")})`);
console.log("pass: meets target; off target: within guard, not a failure; --check fails on FAIL.");
if (breakdown) await printBreakdown();

const missed = rows.filter((row) => row.verdict === "FAIL");
if (check && missed.length > 0) {
  console.log(`\n${missed.length} row(s) FAIL: ${missed.map((row) => row.measurement).join("; ")}`);
  process.exitCode = 1;
}
