/**
 * Runs the reliability tests (`test/reliability`) and prints what they observed,
 * summed over every test file's tally: scenarios run, faults injected by kind,
 * calls made and settled, and the counts that must stay at zero.
 *
 * Exits non-zero when a test failed, when no tally was written, when calls
 * settled differ from calls made, or when duplicates, leaks, cooldown
 * violations or secrets found are not zero. Arguments are passed on to vitest,
 * e.g. `npm run test:reliability -- properties` runs the matching files only.
 *
 * `--tallies <folder>` runs nothing and prints the tallies a test run already wrote there
 * (`RELIABILITY_REPORT_DIR=<folder> npm test`), so CI runs the tests once.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { emptyTally, REPORT_DIR_VARIABLE, type ReliabilityTally } from "../test/reliability/ledger";

const MUST_BE_ZERO = [
  ["duplicates", "duplicates"],
  ["leaks", "leaks"],
  ["cooldownViolations", "cooldown violations"],
  ["secretsFound", "secrets found"],
] as const;

function runVitest(reportDir: string): number {
  const require = createRequire(import.meta.url);
  const vitest = join(dirname(require.resolve("vitest/package.json")), "vitest.mjs");
  const args = [vitest, "run", "test/reliability", ...process.argv.slice(2)];
  const result = spawnSync(process.execPath, args, {
    stdio: "inherit",
    env: { ...process.env, [REPORT_DIR_VARIABLE]: reportDir },
  });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/** A count from a tally file; anything but a non-negative integer is refused. */
function count(value: unknown, what: string, file: string): number {
  if (value === undefined) return 0;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  throw new Error(`${file}: ${what} is ${JSON.stringify(value)}, not a count.`);
}

function readTally(path: string, file: string): ReliabilityTally {
  const raw = JSON.parse(readFileSync(path, "utf8")) as Partial<Record<string, unknown>>;
  const faults: Record<string, number> = {};
  const rawFaults = (raw.faults ?? {}) as Record<string, unknown>;
  for (const [kind, value] of Object.entries(rawFaults)) {
    faults[kind] = count(value, `faults.${kind}`, file);
  }
  return {
    scenarios: count(raw.scenarios, "scenarios", file),
    faults,
    calls: count(raw.calls, "calls", file),
    settled: count(raw.settled, "settled", file),
    duplicates: count(raw.duplicates, "duplicates", file),
    leaks: count(raw.leaks, "leaks", file),
    cooldownViolations: count(raw.cooldownViolations, "cooldownViolations", file),
    secretsFound: count(raw.secretsFound, "secretsFound", file),
  };
}

function sum(tallies: readonly ReliabilityTally[]): ReliabilityTally {
  const total = emptyTally();
  for (const tally of tallies) {
    total.scenarios += tally.scenarios;
    total.calls += tally.calls;
    total.settled += tally.settled;
    total.duplicates += tally.duplicates;
    total.leaks += tally.leaks;
    total.cooldownViolations += tally.cooldownViolations;
    total.secretsFound += tally.secretsFound;
    for (const [kind, value] of Object.entries(tally.faults)) {
      total.faults[kind] = (total.faults[kind] ?? 0) + value;
    }
  }
  return total;
}

function table(total: ReliabilityTally, files: number): string {
  const rows: [string, number | string][] = [["scenarios run", total.scenarios]];
  const kinds = Object.keys(total.faults).sort();
  rows.push(["faults injected", ""]);
  for (const kind of kinds) rows.push([`  ${kind}`, total.faults[kind] ?? 0]);
  rows.push(["  total", kinds.reduce((all, kind) => all + (total.faults[kind] ?? 0), 0)]);
  rows.push(["calls made", total.calls], ["calls settled", total.settled]);
  for (const [key, label] of MUST_BE_ZERO) rows.push([label, total[key]]);

  const width = Math.max(...rows.map(([label]) => label.length)) + 4;
  const lines = rows.map(([label, value]) => `  ${label.padEnd(width)}${value}`.trimEnd());
  return [`Reliability report (${files} tally files)`, ...lines].join("\n");
}

function problems(total: ReliabilityTally, exitCode: number, files: number): string[] {
  const found: string[] = [];
  if (exitCode !== 0) found.push(`vitest exited with code ${exitCode}`);
  if (files === 0) found.push("no test file wrote a tally");
  if (total.settled !== total.calls) {
    found.push(`calls settled (${total.settled}) differ from calls made (${total.calls})`);
  }
  for (const [key, label] of MUST_BE_ZERO) {
    if (total[key] !== 0) found.push(`${label}: ${total[key]}, expected 0`);
  }
  return found;
}

/** The folder named by `--tallies`, or null to run the tests. */
function talliesFolder(args: readonly string[]): string | null {
  const index = args.indexOf("--tallies");
  if (index === -1) return null;
  const folder = args[index + 1];
  if (!folder) throw new Error("--tallies needs a folder, e.g. --tallies reports/reliability.");
  return folder;
}

function main(): number {
  const written = talliesFolder(process.argv.slice(2));
  const reportDir = written ?? mkdtempSync(join(tmpdir(), "reliability-"));
  try {
    const exitCode = written ? 0 : runVitest(reportDir);
    const files = readdirSync(reportDir).filter((file) => file.endsWith(".json"));
    const total = sum(files.map((file) => readTally(join(reportDir, file), file)));
    const found = problems(total, exitCode, files.length);

    process.stdout.write(`\n${table(total, files.length)}\n\n`);
    if (found.length === 0) {
      process.stdout.write("Reliability: OK\n");
      return 0;
    }
    process.stdout.write(`Reliability: FAILED\n${found.map((line) => `  ${line}\n`).join("")}`);
    return 1;
  } finally {
    if (!written) rmSync(reportDir, { recursive: true, force: true });
  }
}

process.exitCode = main();
