import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { build, type Metafile } from "esbuild";
import { kilobytes } from "../format";
import { judge, type Row } from "../table";

const ROOT = join(import.meta.dirname, "..", "..");
const PEERS = ["rxjs", "immer", "@microsoft/microsoft-graph-client", "react"];
const BUILT = ["dist/index.js", "dist/react/index.js"];
/**
 * Size targets by size-limit entry name, in bytes (1 kB = 1000 B, as size-limit
 * counts), with the row's label. The limits in `.size-limit.json` are the guards.
 */
const TARGETS: Readonly<Record<string, { label: string; target: number }>> = {
  "core: import { SessionStore }": { label: "size: core, SessionStore", target: 4_000 },
  "core: whole entry": { label: "size: core, whole entry", target: 4_000 },
  "react adapter": { label: "size: React adapter", target: 1_000 },
};
const SIZE_NOTE =
  "Size: the built package, min+gzip, its peers (rxjs, immer, the Graph client, React) left " +
  "out, as size-limit measures it with .size-limit.json, whose limits are the guards.";
/** Text that must not reach a bundle importing only `SessionStore`. */
const FORBIDDEN = [
  "node:http",
  'from"http"',
  "createServer",
  "WorkbookEmulator",
  "useSyncExternalStore",
];

interface SizeCheck {
  readonly name: string;
  readonly size: number;
  readonly sizeLimit: number;
  readonly passed: boolean;
}

/**
 * Bundle size of the built package with its peers left out, min+gzip, as
 * size-limit measures it with `.size-limit.json`: each entry against its
 * configured limit and against its size target. Then a tree-shaking check:
 * `import { SessionStore } from "graph-workbook-session"` bundled with esbuild
 * must hold nothing of the emulator or the React adapter.
 */
export async function measureBundleSize(): Promise<Row[]> {
  const stale = staleBuild();
  if (stale) {
    return [
      {
        measurement: "size",
        figure: stale,
        target: "—",
        guard: "—",
        verdict: "FAIL",
        note: "Bundle sizes are measured on the build: run `npm run build` first.",
      },
    ];
  }
  return [...runSizeLimit().map(sizeRow), await treeShakingRow()];
}

/** Why the build cannot be measured (missing, or older than the sources), or null. */
function staleBuild(): string | null {
  const missing = BUILT.find((file) => !existsSync(join(ROOT, file)));
  if (missing) return `${missing} is missing`;
  const built = Math.min(...BUILT.map((file) => statSync(join(ROOT, file)).mtimeMs));
  return newestSource(join(ROOT, "src")) > built ? "dist is older than src" : null;
}

function newestSource(directory: string): number {
  return Math.max(
    0,
    ...readdirSync(directory, { withFileTypes: true }).map((entry) => {
      const path = join(directory, entry.name);
      return entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs;
    }),
  );
}

function runSizeLimit(): SizeCheck[] {
  const bin = join(ROOT, "node_modules", "size-limit", "bin.js");
  const result = spawnSync(process.execPath, [bin, "--json"], { cwd: ROOT, encoding: "utf8" });
  try {
    return JSON.parse(result.stdout) as SizeCheck[];
  } catch {
    throw new Error(`size-limit gave no JSON:\n${result.stdout}\n${result.stderr}`);
  }
}

function sizeRow(check: SizeCheck): Row {
  const { label, target } = TARGETS[check.name] ?? { label: `size: ${check.name}`, target: 0 };
  // A limit no looser than the target is no ratchet: the row is judged on the target alone.
  const guarded = check.sizeLimit > target;
  return {
    measurement: label,
    figure: kilobytes(check.size),
    target: target > 0 ? `≤ ${kilobytes(target)}` : "—",
    guard: guarded ? `≤ ${kilobytes(check.sizeLimit)}` : "—",
    verdict: judge(check.size <= target && check.passed, guarded && check.passed),
    note: SIZE_NOTE,
  };
}

async function treeShakingRow(): Promise<Row> {
  const { text, metafile } = await bundleSessionStoreOnly();
  const modules = Object.keys(metafile.inputs);
  const leaked = [
    ...modules.filter((path) => /dist\/(testing|react)\//.test(path)),
    ...FORBIDDEN.filter((needle) => text.includes(needle)),
  ];
  const contents = leaked.length === 0 ? "clean" : `has ${leaked.join(", ")}`;
  return {
    measurement: "size: SessionStore tree-shaken",
    figure: `${contents}, ${kilobytes(text.length)} min`,
    target: "clean",
    guard: "—",
    verdict: judge(leaked.length === 0),
    note:
      'Tree-shaking: `import { SessionStore } from "graph-workbook-session"`, bundled from dist ' +
      "with esbuild for the browser, must hold nothing of the emulator (node:http) or the React " +
      "adapter; the figure is its minified size with peers left out.",
  };
}

/** The built package, imported by name as an app would, bundled for the browser. */
async function bundleSessionStoreOnly(): Promise<{ text: string; metafile: Metafile }> {
  const result = await build({
    stdin: {
      contents: 'export { SessionStore } from "graph-workbook-session";',
      resolveDir: ROOT,
      loader: "js",
    },
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    minify: true,
    // No tsconfig: its paths would map the package name to the sources.
    tsconfigRaw: "{}",
    external: PEERS,
    metafile: true,
    logLevel: "silent",
  });
  return { text: result.outputFiles[0]?.text ?? "", metafile: result.metafile };
}

/** Minified bytes of `SessionStore` by source module, largest first (esbuild metafile). */
export async function coreBreakdown(): Promise<[string, number][]> {
  const result = await build({
    stdin: {
      contents: 'export { SessionStore } from "./src/index";',
      resolveDir: ROOT,
      loader: "ts",
    },
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    minify: true,
    external: PEERS,
    metafile: true,
    logLevel: "silent",
  });
  const output = Object.values(result.metafile.outputs)[0];
  return Object.entries(output?.inputs ?? {})
    .map(([path, { bytesInOutput }]): [string, number] => [path, bytesInOutput])
    .filter(([, bytes]) => bytes > 0)
    .sort((a, b) => b[1] - a[1]);
}
